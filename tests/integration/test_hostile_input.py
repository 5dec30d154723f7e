"""Hostile input through a real component link.

Part 1 — the scripted fake host (tests/integration/test_link_faults.py's FakeHost) plays the
host server and sends the corpus of hostile_corpus.py as if its users had sent it: XML no
real server would forward (DOCTYPE, entities, invalid UTF-8, oversized stanzas) as well as
stanzas it would. After each case a ping is the barrier: everything commonroom answered to
the case arrived before the ping's result. Meanwhile a user chats in a logged room: every
message commonroom reflected must be in PostgreSQL's room_events at the end (no logged event
lost), the process must live through every case and its RSS stay bounded.

Part 2 — a real Prosody and raw client sockets through its c2s port: the stanzas a broken or
hostile client can get through a real server (slixmpp refuses to send most of them).

Each run writes its tallies to <run dir>/reliability-*.json (docs/reliability.md's table).
"""
from __future__ import annotations

import base64
import json
import os
import re
import socket
import time
from collections import defaultdict
from pathlib import Path

import pytest

import hostile_corpus
from harness import (MUC_DOMAIN, USERS, XMPP_DOMAIN, CommonroomConfig, Commonroom, HostServer,
                     MUC_SECRET, run_dir, wait_until)
from pg_support import Cluster, migrated_database, psql
from test_link_faults import FakeHost



ALICE = f"alice@{XMPP_DOMAIN}/desk"
ROOM = f"lab@{MUC_DOMAIN}"
RSS_GROWTH_LIMIT_KB = 96 * 1024
STANZA_ERROR = re.compile(r"<([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>")
STREAM_ERROR = re.compile(r"<stream:error><([a-z-]+) xmlns='urn:ietf:params:xml:ns:"
                          r"xmpp-streams'/>")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def sanitized(pid: int) -> bool:
    """Whether the binary runs under AddressSanitizer, whose quarantine keeps freed memory
    (up to 256 MiB): RSS bounds are only meaningful on the release build."""
    return "libasan" in Path(f"/proc/{pid}/maps").read_text()


def localise(text: str) -> str:
    return (text.replace(hostile_corpus.MUC, MUC_DOMAIN)
            .replace("@cam.example", f"@{XMPP_DOMAIN}"))


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


class Link:
    """The fake host's side: the current connection, barriers, and the chat that is logged."""

    def __init__(self, host: FakeHost):
        self.host = host
        self.barriers = 0
        self.chat_sent = 0  # groupchat messages reflected to alice (so logged first)

    @property
    def conn(self):
        return self.host.conns[-1]

    def mark(self) -> int:
        with self.conn.lock:
            return len(self.conn.received)

    def since(self, mark: int) -> str:
        with self.conn.lock:
            return self.conn.received[mark:].decode(errors="replace")

    def barrier(self, timeout: float = 60) -> None:
        self.barriers += 1
        ident = f"barrier-{self.barriers}"
        self.conn.send(f"<iq type='get' id='{ident}' from='{ALICE}' to='{MUC_DOMAIN}'>"
                       "<ping xmlns='urn:xmpp:ping'/></iq>")
        self.conn.wait_for(rf"<iq [^>]*id='{ident}'", timeout=timeout)

    def join_alice(self) -> None:
        mark = self.mark()
        self.conn.send(f"<presence from='{ALICE}' to='{ROOM}/alice'>"
                       "<x xmlns='http://jabber.org/protocol/muc'/></presence>")
        wait_until(lambda: "status code='110'" in self.since(mark), 10, what="alice's join")
        if "status code='201'" in self.since(mark):  # a new room: accept the default config
            self.conn.send(f"<iq type='set' id='instant' from='{ALICE}' to='{ROOM}'>"
                           "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                           "<x xmlns='jabber:x:data' type='submit'/></query></iq>")
            self.conn.wait_for(r"<iq [^>]*id='instant'", timeout=10)

    def chat(self) -> None:
        """One groupchat message; returns when commonroom reflected it (it is logged then)."""
        n = self.chat_sent + 1
        mark = self.mark()
        self.conn.send(f"<message type='groupchat' id='chat-{n}' from='{ALICE}' to='{ROOM}'>"
                       f"<body>event {n}</body></message>")
        reflected = re.compile(rf"<message (?=[^>]*id='chat-{n}')(?![^>]*type='error')[^>]*>")
        wait_until(lambda: reflected.search(self.since(mark)), 10, what=f"chat {n} reflected")
        self.chat_sent = n


def send_case(link: Link, case) -> str:
    data = localise(case.xml)
    try:
        link.conn.sock.sendall(data.encode("latin-1" if case.family == "invalid UTF-8" else
                                           "utf-8"))
    except (BrokenPipeError, ConnectionResetError):
        pass  # commonroom hung up before reading all of it (an oversized stanza)
    return data


def judge(case, window: str, reconnected: bool) -> tuple[bool, str]:
    """Whether commonroom did what case.expect asks; with a short description of what it did."""
    stream = STREAM_ERROR.search(window)
    conditions = STANZA_ERROR.findall(window)
    replies = re.findall(r"<(iq|message|presence) [^>]*>", window)
    did = (f"stream error {stream.group(1)}" if stream else
           f"{len(replies)} stanza(s), errors {sorted(set(conditions))}")
    expect = case.expect
    if expect == "stream":
        return bool(stream) and reconnected, did
    if stream or reconnected:
        return False, did
    if expect.startswith("error:"):
        return bool(set(conditions) & set(expect[6:].split("|"))), did
    if expect == "quiet":
        return not replies, did
    if expect == "answered":
        return bool(replies), did
    if expect.startswith("flood:"):
        want = int(expect.split(":")[1])
        answered = len(set(re.findall(r"<iq [^>]*id='(f\d+)'", window)))
        return answered == want, f"{answered} of {want} answered"
    return True, did  # answered-or-quiet: anything but a broken link


def test_hostile_corpus_through_the_fake_host(pg):
    directory = run_dir("hostile-input")
    uri = migrated_database(pg, directory)

    def script(conn, index):
        conn.handshake()

    host = FakeHost(script)
    config = CommonroomConfig(link_port=host.port, directory=None, database_uri=uri,
                              backoff_initial_ms=50, backoff_max_ms=200,
                              extra={"abuse-log": {"journal_dir": str(directory / "journal")},
                                     # alice chats after every case: no rate limit on her.
                                     "policy": {"messages_per_minute": "0",
                                                "presences_per_minute": "0"}})
    cr = Commonroom(directory, config, name="hostile").start()
    cases = hostile_corpus.corpus()
    assert len(cases) >= 200
    tally: dict[str, dict[str, int]] = defaultdict(lambda: {"cases": 0, "survived": 0,
                                                            "as_expected": 0, "stream": 0})
    surprises = []
    try:
        cr.wait_connected([MUC_DOMAIN])
        link = Link(host)
        link.join_alice()
        link.chat()
        rss_start = rss_kb(cr.proc.pid)
        rss_peak = rss_start
        for case in cases:
            connections = len(host.conns)
            mark = link.mark()
            send_case(link, case)
            old = link.conn
            if case.expect != "stream":
                try:
                    link.barrier()
                except AssertionError:
                    if not old.eof:
                        raise
            if old.eof or case.expect == "stream":
                # The link is dropped and comes back; the old connection holds the error.
                try:
                    wait_until(lambda: len(host.conns) > connections, 5 if not old.eof else 15,
                               what="a reconnect")
                    cr.wait_for_log(rf"{re.escape(MUC_DOMAIN)}: connected to ",
                                    count=len(host.conns), timeout=15)
                except (AssertionError, TimeoutError):
                    pass
            with old.lock:
                window = old.received[mark:].decode(errors="replace")
            cut = window.find(f"id='barrier-{link.barriers}'")
            if case.expect != "stream" and cut >= 0:
                window = window[:cut]
            reconnected = len(host.conns) > connections
            if reconnected:
                link.join_alice()
            ok, did = judge(case, window, reconnected)
            t = tally[case.family]
            t["cases"] += 1
            t["as_expected"] += ok
            t["stream"] += bool(STREAM_ERROR.search(window))
            alive = cr.running()
            t["survived"] += alive
            assert alive, f"commonroom died on {case.family}/{case.name}: {cr.log_text()[-3000:]}"
            if not ok:
                surprises.append(f"{case.family}/{case.name}: expected {case.expect}, {did}")
            link.barrier()
            link.chat()
            rss_peak = max(rss_peak, rss_kb(cr.proc.pid))
        rss_end = rss_kb(cr.proc.pid)
        under_asan = sanitized(cr.proc.pid)
        # Every message reflected to alice was logged before it was sent.
        wait_until(lambda: int(psql(uri, "SELECT count(*) FROM room_events WHERE kind = "
                                         "'groupchat' AND body LIKE 'event %'")) >= link.chat_sent,
                   15, what="the logged chat")
        logged = int(psql(uri, "SELECT count(DISTINCT body) FROM room_events WHERE kind = "
                               "'groupchat' AND body LIKE 'event %'"))
    finally:
        rc = cr.stop()
        host.stop()
    report = {"cases": len(cases), "families": tally, "surprises": surprises,
              "rss_kb": {"start": rss_start, "peak": rss_peak, "end": rss_end},
              "chat_sent": link.chat_sent, "chat_logged": logged, "exit": rc}
    (directory / "reliability-fake-host.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    assert rc == 0, cr.log_text()[-3000:]
    assert logged == link.chat_sent, report
    if not under_asan:
        assert rss_peak - rss_start < RSS_GROWTH_LIMIT_KB, report
    assert not surprises, "\n".join(surprises)


# ------------------------------------------------------------------ part 2: real Prosody

class RawClient:
    """A c2s session on a plain socket (SASL PLAIN, bind): it sends bytes as given, which
    slixmpp would refuse to, and reads what comes back."""

    def __init__(self, port: int, user: str, password: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.jid = f"{user}@{XMPP_DOMAIN}/raw"
        self._header()
        self.read_until(b"</stream:features>")
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                  f"{token}</auth>")
        self.read_until(b"<success")
        self._header()
        self.read_until(b"</stream:features>")
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  "<resource>raw</resource></bind></iq>")
        self.read_until(b"</bind>")
        self.buf = b""

    def _header(self):
        self.buf = b""
        self.send(f"<?xml version='1.0'?><stream:stream to='{XMPP_DOMAIN}' version='1.0' "
                  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")

    def send(self, data: str):
        self.sock.sendall(data.encode())

    def read_until(self, marker: bytes, timeout: float = 10) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {marker!r}; got {self.buf[-2000:]!r}")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"closed; got {self.buf[-2000:]!r}")
            self.buf += data
        return self.buf

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def through_prosody(case) -> str:
    """The case as a client sends it: no 'from' (the server stamps it)."""
    return re.sub(r" from='[^']*'", "", localise(case.xml), count=0)


def test_hostile_stanzas_from_real_clients_through_prosody():
    directory = run_dir("hostile-input-prosody")
    prosody = HostServer("prosody", directory, components={MUC_DOMAIN: MUC_SECRET},
                         users={"mallory": "mallorypw", "alice": "alicepw"}).start()
    config = CommonroomConfig(link_port=prosody.component_port, directory=None,
                              unlogged_rooms_for_development=True)
    cr = Commonroom(directory, config, name="hostile-prosody").start()
    # What a client can put on a c2s stream: the stanza-level cases (the XML-level ones only
    # test Prosody's parser, which ends the client's stream before anything reaches us).
    cases = [c for c in hostile_corpus.corpus()
             if c.expect != "stream" and c.family not in ("spoofed from",)]
    tally: dict[str, dict[str, int]] = defaultdict(lambda: {"cases": 0, "survived": 0,
                                                            "client_dropped": 0})
    client = None
    try:
        cr.wait_connected([MUC_DOMAIN])
        rss_start = rss_kb(cr.proc.pid)
        client = RawClient(prosody.c2s_port, "mallory", "mallorypw")
        for n, case in enumerate(cases):
            t = tally[case.family]
            t["cases"] += 1
            try:
                client.send(through_prosody(case))
                client.send(f"<iq type='get' id='pbar-{n}' to='{MUC_DOMAIN}'>"
                            "<ping xmlns='urn:xmpp:ping'/></iq>")
                client.read_until(f"id='pbar-{n}'".encode(), timeout=60)
                client.buf = b""
            except (ConnectionError, OSError, AssertionError):
                # Prosody ended this client's stream (its limits): a new session goes on.
                t["client_dropped"] += 1
                client.close()
                client = RawClient(prosody.c2s_port, "mallory", "mallorypw")
            alive = cr.running()
            t["survived"] += alive
            assert alive, f"commonroom died on {case.family}/{case.name}"
        # And the service still answers through the real server.
        client.send(f"<iq type='get' id='final' to='{MUC_DOMAIN}'>"
                    "<ping xmlns='urn:xmpp:ping'/></iq>")
        client.read_until(b"id='final'")
        rss_end = rss_kb(cr.proc.pid)
        under_asan = sanitized(cr.proc.pid)
    finally:
        if client:
            client.close()
        rc = cr.stop()
        prosody.stop()
    report = {"cases": len(cases), "families": tally,
              "rss_kb": {"start": rss_start, "end": rss_end}, "exit": rc}
    (directory / "reliability-prosody.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    assert rc == 0
    if not under_asan:
        assert rss_end - rss_start < RSS_GROWTH_LIMIT_KB, report
