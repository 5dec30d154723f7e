"""Persistent rooms for staff named by the directory ("persistent rooms only for
configured roles, e.g. staff from the directory's affiliation"): with
`persistent_creators = directory:staff`, people Lookup lists as staff (misAffiliation) may
make their rooms persistent and students may not. Real slapd, `commonroom directory sync`
into a real PostgreSQL, a real Prosody and slixmpp clients.
"""
from __future__ import annotations

import subprocess

import pytest

from rooms_support import MUC_DOMAIN, StanzaError, User, run
from harness import (DIRECTORY_DOMAIN, DIRECTORY_SECRET, MUC_SECRET, SOURCE_DIR, Commonroom,
                     CommonroomConfig, HostServer, commonroom_bin, free_port, run_dir)
from pg_support import Cluster, migrated_database

BASE = "o=University of Cambridge,dc=cam,dc=ac,dc=uk"
SLAPD = SOURCE_DIR / "scripts" / "lib" / "slapd.sh"


def person(uid: str, name: str, affiliation: str) -> str:
    given, sn = name.split(" ", 1)
    return (f"dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\n"
            f"objectClass: camLookupPerson\nuid: {uid}\ncn: {name}\nsn: {sn}\n"
            f"givenName: {given}\ndisplayName: {name}\nmail: {uid}@cam.ac.uk\n"
            f"misAffiliation: {affiliation}\n\n")


@pytest.fixture(scope="module")
def env():
    root = run_dir("staff-rooms-e2e")
    pg = Cluster()
    pg.start()
    ldif = root / "people.ldif"
    ldif.write_text(f"dn: {BASE}\nobjectClass: organization\no: University of Cambridge\n\n"
                    + "".join(f"dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n\n"
                              for ou in ("people", "insts", "groups"))
                    + person("alice", "Alice Brown", "staff")
                    + person("bob", "Bob Brown", "student"), encoding="utf-8")
    ldap_dir, ldap_port = root / "slapd", free_port()
    host = None
    cr = None
    try:
        out = subprocess.run(["bash", str(SLAPD), "start", str(ldap_dir), str(ldap_port),
                              str(ldif)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        db = migrated_database(pg, root, "staff")
        host = HostServer("prosody", root).start()
        config = CommonroomConfig(
            link_port=host.component_port, muc=(MUC_DOMAIN, MUC_SECRET),
            directory=(DIRECTORY_DOMAIN, DIRECTORY_SECRET), database_uri=db,
            extra={"ldap": {"uri": f"ldap://127.0.0.1:{ldap_port}",
                            "jid_template": "{uid}@cam.example", "schedule": "false"},
                   "directory": {"refresh_seconds": "1"},
                   "abuse-log": {"journal_dir": str(root / "journal")},
                   "policy": {"persistent_creators": "directory:staff"}})
        cr = Commonroom(root, config)
        cr.config_path.write_text(config.render())
        cr.config_path.chmod(0o600)
        sync = subprocess.run([str(commonroom_bin()), "--config", str(cr.config_path),
                               "directory", "sync", "--full"],
                              capture_output=True, text=True, timeout=120)
        assert sync.returncode == 0, sync.stderr
        cr.start()
        cr.wait_for_log(r"directory search: 2 people loaded", timeout=30)
        cr.wait_connected([MUC_DOMAIN, DIRECTORY_DOMAIN])
        yield host
    finally:
        if cr:
            cr.stop()
        if host:
            host.stop()
        subprocess.run(["bash", str(SLAPD), "stop", str(ldap_dir)], capture_output=True)
        pg.stop()


def test_directory_staff_may_make_rooms_persistent_and_students_may_not(env):
    async def body_():
        alice = await User("alice", env.c2s_port).connect()
        bob = await User("bob", env.c2s_port).connect()
        await alice.create(f"staffroom@{MUC_DOMAIN}", "alice",
                           {"muc#roomconfig_persistentroom": "1"})
        with pytest.raises(StanzaError) as refused:
            await bob.create(f"studentroom@{MUC_DOMAIN}", "bob",
                             {"muc#roomconfig_persistentroom": "1"})
        assert refused.value.condition == "not-acceptable", refused.value
        assert "only staff and users granted it may create persistent rooms" in \
            str(refused.value)
        # Students still have temporary rooms.
        await bob.create(f"studygroup@{MUC_DOMAIN}", "bob")

    run(body_)
