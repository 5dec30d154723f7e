"""commonroom's component link against a scripted fake host server: what it sends and how
it recovers when the server misbehaves (bad XML, no stream id, dropped connections, stream
errors), plus the whitespace keepalive. Real servers are covered by test_link_prosody.py
and test_link_ejabberd.py; these are the faults they cannot be made to produce."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from typing import Callable, Optional

import pytest

from harness import MUC_DOMAIN, MUC_SECRET, Commonroom, CommonroomConfig, run_dir, wait_until

SERVER_HEADER = ("<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/"
                 "streams' xmlns='jabber:component:accept' from='{domain}'{id}>")


class Conn:
    """One accepted connection: everything it received, and helpers to script replies."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.received = bytearray()
        self.eof = False
        self.lock = threading.Condition()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.received += data
                    self.lock.notify_all()
        except OSError:
            pass
        with self.lock:
            self.eof = True
            self.lock.notify_all()

    def text(self) -> str:
        with self.lock:
            return self.received.decode(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 5) -> re.Match:
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                m = rx.search(self.received.decode(errors="replace"))
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    raise AssertionError(f"no /{pattern}/ from commonroom; got "
                                         f"{self.received.decode(errors='replace')!r}")
                self.lock.wait(left)

    def wait_eof(self, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("commonroom did not close the connection")
                self.lock.wait(left)

    def send(self, data: str) -> None:
        self.sock.sendall(data.encode())

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def header(self, stream_id: Optional[str] = "f00d1234") -> None:
        """Waits for commonroom's stream header, answers with ours."""
        self.wait_for(r"<stream:stream [^>]*to='" + re.escape(MUC_DOMAIN) + "'[^>]*>")
        self.send(SERVER_HEADER.format(domain=MUC_DOMAIN,
                                       id=f" id='{stream_id}'" if stream_id else ""))

    def handshake(self, secret: str = MUC_SECRET, stream_id: str = "f00d1234") -> None:
        """The whole XEP-0114 accept side, checking commonroom's digest."""
        self.header(stream_id)
        m = self.wait_for(r"<handshake>([0-9a-f]{40})</handshake>")
        assert m.group(1) == hashlib.sha1((stream_id + secret).encode()).hexdigest()
        self.send("<handshake/>")


class FakeHost:
    """A listening socket; each accepted connection runs `script(conn, index)` in a thread."""

    def __init__(self, script: Callable[[Conn, int], None]):
        self.script = script
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.conns: list[Conn] = []
        self.accepted_at: list[float] = []
        self.errors: list[BaseException] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            conn = Conn(sock)
            index = len(self.conns)
            self.conns.append(conn)
            self.accepted_at.append(time.monotonic())
            threading.Thread(target=self._run, args=(conn, index), daemon=True).start()

    def _run(self, conn: Conn, index: int):
        try:
            self.script(conn, index)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.errors.append(e)

    def stop(self):
        self.running = False
        self.listener.close()
        for c in self.conns:
            c.close()


@pytest.fixture(scope="module")
def workdir():
    return run_dir("link-faults")


def start(workdir, host: FakeHost, name: str, **overrides) -> Commonroom:
    overrides.setdefault("directory", None)
    # Link faults need no abuse log: rooms run unlogged (and say so).
    overrides.setdefault("unlogged_rooms_for_development", True)
    config = CommonroomConfig(link_port=host.port, **overrides)
    return Commonroom(workdir, config, name=name).start()


def run_case(workdir, name, script, check, stops_itself=False, **overrides):
    host = FakeHost(script)
    cr = start(workdir, host, name, **overrides)
    try:
        check(host, cr)
        if not stops_itself:
            assert cr.running(), cr.log_text()
        assert not host.errors, host.errors
    finally:
        rc = cr.stop()
        host.stop()
    assert rc == 0, cr.log_text()


def test_quiet_link_sends_whitespace_keepalives(workdir):
    def script(conn, index):
        conn.handshake()

    def check(host, cr):
        cr.wait_connected([MUC_DOMAIN])
        conn = host.conns[0]
        after_handshake = conn.text().index("</handshake>") + len("</handshake>")
        time.sleep(3.5)
        tail = conn.text()[after_handshake:]
        # The rooms service asks once, right after the handshake, whether the host fans out
        # for it (decision 0033), and whether the host or multicast.<host> is an XEP-0033
        # service (decision 0052); this fake host never answers, so that is all it sends.
        probe = re.compile(r"<iq type='get' id='fanout-probe-\d+' from='[^']*' to='[^']*'>"
                           r"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        multicast_probe = re.compile(
            r"<iq type='get' id='multicast-probe-\d+-\d+' from='[^']*' to='[^']*'>"
            r"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        assert len(probe.findall(tail)) == 1, repr(tail)
        assert len(multicast_probe.findall(tail)) == 2, repr(tail)
        tail = multicast_probe.sub("", probe.sub("", tail))
        # One space per idle second, and nothing else on a quiet link.
        assert 2 <= tail.count(" ") <= 5, repr(tail)
        assert tail.strip() == "", repr(tail)

    run_case(workdir, "keepalive", script, check, keepalive_seconds=1)


def test_answers_a_stanza_routed_by_the_host(workdir):
    def script(conn, index):
        conn.handshake()
        conn.send(f"<iq type='get' id='d1' from='alice@cam.example/x' to='{MUC_DOMAIN}'>"
                  "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")

    def check(host, cr):
        cr.wait_connected([MUC_DOMAIN])
        m = host.conns[0].wait_for(r"<iq [^>]*id='d1'.*?</iq>")
        reply = m.group(0)
        assert "type='result'" in reply and "to='alice@cam.example/x'" in reply, reply
        assert f"from='{MUC_DOMAIN}'" in reply, reply
        assert re.search(r"<identity [^>]*category='conference'[^>]*type='text'", reply) or \
            re.search(r"<identity [^>]*type='text'[^>]*category='conference'", reply), reply

    run_case(workdir, "route", script, check)


def test_bad_xml_from_the_host_gets_a_stream_error_and_a_reconnect(workdir):
    def script(conn, index):
        conn.handshake()
        if index == 0:
            conn.send("<message to='x'><body>unclosed</message>")

    def check(host, cr):
        wait_until(lambda: len(host.conns) >= 2, 10, what="a second connection")
        first = host.conns[0]
        first.wait_for(r"<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:"
                       r"xmpp-streams'/>.*</stream:error></stream:stream>")
        first.wait_eof()
        cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: the host server sent bad XML "
                        r"\(not-well-formed.*retrying in")
        cr.wait_connected([MUC_DOMAIN])

    run_case(workdir, "bad-xml", script, check)


def test_header_without_id_is_reported_and_retried(workdir):
    def script(conn, index):
        conn.header(stream_id=None)

    def check(host, cr):
        lines = cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: protocol error: .*has no id.*"
                                r"retrying in", count=2)
        assert lines
        # We said why before hanging up, and never sent a handshake we could not compute.
        host.conns[0].wait_for(r"<stream:error><invalid-xml ")
        assert "<handshake>" not in host.conns[0].text()

    run_case(workdir, "no-id", script, check)


def test_connection_dropped_before_the_handshake_is_retried(workdir):
    def script(conn, index):
        conn.wait_for(r"<stream:stream ")
        conn.close()

    def check(host, cr):
        cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: the host server closed the connection "
                        r"before the handshake completed; retrying in", count=3)

    run_case(workdir, "dropped", script, check)


def test_a_host_that_accepts_but_never_completes_the_handshake_is_dropped_and_retried(workdir):
    # The TCP connection is up, the host answers the header but never the handshake (a hung
    # or overloaded server): commonroom gives up after handshake_timeout_ms, hangs up, and
    # tries again with backoff rather than waiting for ever.
    def script(conn, index):
        conn.header()
        conn.wait_for(r"<handshake>")

    def check(host, cr):
        started = time.monotonic()
        lines = cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: .*did not complete the handshake "
                                r"within .*retrying in", count=2, timeout=10)
        assert lines
        host.conns[0].wait_eof()
        # Two attempts of 0.6 s each plus a short backoff: far below the 10 s default.
        assert time.monotonic() - started < 6
        assert len(host.conns) >= 2

    run_case(workdir, "handshake-timeout", script, check,
             extra={"links": {"handshake_timeout_ms": "600"}})


def test_stream_error_after_handshake_is_logged_and_reconnected(workdir):
    def script(conn, index):
        conn.handshake()
        if index == 0:
            conn.send("<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:"
                      "xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>"
                      "going down</text></stream:error></stream:stream>")
            conn.wait_eof()
            conn.close()

    def check(host, cr):
        cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: the host server ended the stream "
                        r"\(system-shutdown: \"going down\"\); retrying in")
        wait_until(lambda: len(host.conns) >= 2, 10, what="a reconnect")
        cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: connected to ", count=2)

    run_case(workdir, "stream-error", script, check)


def test_host_closing_the_stream_gets_our_close_back(workdir):
    def script(conn, index):
        conn.handshake()
        if index == 0:
            time.sleep(0.2)
            conn.send("</stream:stream>")
            conn.wait_for(r"</stream:stream>$")
            conn.close()

    def check(host, cr):
        wait_until(lambda: len(host.conns) >= 2, 10, what="a reconnect")
        assert host.conns[0].text().endswith("</stream:stream>")
        cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: the host server closed the stream; "
                        r"retrying in")

    run_case(workdir, "host-close", script, check)


def test_host_that_never_answers_the_close_does_not_delay_exit_much(workdir):
    def script(conn, index):
        conn.handshake()
        conn.wait_eof(timeout=30)

    def check(host, cr):
        cr.wait_connected([MUC_DOMAIN])
        t0 = time.monotonic()
        rc = cr.stop()
        elapsed = time.monotonic() - t0
        assert rc == 0
        assert elapsed < 4, elapsed
        assert host.conns[0].text().endswith("</stream:stream>")
        cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: stream closed without the host server's "
                        r"answer")

    run_case(workdir, "no-close-answer", script, check, stops_itself=True)
