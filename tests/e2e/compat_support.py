"""Servers, results and stanza helpers of the client compatibility suite
(tests/e2e/test_clients_*.py).

One set of servers per host server kind: PostgreSQL (migrated), slapd with a small
University directory synced into PostgreSQL, the host server (Prosody or ejabberd) with the
test users, and one commonroom serving both the rooms (conference.cam.example) and the
directory (directory.cam.example). The client stacks (compat_slixmpp.py, compat_aioxmpp.py,
compat_nbxmpp.py) log in to the host server as ordinary users; the flows
(compat_flows.py) drive them through the same conversation and assert what each user's
client receives.

Every test's outcome is written to <build>/compat-results/<host>.json; scripts/clients-doc
renders docs/clients.md from those files.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import (DIRECTORY_DOMAIN, MUC_DOMAIN, SOURCE_DIR, XMPP_DOMAIN,  # noqa: E402
                     Commonroom, CommonroomConfig, HostServer, commonroom_bin, free_port,
                     run_dir)

SCRIPTS = SOURCE_DIR / "scripts"
USERS = {"alice": "alicepw", "bob": "bobpw", "carol": "carolpw", "dave": "davepw"}
BASE = "o=University of Cambridge,dc=cam,dc=ac,dc=uk"
SMITHS = 25

MUC = "http://jabber.org/protocol/muc"
MUC_USER = MUC + "#user"
MUC_ADMIN = MUC + "#admin"
MUC_OWNER = MUC + "#owner"
DATA = "jabber:x:data"
DELAY = "urn:xmpp:delay"
SID = "urn:xmpp:sid:0"
OCCUPANT_ID = "urn:xmpp:occupant-id:0"
MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
SEARCH = "jabber:iq:search"
REGISTER = "jabber:iq:register"
PING = "urn:xmpp:ping"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
CONFERENCE = "jabber:x:conference"
# Every persistent room in the suite is created by alice, who may keep rooms.
OWNER = "alice"


def _person(uid: str, given: str, sn: str) -> str:
    return (f"dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\n"
            f"objectClass: camLookupPerson\nuid: {uid}\ncn: {given} {sn}\nsn: {sn}\n"
            f"givenName: {given}\ndisplayName: {given} {sn}\nmail: {uid}@cam.ac.uk\n"
            "misAffiliation: student\n\n")


def directory_ldif() -> str:
    out = [f"dn: {BASE}\nobjectClass: organization\no: University of Cambridge\n\n"]
    for ou in ("people", "insts", "groups"):
        out.append(f"dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n\n")
    out.append(_person("alice", "Alice", "Brown"))
    out.append(_person("bob", "Bob", "Brown"))
    for i in range(SMITHS):
        out.append(_person(f"sm{i:03d}", f"Sam{i:03d}", "Smith"))
    return "".join(out)


class Servers:
    """Everything one host server kind's run of the suite needs, started once per module."""

    def __init__(self, host: str):
        self.host_kind = host
        self.dir = run_dir(f"clients-{host}")
        self.pg_dir = self.dir / "pg"
        self.ldap_dir = self.dir / "slapd"
        self.host = HostServer(host, self.dir, components=None, users=dict(USERS))
        self.commonroom: Optional[Commonroom] = None
        self.pg_uri = ""

    def _script(self, name: str, *args: str, env: Optional[dict] = None) -> str:
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / name), *args], capture_output=True,
                             text=True, timeout=180, env={**os.environ, **(env or {})})
        assert out.returncode == 0, f"{name} {args[0]}: {out.stdout}{out.stderr}"
        return out.stdout

    def _cli(self, config: Path, *args: str) -> None:
        p = subprocess.run([str(commonroom_bin()), "--config", str(config), *args],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"commonroom {' '.join(args)}: {p.stdout}{p.stderr}"

    def start(self) -> "Servers":
        out = self._script("postgres.sh", "start", str(self.pg_dir), str(free_port()),
                           env={"PG_FAST": "1"})
        self.pg_uri = re.search(r"PG_URI=(\S+)", out).group(1)
        ldif = self.dir / "people.ldif"
        ldif.write_text(directory_ldif(), encoding="utf-8")
        ldap_port = free_port()
        self._script("slapd.sh", "start", str(self.ldap_dir), str(ldap_port), str(ldif))
        self.host.start()
        config = CommonroomConfig(
            link_port=self.host.component_port, database_uri=self.pg_uri,
            extra={
                "ldap": {"uri": f"ldap://127.0.0.1:{ldap_port}",
                         "jid_template": "{uid}@" + XMPP_DOMAIN, "schedule": "false"},
                "directory": {"refresh_seconds": "1", "rate_limit": "0"},
                "abuse-log": {"journal_dir": str(self.dir / "journal")},
                # alice keeps the reserved rooms; the history flow sends a burst.
                "policy": {"persistent_creators": f"{OWNER}@{XMPP_DOMAIN}",
                           "message_burst": "50"},
            })
        self.commonroom = Commonroom(self.dir, config)
        ini = self.dir / "setup.ini"
        ini.write_text(config.render())
        ini.chmod(0o600)
        self._cli(ini, "migrate")
        self._cli(ini, "directory", "sync", "--full")
        self.commonroom.start()
        self.commonroom.wait_for_log(rf"directory search: {2 + SMITHS} people loaded", timeout=30)
        self.commonroom.wait_connected([MUC_DOMAIN, DIRECTORY_DOMAIN])
        return self

    def stop(self) -> None:
        try:
            if self.commonroom:
                code = self.commonroom.stop()
                assert code == 0, f"commonroom exited with {code}"
        finally:
            try:
                self.host.stop()
            finally:
                self._script("slapd.sh", "stop", str(self.ldap_dir))
                self._script("postgres.sh", "stop", str(self.pg_dir))


# --------------------------------------------------------------------------- results

def results_dir() -> Path:
    build = os.environ.get("COMMONROOM_BUILD_DIR")
    base = Path(build) if build else SOURCE_DIR / ".run"
    path = base / "compat-results"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Results:
    """Outcome of every (stack, flow) for one host; written when the module ends."""

    def __init__(self, host: str):
        self.host = host
        self.rows: dict[str, dict[str, dict]] = {}
        self.rounds: dict[str, dict] = {}
        # stack -> flow -> why the driver builds the request itself (library gap or age).
        self.by_stanza: dict[str, dict[str, str]] = {}
        self.differences: dict[str, dict] = {}

    def record(self, stack: str, flow: str, outcome: str, detail: str = "",
               seconds: float = 0.0) -> None:
        self.rows.setdefault(stack, {})[flow] = {"outcome": outcome, "detail": detail[:300],
                                                 "seconds": round(seconds, 2)}

    def record_round(self, label: str, outcome: str, detail: str, seconds: float) -> None:
        self.rounds[label] = {"outcome": outcome, "detail": detail[:300],
                              "seconds": round(seconds, 2)}

    def record_difference(self, case: str, observed: str) -> None:
        self.differences[case] = {"observed": observed}

    def write(self, versions: dict[str, str], total_seconds: float) -> Path:
        path = results_dir() / f"{self.host}.json"
        path.write_text(json.dumps({"host": self.host, "versions": versions,
                                    "seconds": round(total_seconds, 1), "results": self.rows,
                                    "rounds": self.rounds, "by_stanza": self.by_stanza,
                                    "differences": self.differences},
                                   indent=2, sort_keys=True))
        return path


# --------------------------------------------------------------------------- stanzas
# Received stanzas are handed to the flows as ElementTree elements whatever the library;
# the helpers match local names so a library's namespace spelling does not matter.

def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def ns_of(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def child(el: ET.Element, ns: str, name: str) -> Optional[ET.Element]:
    for c in el:
        if local(c.tag) == name and (ns_of(c.tag) == ns or (ns == "jabber:client" and
                                                            ns_of(c.tag) == "")):
            return c
    return None


def children(el: ET.Element, ns: str, name: str) -> list[ET.Element]:
    return [c for c in el if local(c.tag) == name and ns_of(c.tag) == ns]


def text_of(el: ET.Element, name: str) -> Optional[str]:
    c = child(el, "jabber:client", name)
    return None if c is None else (c.text or "")


def statuses(stanza: ET.Element) -> set[int]:
    x = child(stanza, MUC_USER, "x")
    return set() if x is None else {int(s.get("code")) for s in children(x, MUC_USER, "status")}


def muc_item(stanza: ET.Element) -> Optional[ET.Element]:
    x = child(stanza, MUC_USER, "x")
    return None if x is None else child(x, MUC_USER, "item")


def error_condition(stanza: ET.Element) -> Optional[str]:
    err = child(stanza, "jabber:client", "error")
    if err is None:
        return None
    for c in err:
        if ns_of(c.tag) == STANZAS and local(c.tag) != "text":
            return local(c.tag)
    return None


def is_presence(s: ET.Element, frm: Optional[str] = None, ptype: Optional[str] = None) -> bool:
    return (local(s.tag) == "presence" and (frm is None or s.get("from") == frm) and
            (ptype is None or (s.get("type") or "available") == ptype))


def is_message(s: ET.Element, frm: Optional[str] = None, mtype: Optional[str] = None) -> bool:
    return (local(s.tag) == "message" and (frm is None or s.get("from") == frm) and
            (mtype is None or (s.get("type") or "normal") == mtype))


def xml(stanza: ET.Element) -> str:
    return ET.tostring(stanza, encoding="unicode")


# --------------------------------------------------------------------------- clients

class StanzaError(AssertionError):
    def __init__(self, condition: Optional[str], what: str = ""):
        super().__init__(f"error reply {condition}: {what}")
        self.condition = condition


class BaseClient:
    """What every stack's driver offers the flows. Sending goes through the library's own
    API (each driver's methods); what arrives is kept as ElementTree in `inbox` so the
    flows assert the same payloads whatever the library."""

    stack = "?"

    def __init__(self, name: str, port: int, resource: str):
        import asyncio
        self.name = name
        self.bare = f"{name}@{XMPP_DOMAIN}"
        self.jid = f"{self.bare}/{resource}"
        self.password = USERS[name]
        self.port = port
        self.inbox: list[ET.Element] = []
        self._loop = asyncio.get_running_loop()
        self._arrived = asyncio.Event()

    def _received(self, el: ET.Element) -> None:
        self.inbox.append(el)
        self._arrived.set()

    async def expect(self, predicate, what: str, timeout: float = 6) -> ET.Element:
        """Takes the first stanza in the inbox that matches; waits for it if need be."""
        import asyncio
        deadline = self._loop.time() + timeout
        while True:
            for i, stanza in enumerate(self.inbox):
                if predicate(stanza):
                    del self.inbox[i]
                    return stanza
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                seen = "\n".join(xml(s) for s in self.inbox[-8:])
                raise AssertionError(f"{self.stack} {self.name} never received {what}; "
                                     f"last stanzas:\n{seen}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def settled(self, jid: str) -> None:
        """Everything `jid` sent this client before now has arrived: an iq round trip to it
        (the room answers in order, and the link and the host keep that order)."""
        await self.disco_info(jid)

    def take_all(self, predicate) -> list[ET.Element]:
        hits = [s for s in self.inbox if predicate(s)]
        self.inbox = [s for s in self.inbox if not predicate(s)]
        return hits

    # Every driver implements these through its library; flows a library has no API for
    # are listed in the driver's NOT_OFFERED and never called.
    async def connect(self): raise NotImplementedError
    async def close(self): raise NotImplementedError
    async def disconnect(self): raise NotImplementedError
    async def disco_info(self, jid: str) -> ET.Element: raise NotImplementedError
    async def disco_items(self, jid: str) -> list[str]: raise NotImplementedError
    async def join(self, room: str, nick: str, history: Optional[dict] = None,
                   password: Optional[str] = None) -> ET.Element: raise NotImplementedError
    async def create_instant(self, room: str, nick: str): raise NotImplementedError
    async def configure(self, room: str, values: dict): raise NotImplementedError
    async def say(self, room: str, text: str): raise NotImplementedError
    async def pm(self, room: str, nick: str, text: str): raise NotImplementedError
    async def change_nick(self, room: str, old: str, new: str): raise NotImplementedError
    async def set_subject(self, room: str, subject: str): raise NotImplementedError
    async def kick(self, room: str, nick: str, reason: str): raise NotImplementedError
    async def set_role(self, room: str, nick: str, role: str): raise NotImplementedError
    async def set_affiliation(self, room: str, jid: str, affiliation: str,
                              reason: str = ""): raise NotImplementedError
    async def affiliation_list(self, room: str, affiliation: str) -> list[str]:
        raise NotImplementedError
    async def role_list(self, room: str, role: str) -> list[str]: raise NotImplementedError
    async def leave(self, room: str, nick: str): raise NotImplementedError
    async def leave_bare(self, room: str): raise NotImplementedError
    async def error_presence(self, room: str, nick: str): raise NotImplementedError
    async def invite_mediated(self, room: str, jid: str, reason: str):
        raise NotImplementedError
    async def invite_direct(self, room: str, jid: str, reason: str): raise NotImplementedError
    async def request_voice(self, room: str): raise NotImplementedError
    async def register(self, room: str, nick: str): raise NotImplementedError
    async def mam_page(self, room: str, max_: int, after: Optional[str]) -> tuple[list, str, bool]:
        """One archive page: ([(stanza-id, body)], last id, complete)."""
        raise NotImplementedError
    async def self_ping(self, room: str, nick: str) -> Optional[str]:
        """None when the room answers result, else the error condition."""
        raise NotImplementedError
    async def retract(self, room: str, stanza_id: str, reason: str): raise NotImplementedError
    async def search_legacy(self, fields: dict, rsm: Optional[dict] = None):
        """([jid], rsm {'count','last'} or None)."""
        raise NotImplementedError
    async def search_form(self, values: dict) -> list[str]: raise NotImplementedError
