"""Retention of the abuse log (issue 4): `retention purge` deletes room events older than
[policy] retention_days, except in rooms and by/about users under a legal hold, and records
every purge (and every hold change) in the audit table.

Rows are inserted into a freshly migrated database with psql; holds and purges go through the
commonroom CLI.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from harness import Commonroom, CommonroomConfig, commonroom_bin, free_port, run_dir
from pg_support import Cluster, migrated_database, psql

ROOM_HELD = "held@conference.cam.example"
ROOM_FREE = "free@conference.cam.example"
USER_HELD = "mallory@cam.example"
USER_FREE = "alice@cam.example"
VICTIM = "victim@cam.example"


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


@pytest.fixture()
def env(pg):
    directory = run_dir("retention")
    uri = migrated_database(pg, directory)
    ini = directory / "commonroom.ini"
    ini.write_text(f"[database]\nuri = {uri}\n[policy]\nretention_days = 30\n")
    ini.chmod(0o600)
    return uri, ini


def cli(ini, *args):
    return subprocess.run([str(commonroom_bin()), "--config", str(ini), *args],
                          capture_output=True, text=True, timeout=120)


def insert(uri, event_id, room, days_old, actor=None, target=None):
    actor_sql = "NULL" if actor is None else f"'{actor}/res'"
    target_sql = "NULL" if target is None else f"'{target}'"
    psql(uri, "INSERT INTO room_events (event_id, room, occurred_at, kind, actor_jid, target)"
              f" VALUES ('{event_id}', '{room}', now() - interval '{days_old} days', 'groupchat',"
              f" {actor_sql}, {target_sql})")


def remaining(uri):
    return set(psql(uri, "SELECT event_id FROM room_events ORDER BY event_id").split())


def test_purge_respects_holds_and_is_audited(env):
    uri, ini = env
    insert(uri, "old-free", ROOM_FREE, 40, USER_FREE)
    insert(uri, "old-free-service", ROOM_FREE, 40)
    insert(uri, "new-free", ROOM_FREE, 5, USER_FREE)
    insert(uri, "old-heldroom", ROOM_HELD, 40, USER_FREE)
    insert(uri, "new-heldroom", ROOM_HELD, 1, USER_FREE)
    insert(uri, "old-helduser", ROOM_FREE, 40, USER_HELD)
    insert(uri, "old-heldtarget", ROOM_FREE, 40, USER_FREE, USER_HELD + "/phone")
    insert(uri, "old-otheruser", ROOM_FREE, 45, VICTIM, USER_FREE)

    r = cli(ini, "hold", "place", "room", ROOM_HELD, "--reason", "complaint 17", "--by", "abuse@cam.example")
    assert r.returncode == 0, r.stderr
    r = cli(ini, "hold", "place", "user", USER_HELD, "--reason=police request", "--by=dpo@cam.example")
    assert r.returncode == 0, r.stderr
    r = cli(ini, "hold", "place", "user", USER_HELD, "--reason", "again", "--by", "x")
    assert r.returncode == 1 and "already under a legal hold" in r.stderr
    r = cli(ini, "hold", "place", "user", USER_HELD, "--by", "x")
    assert r.returncode == 2 and "--reason is required" in r.stderr

    r = cli(ini, "hold", "list")
    assert r.returncode == 0, r.stderr
    assert f"room {ROOM_HELD}" in r.stdout and f"user {USER_HELD}" in r.stdout
    assert "complaint 17" in r.stdout

    r = cli(ini, "retention", "purge")
    assert r.returncode == 0, r.stderr
    assert "retention: purged 3 room events older than 30 days" in r.stdout
    assert "1 rooms and 1 users under legal hold kept" in r.stdout
    assert remaining(uri) == {"new-free", "old-heldroom", "new-heldroom", "old-helduser",
                              "old-heldtarget"}

    rows = psql(uri, "SELECT actor, object, detail FROM audit WHERE action = 'retention.purge'")
    actor, obj, detail = rows.split("|")
    detail = json.loads(detail)
    assert obj == "room_events" and actor == "cli"
    assert detail["deleted"] == 3 and detail["days"] == 30
    assert detail["held_rooms"] == 1 and detail["held_users"] == 1
    assert detail["cutoff"]
    assert psql(uri, "SELECT count(*) FROM audit WHERE action = 'retention.hold.place'") == "2"

    # Releasing the holds lets the next purge remove what has expired.
    r = cli(ini, "hold", "release", "room", ROOM_HELD, "--by", "abuse@cam.example")
    assert r.returncode == 0, r.stderr
    r = cli(ini, "hold", "release", "user", USER_HELD, "--by", "dpo@cam.example")
    assert r.returncode == 0, r.stderr
    r = cli(ini, "hold", "release", "user", USER_HELD, "--by", "dpo@cam.example")
    assert r.returncode == 1 and "not under a legal hold" in r.stderr
    assert cli(ini, "hold", "list").stdout.strip() == "no legal holds"
    assert psql(uri, "SELECT released_by FROM legal_holds WHERE kind = 'room'") == "abuse@cam.example"

    r = cli(ini, "retention", "purge")
    assert r.returncode == 0, r.stderr
    assert "purged 3 room events" in r.stdout
    assert remaining(uri) == {"new-free", "new-heldroom"}
    counts = psql(uri, "SELECT detail->>'deleted' FROM audit WHERE action = 'retention.purge'"
                       " ORDER BY id")
    assert counts.split() == ["3", "3"]
    assert psql(uri, "SELECT count(*) FROM audit WHERE action = 'retention.hold.release'") == "2"


def test_purge_needs_retention_days(pg):
    directory = run_dir("retention-zero")
    uri = migrated_database(pg, directory)
    ini = directory / "commonroom.ini"
    ini.write_text(f"[database]\nuri = {uri}\n")
    ini.chmod(0o600)
    insert(uri, "old", ROOM_FREE, 4000, USER_FREE)
    r = cli(ini, "retention", "purge")
    assert r.returncode == 1 and "retention_days is 0" in r.stderr
    assert remaining(uri) == {"old"}


def test_run_purges_at_start_and_stops_promptly(pg):
    directory = run_dir("retention-run")
    uri = migrated_database(pg, directory)
    insert(uri, "old", ROOM_FREE, 40, USER_FREE)
    insert(uri, "new", ROOM_FREE, 1, USER_FREE)
    config = CommonroomConfig(link_port=free_port(), muc=None, directory=None, database_uri=uri,
                              extra={"policy": {"retention_days": "30",
                                                "retention_check_hours": "1"}})
    service = Commonroom(directory, config).start()
    try:
        service.wait_for_log(r"retention: purged 1 room events older than 30 days \(cutoff "
                             r"[0-9T:.Z-]+\); 0 rooms and 0 users under legal hold kept",
                             timeout=20)
        assert remaining(uri) == {"new"}
        assert psql(uri, "SELECT actor FROM audit WHERE action = 'retention.purge'") == "system"
    finally:
        assert service.stop(timeout=10) == 0
