"""Hostile input through a real component link.

Part 1 — the scripted fake host (tests/integration/test_link_faults.py's FakeHost) plays the
host server and sends the corpus of hostile_corpus.py as if its users had sent it: XML no
real server would forward (DOCTYPE, entities, invalid UTF-8, oversized stanzas) as well as
stanzas it would. After each case a ping is the barrier: everything commonroom answered to
the case arrived before the ping's result. Meanwhile a user chats in a logged room: every
message commonroom reflected must be in PostgreSQL's room_events at the end (no logged event
lost), the process must live through every case and its RSS stay bounded.

Part 2 — a real Prosody and raw client sockets through its c2s port: the stanzas a broken or
hostile client can get through a real server (slixmpp refuses to send most of them). Each
case's reply is judged as on the fake host, except where Prosody answers, changes or ends the
stream first (expectation_through_prosody says which and why); a user chats in a logged room
between the cases, and every message must be logged; RSS is bounded the same way.

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

    def __init__(self, port: int, user: str, password: str, resource: str = "raw"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.jid = f"{user}@{XMPP_DOMAIN}/{resource}"
        self._header()
        self.read_until(b"</stream:features>")
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                  f"{token}</auth>")
        self.read_until(b"<success")
        self._header()
        self.read_until(b"</stream:features>")
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  f"<resource>{resource}</resource></bind></iq>")
        self.read_until(b"</bind>")
        self.buf = b""

    def _header(self):
        self.buf = b""
        self.send(f"<?xml version='1.0'?><stream:stream to='{XMPP_DOMAIN}' version='1.0' "
                  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")

    def send(self, data: str):
        self.sock.sendall(data.encode())

    def read_until(self, marker: bytes, timeout: float = 10) -> bytes:
        return self.read_until_re(re.compile(re.escape(marker)), timeout)

    def read_until_re(self, rx: "re.Pattern[bytes]", timeout: float = 10) -> bytes:
        deadline = time.monotonic() + timeout
        while not rx.search(self.buf):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {rx.pattern!r}; got {self.buf[-2000:]!r}")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"closed; got {self.buf[-2000:]!r}")
            self.buf += data
        return self.buf

    def barrier(self, ident: str, timeout: float = 60) -> str:
        """Pings the service; returns what arrived before the ping's result (then forgets it).
        Prosody routes the component's stanzas to this session in the order sent."""
        self.send(f"<iq type='get' id='{ident}' to='{MUC_DOMAIN}'>"
                  "<ping xmlns='urn:xmpp:ping'/></iq>")
        marker = f"id='{ident}'".encode()
        self.read_until(marker, timeout=timeout)
        at = self.buf.find(marker)
        before = self.buf[:self.buf.rfind(b"<", 0, at)]
        # The result is one empty element; what follows it is kept for the next read.
        self.buf = self.buf[self.buf.find(b">", at) + 1:]
        return before.decode(errors="replace")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ProsodyChat:
    """alice in the logged room `lab`, through Prosody: after every case she sends one message
    and waits for it to come back (commonroom sends it only once it is logged)."""

    def __init__(self, port: int):
        self.client = RawClient(port, "alice", "alicepw", resource="desk")
        self.sent = 0
        c = self.client
        c.send(f"<presence to='{ROOM}/alice'><x xmlns='http://jabber.org/protocol/muc'/>"
               "</presence>")
        c.read_until(b"status code='110'")
        if b"status code='201'" in c.buf:  # a new room: accept the default configuration
            c.send(f"<iq type='set' id='instant' to='{ROOM}'>"
                   "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                   "<x xmlns='jabber:x:data' type='submit'/></query></iq>")
            c.read_until(b"id='instant'")
        c.buf = b""

    def chat(self) -> None:
        n = self.sent + 1
        self.client.send(f"<message type='groupchat' id='chat-{n}' to='{ROOM}'>"
                         f"<body>event {n}</body></message>")
        self.client.read_until_re(
            re.compile(rb"<message (?=[^>]*id='chat-%d')(?![^>]*type='error')[^>]*>" % n))
        self.client.buf = b""
        self.sent = n


def through_prosody(case) -> str:
    """The case as a client sends it: no 'from' (the server stamps it)."""
    return re.sub(r" from='[^']*'", "", localise(case.xml), count=0)


# What a client sees differs from what the component is sent where Prosody itself answers or
# ends the stream before the stanza reaches commonroom, or changes it on the way (Prosody 0.12:
# its c2s, its JID preparation and its stanza router). On this path those cases are judged by
# what the client gets from Prosody; every other case by its own expectation, as on the fake
# host.
UNSERVED_DOMAINS = ("bad-domain", "other-domain", "ipv6-garbage")
IQ_WITHOUT_ONE_CHILD = ("<ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/>", "",
                        "text only")


def expectation_through_prosody(case) -> tuple[str, str]:
    """(expect, why Prosody differs; '' when it does not) for a case a client sends."""
    name, family = case.name, case.family
    if family == "bad JIDs" and "-to-" in name:
        if name.split("-to-", 1)[1] in UNSERVED_DOMAINS:
            return "error:not-allowed", ("Prosody takes the domain for a remote one and the "
                                         "test server has no s2s")
        return "error:jid-malformed", "Prosody's JID preparation refuses the 'to' first"
    if name == "huge-nick":
        return "error:jid-malformed", "Prosody refuses a resource over 1023 bytes itself"
    if family == "bad JIDs" and name.startswith(("iq-", "presence-")):
        return "answered", "Prosody stamps the session's own 'from': an ordinary ping or join"
    if name in ("iq-ns-evil", "unknown-top-level", "second-handshake"):
        return ("dropped:unsupported-stanza-type",
                "not a jabber:client stanza: Prosody ends the client's stream")
    if name in ("get-no-id", "set-no-id", "result-no-id", "no-type", "bogus-type"):
        return "error:bad-request", "Prosody's router refuses an iq without id or valid type"
    if family == "unknown payloads" and name.startswith("iq-") and any(
            f"'>{p}</iq>" in case.xml for p in IQ_WITHOUT_ONE_CHILD):
        return "error:bad-request", ("Prosody's router refuses a get or set without exactly "
                                     "one child element")
    return case.expect, ""


def judge_through_prosody(expect: str, window: str, dropped: bool) -> tuple[bool, str]:
    """judge() for a client's view: "dropped" (Prosody ended the client's stream) stands in
    for the link's stream error; everything else is judged as on the fake host."""
    stream = STREAM_ERROR.search(window)
    ended = f"client stream ended ({stream.group(1) if stream else 'no stream error'})"
    if expect.startswith("dropped:"):
        return dropped and bool(stream) and stream.group(1) == expect[8:], (
            ended if dropped else judge(hostile_corpus.Case("", "", "", "quiet"), window,
                                        False)[1])
    if dropped:
        return False, ended
    return judge(hostile_corpus.Case("", "", "", expect), window, False)


def test_hostile_stanzas_from_real_clients_through_prosody(pg):
    directory = run_dir("hostile-input-prosody")
    uri = migrated_database(pg, directory)
    prosody = HostServer("prosody", directory, components={MUC_DOMAIN: MUC_SECRET},
                         users={"mallory": "mallorypw", "alice": "alicepw"}).start()
    config = CommonroomConfig(link_port=prosody.component_port, directory=None,
                              database_uri=uri,
                              extra={"abuse-log": {"journal_dir": str(directory / "journal")},
                                     "policy": {"messages_per_minute": "0",
                                                "presences_per_minute": "0"}})
    cr = Commonroom(directory, config, name="hostile-prosody").start()
    # What a client can put on a c2s stream: the stanza-level cases (the XML-level ones only
    # test Prosody's parser, which ends the client's stream before anything reaches us; a
    # client's 'from' is stamped by the server, so spoofing is not possible).
    cases = [c for c in hostile_corpus.corpus()
             if c.expect != "stream" and c.family not in ("spoofed from",)]
    tally: dict[str, dict[str, int]] = defaultdict(lambda: {
        "cases": 0, "survived": 0, "as_expected": 0, "client_dropped": 0, "prosody_differs": 0})
    surprises = []
    seen: dict[str, str] = {}
    client = chat = None
    rss_start = rss_peak = rss_end = 0
    logged = 0
    try:
        cr.wait_connected([MUC_DOMAIN])
        chat = ProsodyChat(prosody.c2s_port)
        chat.chat()
        rss_start = rss_peak = rss_kb(cr.proc.pid)
        client = RawClient(prosody.c2s_port, "mallory", "mallorypw")
        for n, case in enumerate(cases):
            expect, why = expectation_through_prosody(case)
            t = tally[case.family]
            t["cases"] += 1
            t["prosody_differs"] += bool(why)
            dropped = False
            window = ""
            try:
                client.send(through_prosody(case))
                window = client.barrier(f"pbar-{n}")
            except (ConnectionError, OSError, AssertionError):
                # Prosody ended this client's stream (its limits): a new session goes on.
                dropped = True
                window = client.buf.decode(errors="replace")
                client.close()
                client = RawClient(prosody.c2s_port, "mallory", "mallorypw")
            t["client_dropped"] += dropped
            ok, did = judge_through_prosody(expect, window, dropped)
            seen[f"{n}:{case.name}"] = f"{expect}: {did}" + (f" ({why})" if why else "")
            t["as_expected"] += ok
            if not ok:
                surprises.append(f"{case.family}/{case.name}: expected {expect}, {did}")
            alive = cr.running()
            t["survived"] += alive
            assert alive, f"commonroom died on {case.family}/{case.name}: {cr.log_text()[-3000:]}"
            chat.chat()
            # What the chat (or the case) still sends mallory arrives before this result.
            client.barrier(f"pafter-{n}")
            rss_peak = max(rss_peak, rss_kb(cr.proc.pid))
        # And the service still answers through the real server.
        client.barrier("final")
        rss_end = rss_kb(cr.proc.pid)
        under_asan = sanitized(cr.proc.pid)
        wait_until(lambda: int(psql(uri, "SELECT count(*) FROM room_events WHERE kind = "
                                         "'groupchat' AND body LIKE 'event %'")) >= chat.sent,
                   15, what="the logged chat")
        logged = int(psql(uri, "SELECT count(DISTINCT body) FROM room_events WHERE kind = "
                               "'groupchat' AND body LIKE 'event %'"))
    finally:
        for c in (client, chat.client if chat else None):
            if c:
                c.close()
        rc = cr.stop()
        prosody.stop()
    report = {"cases": len(cases), "families": tally, "surprises": surprises,
              "rss_kb": {"start": rss_start, "peak": rss_peak, "end": rss_end},
              "chat_sent": chat.sent, "chat_logged": logged, "exit": rc, "seen": seen}
    (directory / "reliability-prosody.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    assert rc == 0, cr.log_text()[-3000:]
    assert logged == chat.sent, report
    if not under_asan:
        assert rss_peak - rss_start < RSS_GROWTH_LIMIT_KB, report
    assert not surprises, "\n".join(surprises)
