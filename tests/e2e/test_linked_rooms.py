"""Rooms linked to institutions and groups of the directory, end to end: people in a real
slapd, synced into a real PostgreSQL by `commonroom directory sync`, a members-only college
room in `commonroom run` linked to the college, real slixmpp clients through a real Prosody.
Members of the college get in, others do not; when Lookup moves someone out of the college
and the directory is synced, they are removed from the room they are in (status 321).

The tests share one set of servers and run in file order.
"""
from __future__ import annotations

import asyncio
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rooms_support import (DATA, MUC, MUC_OWNER, USERS, Cluster, Commonroom,
                           CommonroomConfig, HostServer, MUC_DOMAIN, StanzaError, User,
                           XMPP_DOMAIN, commonroom_bin, item, psql, q, run, run_dir, statuses)
from harness import SOURCE_DIR, free_port  # noqa: E402 (rooms_support put it on the path)
from pg_support import migrated_database, psql_eventually  # noqa: E402

SCRIPTS = SOURCE_DIR / "scripts"
BASE = "o=University of Cambridge,dc=cam,dc=ac,dc=uk"
ROOTDN = f"cn=admin,{BASE}"
ROOTPW = "commonroom-ldap-admin"
LINKED = "x-commonroom#linked"
TRINITY = f"trinity@{MUC_DOMAIN}"


def person(uid: str, name: str, *insts: str) -> str:
    lines = [f"dn: uid={uid},ou=people,{BASE}", "objectClass: inetOrgPerson",
             "objectClass: camLookupPerson", f"uid: {uid}", f"cn: {name} Example",
             "sn: Example", f"givenName: {name}", "misAffiliation: staff"]
    lines += [f"instID: {i}" for i in insts]
    return "\n".join(lines) + "\n\n"


def directory_ldif() -> str:
    out = [f"dn: {BASE}\nobjectClass: organization\no: University of Cambridge\n\n"]
    for ou in ("people", "insts", "groups"):
        out.append(f"dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n\n")
    for inst, name in (("TRIN", "Trinity College"), ("KINGS", "King's College")):
        out.append(f"dn: instID={inst},ou=insts,{BASE}\nobjectClass: camLookupInstitution\n"
                   f"instID: {inst}\nou: {name}\n\n")
    # The people are also the XMPP accounts the tests log in with ({uid}@cam.example).
    out.append(person("alice", "Alice", "TRIN"))
    out.append(person("bob", "Bob", "TRIN"))
    out.append(person("carol", "Carol", "KINGS"))
    out.append(person("dave", "Dave"))
    out.append(f"dn: groupID=100656,ou=groups,{BASE}\nobjectClass: camLookupGroup\n"
               f"groupID: 100656\ngroupTitle: Chess club\nuid: dave\n\n")
    return "".join(out)


class Env:
    def __init__(self, root: Path):
        self.root = root
        self.pg = Cluster()
        self.pg.start()
        self.db_uri = migrated_database(self.pg, root, "linked")
        self.ldif = root / "people.ldif"
        self.ldif.write_text(directory_ldif(), encoding="utf-8")
        self.ldap_dir = root / "slapd"
        self.ldap_port = free_port()
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "start",
                              str(self.ldap_dir), str(self.ldap_port), str(self.ldif)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        self.prosody = HostServer("prosody", root, components={MUC_DOMAIN: "muc-s3cret"},
                                  users=dict(USERS)).start()
        config = CommonroomConfig(
            link_port=self.prosody.component_port, muc=(MUC_DOMAIN, "muc-s3cret"),
            directory=None, database_uri=self.db_uri,
            extra={"ldap": {"uri": f"ldap://127.0.0.1:{self.ldap_port}",
                            "jid_template": "{uid}@" + XMPP_DOMAIN, "schedule": "false"},
                   "abuse-log": {"journal_dir": str(root / "journal")},
                   # alice is college staff: she may link rooms; carol may not.
                   "policy": {"persistent_creators": f"alice@{XMPP_DOMAIN}"}})
        self.commonroom = Commonroom(root, config)
        self.config_path = root / "cli.ini"
        self.config_path.write_text(config.render())
        self.config_path.chmod(0o600)
        self.cli("directory", "sync", "--full")
        self.start()

    def start(self) -> None:
        mark = self.commonroom.log_mark()
        self.commonroom.start()
        self.commonroom.wait_for_log(r"linked rooms: \d+ institutions and groups", after=mark)
        self.commonroom.wait_connected([MUC_DOMAIN], after=mark)

    def cli(self, *args: str) -> str:
        p = subprocess.run([str(commonroom_bin()), "--config", str(self.config_path), *args],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"commonroom {' '.join(args)}: {p.stdout}{p.stderr}"
        return p.stdout

    def ldap_modify(self, ldif: str) -> None:
        subprocess.run(["ldapmodify", "-x", "-H", f"ldap://127.0.0.1:{self.ldap_port}", "-D",
                        ROOTDN, "-w", ROOTPW], input=ldif, text=True, capture_output=True,
                       check=True)

    def stop(self) -> None:
        try:
            assert self.commonroom.stop() == 0
        finally:
            self.prosody.stop()
            subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "stop",
                            str(self.ldap_dir)])
            self.pg.stop()


@pytest.fixture(scope="module")
def env():
    e = Env(run_dir("linked-rooms"))
    yield e
    e.stop()


def config_form(fields: dict[str, object]) -> ET.Element:
    query = ET.Element(q(MUC_OWNER, "query"))
    x = ET.SubElement(query, q(DATA, "x"), type="submit")
    f = ET.SubElement(x, q(DATA, "field"), var="FORM_TYPE", type="hidden")
    ET.SubElement(f, q(DATA, "value")).text = MUC + "#roomconfig"
    for var, value in fields.items():
        f = ET.SubElement(x, q(DATA, "field"), var=var)
        for v in value if isinstance(value, list) else [value]:
            ET.SubElement(f, q(DATA, "value")).text = str(v)
    return query


def xml(stanza: ET.Element) -> str:
    return ET.tostring(stanza, encoding="unicode")


def test_a_college_room_admits_the_colleges_people_and_refuses_others(env):
    async def body_():
        alice = await User("alice", env.prosody.c2s_port).connect()
        bob = await User("bob", env.prosody.c2s_port).connect()
        carol = await User("carol", env.prosody.c2s_port).connect()
        await alice.create(TRINITY, "alice", {
            "muc#roomconfig_persistentroom": "1", "muc#roomconfig_membersonly": "1",
            LINKED: "inst:TRIN"})
        me = await bob.join(TRINITY, "bob")
        assert item(me).get("affiliation") == "member", xml(me)
        with pytest.raises(StanzaError) as refused:
            await carol.join(TRINITY, "carol")
        assert refused.value.condition == "registration-required", refused.value
        # Linked members are not written into the member list (a college has thousands).
        query = ET.Element(q(MUC + "#admin", "query"))
        ET.SubElement(query, q(MUC + "#admin", "item"), affiliation="member")
        listed = await alice.iq(TRINITY, "get", query)
        assert list(listed) == [], xml(listed)

    run(body_)
    stored = psql(env.db_uri, f"SELECT config->'linked' FROM rooms WHERE jid = '{TRINITY}'")
    assert stored == '["inst:TRIN"]', stored


def test_only_those_who_may_keep_rooms_may_link_one(env):
    room = f"carolsroom@{MUC_DOMAIN}"

    async def body_():
        carol = await User("carol", env.prosody.c2s_port).connect()
        await carol.create(room, "carol")
        with pytest.raises(StanzaError) as refused:
            await carol.iq(room, "set", config_form({LINKED: "inst:KINGS"}))
        assert refused.value.condition == "forbidden", refused.value
        assert "may link a room to institutions or groups" in xml(refused.value.stanza)
        alice = await User("alice", env.prosody.c2s_port).connect()
        await alice.create(f"typo@{MUC_DOMAIN}", "alice")
        with pytest.raises(StanzaError) as unknown:
            await alice.iq(f"typo@{MUC_DOMAIN}", "set", config_form({LINKED: "inst:TRINN"}))
        assert unknown.value.condition == "not-acceptable", unknown.value
        assert 'the directory has no institution "TRINN"' in xml(unknown.value.stanza)

    run(body_)


def test_someone_the_directory_moves_out_of_the_college_is_removed_from_the_room(env):
    async def body_():
        alice = await User("alice", env.prosody.c2s_port).connect()
        bob = await User("bob", env.prosody.c2s_port).connect()
        await alice.join(TRINITY, "alice")
        await bob.join(TRINITY, "bob")
        await alice.presence_from(f"{TRINITY}/bob", "bob in the room")

        # Lookup moves bob from Trinity to King's; the next sync brings that in.
        env.ldap_modify(f"dn: uid=bob,ou=people,{BASE}\nchangetype: modify\n"
                        "replace: instID\ninstID: KINGS\n")
        started = time.monotonic()
        await asyncio.to_thread(env.cli, "directory", "sync")
        gone = await bob.expect(lambda s: s.get("from") == f"{TRINITY}/bob" and
                                s.get("type") == "unavailable", "removal from the room",
                                timeout=15)
        elapsed = time.monotonic() - started
        assert {110, 321} <= statuses(gone), xml(gone)
        assert item(gone).get("affiliation") == "none", xml(gone)
        seen = await alice.expect(lambda s: s.get("from") == f"{TRINITY}/bob" and
                                  s.get("type") == "unavailable", "bob removed", timeout=5)
        assert statuses(seen) == {321}, xml(seen)
        # The sync notifies the service: no waiting for the 10 s poll.
        assert elapsed < 8, f"removal took {elapsed:.1f} s after the sync started"
        with pytest.raises(StanzaError) as refused:
            await bob.join(TRINITY, "bob")
        assert refused.value.condition == "registration-required", refused.value

    run(body_, timeout=60)
    events = psql_eventually(
        env.db_uri,
        "SELECT kind, coalesce(target, ''), coalesce(detail->>'via', detail->>'cause')"
        f" FROM room_events WHERE room = '{TRINITY}' AND kind IN"
        " ('affiliation_change', 'exit') ORDER BY seq",
        lambda v: "affiliation change" in v and "linked" in v)
    rows = [line.split("|") for line in events.splitlines()]
    assert ["affiliation_change", f"bob@{XMPP_DOMAIN}", "linked"] in rows, events
    # The service removed bob, not an occupant: no actor on the affiliation change.
    actor = psql(env.db_uri, "SELECT coalesce(actor_jid, 'NULL') FROM room_events WHERE"
                 f" room = '{TRINITY}' AND kind = 'affiliation_change'")
    assert actor in ("", "NULL"), actor
    assert any(r[0] == "exit" and r[2] == "affiliation change" for r in rows), events


def test_links_survive_a_restart_and_a_group_link_admits_its_members(env):
    assert env.commonroom.stop() == 0
    # A room saved by a binary from before linked rooms: its config has no "linked" key.
    old = f"oldroom@{MUC_DOMAIN}"
    psql(env.db_uri, "INSERT INTO rooms (jid, config, occupant_id_secret, created_at, created_by)"
         f" VALUES ('{old}', '{{\"name\": \"Old\", \"persistent\": true}}', 's3cret', now(),"
         f" 'alice@{XMPP_DOMAIN}')")
    psql(env.db_uri, "INSERT INTO room_affiliations (room, jid, affiliation)"
         f" VALUES ('{old}', 'alice@{XMPP_DOMAIN}', 'owner')")
    env.start()
    assert "restored 2 persistent room(s)" in env.commonroom.log_text()
    chess = f"chess@{MUC_DOMAIN}"

    async def body_():
        alice = await User("alice", env.prosody.c2s_port).connect()
        bob = await User("bob", env.prosody.c2s_port).connect()
        dave = await User("dave", env.prosody.c2s_port).connect()
        # Still linked after the restart: alice (Trinity) in, bob (now King's) out.
        await alice.join(TRINITY, "alice")
        with pytest.raises(StanzaError):
            await bob.join(TRINITY, "bob")
        await alice.create(chess, "alice", {"muc#roomconfig_membersonly": "1",
                                            LINKED: ["group:100656"]})
        me = await dave.join(chess, "dave")
        assert item(me).get("affiliation") == "member", xml(me)
        # The old room loaded unlinked: open to anyone, dave is nobody's member there.
        me = await dave.join(old, "dave")
        assert item(me).get("affiliation") == "none", xml(me)

    run(body_)
