"""Shared pieces of the rooms e2e tests (tests/e2e/test_rooms*.py): one PostgreSQL, one
Prosody and one commonroom for a test module, and MUC users as real slixmpp clients that
record every stanza they receive so a test can wait for the one it expects.

Stanzas are built and read with ElementTree rather than slixmpp's xep_0045 plugin: the
tests assert the exact payloads (status codes, items, error conditions) a user's client
sees, and the plugin hides or rewrites some of them.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import (MUC_DOMAIN, XMPP_DOMAIN, Commonroom, CommonroomConfig,  # noqa: E402
                     HostServer, commonroom_bin, run_dir)
from pg_support import Cluster, psql, with_database  # noqa: E402

CLIENT = "jabber:client"
MUC = "http://jabber.org/protocol/muc"
MUC_USER = MUC + "#user"
MUC_ADMIN = MUC + "#admin"
MUC_OWNER = MUC + "#owner"
DATA = "jabber:x:data"
DELAY = "urn:xmpp:delay"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
USERS = {"alice": "alicepw", "bob": "bobpw", "carol": "carolpw", "dave": "davepw"}


class Servers:
    """PostgreSQL (migrated), Prosody with the four users, and commonroom's MUC with
    [database] configured, so room events take the production path through the event log."""

    def __init__(self, name: str, extra: Optional[dict[str, dict[str, str]]] = None):
        self.dir = run_dir(name)
        self.extra = extra or {}
        self.pg = Cluster()
        self.prosody = HostServer("prosody", self.dir, components={MUC_DOMAIN: "muc-s3cret"},
                                  users=dict(USERS))
        self.commonroom: Optional[Commonroom] = None
        self.db_uri = ""

    def start(self) -> "Servers":
        self.pg.start()
        name = "rooms_" + uuid.uuid4().hex[:10]
        psql(with_database(self.pg.uri, "postgres"), f"CREATE DATABASE {name}")
        self.db_uri = with_database(self.pg.uri, name)
        ini = self.dir / "migrate.ini"
        ini.write_text(f"[database]\nuri = {self.db_uri}\n")
        ini.chmod(0o600)
        out = subprocess.run([str(commonroom_bin()), "--config", str(ini), "migrate"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        self.prosody.start()
        config = CommonroomConfig(link_port=self.prosody.component_port,
                                  muc=(MUC_DOMAIN, "muc-s3cret"), directory=None,
                                  database_uri=self.db_uri,
                                  extra={"abuse-log": {"journal_dir": str(self.dir / "journal")},
                                         # The history test sends a 30-message burst; rate
                                         # limits have their own unit tests in policies/.
                                         "policy": {"message_burst": "50"}})
        for section, keys in self.extra.items():
            config.extra.setdefault(section, {}).update(keys)
        self.commonroom = Commonroom(self.dir, config).start()
        self.commonroom.wait_connected([MUC_DOMAIN])
        return self

    def stop(self) -> None:
        try:
            if self.commonroom:
                code = self.commonroom.stop()
                assert code == 0, f"commonroom exited with {code}"
        finally:
            try:
                self.prosody.stop()
            finally:
                self.pg.stop()


def run(coro_fn: Callable[[], object], timeout: float = 40):
    """Runs one test's conversation on a fresh event loop and closes every client after."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(coro_fn(), timeout))
    finally:
        for user in list(User.live):
            user.close()
        User.live.clear()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio.set_event_loop(None)
        loop.close()


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def statuses(stanza: ET.Element) -> set[int]:
    x = stanza.find(q(MUC_USER, "x"))
    return set() if x is None else {int(s.get("code")) for s in x.findall(q(MUC_USER, "status"))}


def item(stanza: ET.Element) -> Optional[ET.Element]:
    x = stanza.find(q(MUC_USER, "x"))
    return None if x is None else x.find(q(MUC_USER, "item"))


def error_condition(stanza: ET.Element) -> Optional[str]:
    error = stanza.find(q(CLIENT, "error"))
    if error is None:
        return None
    for child in error:
        if child.tag.startswith("{" + STANZAS + "}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return None


def body(stanza: ET.Element) -> Optional[str]:
    b = stanza.find(q(CLIENT, "body"))
    return None if b is None else (b.text or "")


def form(form_type: str, fields: dict[str, object]) -> ET.Element:
    x = ET.Element(q(DATA, "x"), type="submit")
    f = ET.SubElement(x, q(DATA, "field"), var="FORM_TYPE", type="hidden")
    ET.SubElement(f, q(DATA, "value")).text = form_type
    for var, value in fields.items():
        f = ET.SubElement(x, q(DATA, "field"), var=var)
        for v in value if isinstance(value, list) else [value]:
            ET.SubElement(f, q(DATA, "value")).text = str(v)
    return x


class StanzaError(AssertionError):
    def __init__(self, stanza: ET.Element):
        super().__init__(f"error reply: {ET.tostring(stanza, encoding='unicode')}")
        self.stanza = stanza
        self.condition = error_condition(stanza)


class User:
    """One logged-in slixmpp client; `inbox` holds every message and presence it received."""

    live: list["User"] = []

    def __init__(self, name: str, port: int, resource: str = "e2e"):
        import slixmpp
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath

        self.name = name
        self.jid = f"{name}@{XMPP_DOMAIN}/{resource}"
        self.port = port
        self.client = slixmpp.ClientXMPP(self.jid, USERS[name])
        # Answers version queries, so iqs passed on between occupants get a real answer.
        self.client.register_plugin("xep_0092", {"software_name": f"{name}-client",
                                                 "version": "1.0"})
        self.inbox: list[ET.Element] = []
        self._arrived = asyncio.Event()
        for kind in ("message", "presence"):
            self.client.register_handler(Callback(
                f"rooms-e2e-{kind}", MatchXPath(f"{{{CLIENT}}}{kind}"), self._received))
        User.live.append(self)

    def _received(self, stanza) -> None:
        self.inbox.append(stanza.xml)
        self._arrived.set()

    async def connect(self) -> "User":
        self.client.connect(("127.0.0.1", self.port), disable_starttls=True)
        await self.client.wait_until("session_start", timeout=15)
        self.client.send_presence()
        return self

    def close(self) -> None:
        try:
            self.client.abort()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass

    # ----------------------------------------------------------------- waiting for stanzas

    async def expect(self, predicate: Callable[[ET.Element], bool], what: str,
                     timeout: float = 5) -> ET.Element:
        """Takes the first stanza in the inbox that matches; waits for it if need be."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for i, stanza in enumerate(self.inbox):
                if predicate(stanza):
                    del self.inbox[i]
                    return stanza
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = "\n".join(ET.tostring(s, encoding="unicode") for s in self.inbox[-8:])
                raise AssertionError(f"{self.name} never received {what}; last stanzas:\n{seen}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def expect_none(self, predicate: Callable[[ET.Element], bool], what: str) -> None:
        """Asserts that nothing matching has arrived, using a round trip through the rooms
        service as the barrier instead of a sleep: the host delivers what the component sends
        one session in order, so anything the service sent this user before answering is in
        the inbox when the answer is. The action under test must already have reached the
        service (the test has seen its answer or its effect on someone)."""
        await self.barrier()
        hits = [s for s in self.inbox if predicate(s)]
        assert not hits, f"{self.name} unexpectedly received {what}: " + \
            ET.tostring(hits[0], encoding="unicode")

    async def barrier(self) -> None:
        """One round trip to the rooms service (disco#info of the service itself)."""
        await self.iq(MUC_DOMAIN, "get", ET.Element(q(DISCO_INFO, "query")))

    async def presence_from(self, jid: str, what: str = "", **kw) -> ET.Element:
        return await self.expect(lambda s: s.tag == q(CLIENT, "presence") and s.get("from") == jid,
                                 what or f"presence from {jid}", **kw)

    async def message_from(self, jid: str, what: str = "", **kw) -> ET.Element:
        return await self.expect(lambda s: s.tag == q(CLIENT, "message") and s.get("from") == jid,
                                 what or f"message from {jid}", **kw)

    # ----------------------------------------------------------------- sending

    def send(self, stanza: ET.Element) -> None:
        self.client.send_raw(ET.tostring(stanza, encoding="unicode"))

    def presence(self, to: str, payload: Optional[ET.Element] = None,
                 ptype: Optional[str] = None) -> None:
        p = ET.Element(q(CLIENT, "presence"), to=to)
        if ptype:
            p.set("type", ptype)
        if payload is not None:
            p.append(payload)
        self.send(p)

    def message(self, to: str, text: Optional[str] = None, mtype: str = "groupchat",
                payload: Optional[ET.Element] = None) -> None:
        m = ET.Element(q(CLIENT, "message"), to=to, type=mtype, id=uuid.uuid4().hex[:12])
        if text is not None:
            ET.SubElement(m, q(CLIENT, "body")).text = text
        if payload is not None:
            m.append(payload)
        self.send(m)

    async def iq(self, to: str, itype: str, payload: ET.Element, timeout: float = 5):
        """Sends an iq; returns the result's payload element (or None), raises StanzaError."""
        from slixmpp.exceptions import IqError

        iq = self.client.make_iq(ito=to, itype=itype)
        iq.append(payload)
        try:
            reply = await iq.send(timeout=timeout)
        except IqError as e:
            raise StanzaError(e.iq.xml) from None
        children = list(reply.xml)
        return children[0] if children else None

    # ----------------------------------------------------------------- MUC verbs

    async def join(self, room: str, nick: str, *, history: Optional[dict] = None,
                   password: Optional[str] = None) -> ET.Element:
        """Joins and returns the self-presence (status 110); raises StanzaError on refusal."""
        x = ET.Element(q(MUC, "x"))
        if history is not None:
            ET.SubElement(x, q(MUC, "history"), {k: str(v) for k, v in history.items()})
        if password is not None:
            ET.SubElement(x, q(MUC, "password")).text = password
        self.presence(f"{room}/{nick}", x)
        reply = await self.expect(
            lambda s: s.tag == q(CLIENT, "presence") and s.get("from") == f"{room}/{nick}" and
            (s.get("type") == "error" or 110 in statuses(s)), f"self-presence in {room}")
        if reply.get("type") == "error":
            raise StanzaError(reply)
        return reply

    async def create(self, room: str, nick: str, config: Optional[dict] = None) -> ET.Element:
        """Creates the room (asserting 201) and configures it (an instant room when no
        config is given); returns the self-presence."""
        me = await self.join(room, nick)
        assert 201 in statuses(me), ET.tostring(me, encoding="unicode")
        query = ET.Element(q(MUC_OWNER, "query"))
        if config is None:
            ET.SubElement(query, q(DATA, "x"), type="submit")
        else:
            query.append(form(MUC + "#roomconfig", config))
        await self.iq(room, "set", query)
        return me

    async def admin(self, room: str, reason: Optional[str] = None, **attrs: str):
        query = ET.Element(q(MUC_ADMIN, "query"))
        it = ET.SubElement(query, q(MUC_ADMIN, "item"), attrs)
        if reason:
            ET.SubElement(it, q(MUC_ADMIN, "reason")).text = reason
        return await self.iq(room, "set", query)
