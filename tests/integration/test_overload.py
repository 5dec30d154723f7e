"""Overload through the component link: the engine's queue limit
(app/service_loop.cpp kQueueLimit, 10,000 stanzas) and the held-output limit
(app/rooms_shell.cpp kHeldBytes, 1 MiB of stanzas waiting for the abuse log),
against a scripted host server.

- A host server that stops reading: commonroom's writes block, its engine stops, its queue
  fills, and it stops reading the socket — TCP pushes back on the host (our writes stall),
  memory stays bounded; after the send timeout (twice keepalive_seconds) the link is
  dropped and comes back, and the service answers again (docs/abuse-log.md, back-pressure).
  The same for the directory, which answers on its host connection's thread (no queue,
  decision 0085): the blocked write stops the reading itself.
- A flood of 10,000 joins into one room (presence broadcast to moderators only, so each
  join costs O(1) output), then a burst of groupchat messages that each fan out to 10,001
  occupants — several MiB per message, more than kHeldBytes, so every message waits for the
  previous one to be sent: all answered, all logged, memory bounded.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from harness import (DIRECTORY_DOMAIN, DIRECTORY_SECRET, MUC_DOMAIN, MUC_SECRET, XMPP_DOMAIN,
                     Commonroom, CommonroomConfig, run_dir, wait_until)
from pg_support import Cluster, migrated_database, psql_eventually

ALICE = f"alice@{XMPP_DOMAIN}/desk"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class CountingHost:
    """A fake host server for big volumes: counts byte patterns as they arrive instead of
    keeping everything, and can stop reading (to play a host that is stuck)."""

    def __init__(self, patterns: dict[str, bytes], domain: str = MUC_DOMAIN,
                 secret: str = MUC_SECRET):
        self.patterns = patterns
        self.domain = domain
        self.secret = secret
        self.counts = {name: 0 for name in patterns}
        self.tail = b""
        self.reading = threading.Event()
        self.reading.set()
        self.cond = threading.Condition()
        self.conns: list[socket.socket] = []
        self.handshakes = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.conns.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket):
        buf = b""
        try:
            while b"<stream:stream" not in buf or not buf.rstrip().endswith(b">"):
                buf += sock.recv(4096)
            sock.sendall(b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx."
                         b"jabber.org/streams' xmlns='jabber:component:accept' from='"
                         + self.domain.encode() + b"' id='c0ffee'>")
            digest = hashlib.sha1(("c0ffee" + self.secret).encode()).hexdigest().encode()
            while b"</handshake>" not in buf:
                buf += sock.recv(4096)
            assert digest in buf
            sock.sendall(b"<handshake/>")
            with self.cond:
                self.handshakes += 1
                self.cond.notify_all()
            while True:
                self.reading.wait()
                data = sock.recv(1 << 20)
                if not data:
                    return
                self._count(data)
        except OSError:
            return

    def _count(self, data: bytes):
        joined = self.tail + data
        keep = max(len(p) for p in self.patterns.values()) - 1
        with self.cond:
            for name, p in self.patterns.items():
                # Only matches that end in the new data (the tail was counted already).
                self.counts[name] += joined.count(p) - self.tail.count(p)
            self.tail = joined[-keep:] if keep else b""
            self.cond.notify_all()

    def wait_count(self, name: str, at_least: int, timeout: float):
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.counts[name] < at_least:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{name}: {self.counts[name]} of {at_least}")
                self.cond.wait(left)

    def send(self, data: str):
        self.conns[-1].sendall(data.encode())

    def stop(self):
        self.reading.set()
        self.listener.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def ping(ident: str, to: str = MUC_DOMAIN) -> str:
    return (f"<iq type='get' id='{ident}' from='{ALICE}' to='{to}'>"
            "<ping xmlns='urn:xmpp:ping'/></iq>")


# The rooms queue what they read for their engine thread; the directory answers on the
# thread that reads (decision 0085). Either way a stuck host must be pushed back.
@pytest.mark.parametrize("service", ["rooms", "directory"])
def test_a_host_that_stops_reading_is_pushed_back_then_reconnected(service):
    directory = run_dir(f"overload-stuck-host-{service}")
    domain, secret = ((MUC_DOMAIN, MUC_SECRET) if service == "rooms"
                      else (DIRECTORY_DOMAIN, DIRECTORY_SECRET))
    host = CountingHost({"pong": b"type='result'", "late": b"id='after'"}, domain, secret)
    if service == "rooms":
        config = CommonroomConfig(link_port=host.port, directory=None, keepalive_seconds=3,
                                  backoff_initial_ms=100, backoff_max_ms=500,
                                  unlogged_rooms_for_development=True)
    else:
        config = CommonroomConfig(link_port=host.port, muc=None, keepalive_seconds=3,
                                  backoff_initial_ms=100, backoff_max_ms=500)
    cr = Commonroom(directory, config, name=f"stuck-host-{service}").start()
    try:
        cr.wait_connected([domain])
        base = rss_kb(cr.proc.pid)
        host.reading.clear()  # the host is stuck: it reads nothing more
        # A flood of pings, each answered: far more than the socket buffers and the queue
        # hold. Our side's writes must stall (commonroom stopped reading).
        sock = host.conns[-1]
        sock.settimeout(5)
        flood = "".join(ping(f"p{i}", domain) for i in range(200_000)).encode()
        sent = 0
        try:
            while sent < len(flood):
                sent += sock.send(flood[sent:sent + 65536])
        except (socket.timeout, OSError):
            pass
        pushed_back = sent < len(flood)
        peak = rss_kb(cr.proc.pid)
        # The send timeout (2 x keepalive) ends the stuck link; commonroom reconnects.
        cr.wait_for_log(rf"{re.escape(domain)}: .*(writ|send|timed out|time out)",
                        timeout=30)
        host.reading.set()
        with host.cond:
            host.cond.wait_for(lambda: host.handshakes >= 2, 30)
        cr.wait_connected([domain], after=0)
        host.send(ping("after", domain))
        host.wait_count("late", 1, 15)
        assert cr.running()
    finally:
        rc = cr.stop()
        host.stop()
    print(f"stuck host ({service}): sent {sent} of {len(flood)} bytes before push-back; RSS {base} -> "
          f"{peak} KiB")
    assert pushed_back, "commonroom kept reading from a host that reads nothing"
    # 10,000 queued pings and the blocked output: tens of MiB at most, not the 200,000.
    assert peak - base < 64 * 1024, (base, peak)
    if service == "directory":
        # Nothing waits in a queue (the rooms' 10,000 queued pings are ~10 MiB).
        assert peak - base < 4 * 1024, (base, peak)
    assert rc == 0, cr.log_text()[-3000:]


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


def test_ten_thousand_occupants_a_flood_of_joins_and_messages_bigger_than_the_held_budget(pg):
    occupants = int(os.environ.get("OVERLOAD_OCCUPANTS", "10000"))
    messages = 8
    directory = run_dir("overload-big-room")
    uri = migrated_database(pg, directory)
    room = f"big@{MUC_DOMAIN}"
    host = CountingHost({"self": b"status code='110'", "msg": b"<body>burst ",
                         "configured": b"id='config'"})
    config = CommonroomConfig(
        link_port=host.port, directory=None, database_uri=uri,
        extra={"abuse-log": {"journal_dir": str(directory / "journal")},
               "policy": {"max_users": str(occupants + 10),
                          "max_users_default": str(occupants + 10),
                          "messages_per_minute": "0"}})
    cr = Commonroom(directory, config, name="big-room").start()
    try:
        cr.wait_connected([MUC_DOMAIN])
        host.send(f"<presence from='{ALICE}' to='{room}/alice'>"
                  "<x xmlns='http://jabber.org/protocol/muc'/></presence>")
        host.wait_count("self", 1, 10)
        host.send(f"<iq type='set' id='config' from='{ALICE}' to='{room}'>"
                  "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                  "<x xmlns='jabber:x:data' type='submit'>"
                  "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
                  "</value></field><field var='muc#roomconfig_presencebroadcast'>"
                  "<value>moderator</value></field><field var='muc#roomconfig_maxusers'>"
                  f"<value>{occupants + 10}</value></field></x></query></iq>")
        host.wait_count("configured", 1, 10)
        base = rss_kb(cr.proc.pid)
        started = time.monotonic()
        joins = "".join(f"<presence from='u{i}@{XMPP_DOMAIN}/r' to='{room}/u{i}'>"
                        "<x xmlns='http://jabber.org/protocol/muc'/></presence>"
                        for i in range(occupants))
        host.send(joins)
        host.wait_count("self", occupants + 1, 300)
        joined_in = time.monotonic() - started
        after_joins = rss_kb(cr.proc.pid)
        peak = after_joins
        started = time.monotonic()
        host.send("".join(f"<message type='groupchat' id='m{n}' from='{ALICE}' to='{room}'>"
                          f"<body>burst {n}</body></message>" for n in range(messages)))
        deadline = time.monotonic() + 300
        while host.counts["msg"] < messages * (occupants + 1):
            assert time.monotonic() < deadline, host.counts
            peak = max(peak, rss_kb(cr.proc.pid))
            time.sleep(0.2)
        burst_in = time.monotonic() - started
        logged = int(psql_eventually(uri, "SELECT count(*) FROM room_events WHERE kind = "
                                          "'groupchat' AND body LIKE 'burst %'",
                                     lambda v: int(v) >= messages))
        joins_logged = int(psql_eventually(uri, "SELECT count(*) FROM room_events WHERE kind = "
                                                "'join'", lambda v: int(v) >= occupants))
        assert cr.running()
    finally:
        rc = cr.stop(timeout=60)
        host.stop()
    print(f"{occupants} joins in {joined_in:.1f} s; {messages} messages x {occupants + 1} "
          f"recipients in {burst_in:.1f} s; RSS {base} -> {after_joins} after joins, peak "
          f"{peak} KiB")
    assert logged == messages
    assert joins_logged >= occupants
    # Occupant state is a few KiB each at most; the fan-out must not pile up on top of it.
    assert after_joins - base < 200 * 1024, (base, after_joins)
    assert peak - after_joins < 64 * 1024, (after_joins, peak)
    assert rc == 0, cr.log_text()[-3000:]
