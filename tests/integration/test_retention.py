"""Retention of the abuse log: `retention purge` deletes room events older than
[policy] retention_days, except in rooms and by/about users under a legal hold (and the
conversation around a held user's events), and records every purge (and every hold
change) in the audit table. Hold subjects are prepared JIDs, like the log's.

Rows are inserted into a freshly migrated database with psql; holds and purges go through the
commonroom CLI.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from harness import SOURCE_DIR, Commonroom, CommonroomConfig, commonroom_bin, free_port, run_dir
from pg_support import Cluster, migrated_database, psql, with_database

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


def insert_at(uri, event_id, room, at, actor=None, target=None, kind="groupchat"):
    """An event at an exact instant (a datetime), so context windows can be tested."""
    actor_sql = "NULL" if actor is None else f"'{actor}/res'"
    target_sql = "NULL" if target is None else f"'{target}'"
    psql(uri, "INSERT INTO room_events (event_id, room, occurred_at, kind, actor_jid, target)"
              f" VALUES ('{event_id}', '{room}', '{at.isoformat()}', '{kind}', {actor_sql},"
              f" {target_sql})")


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
    # No context: this test is about whose events a hold matches (the context around a
    # user's events has its own test below).
    r = cli(ini, "hold", "place", "user", USER_HELD, "--reason=police request", "--by=dpo@cam.example",
            "--context-minutes", "0")
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


LOBBY = "lobby@conference.cam.example"
MALLORY = "mallory@cam.example"
DOERTE = "dörte@cam.example"


def test_holds_typed_in_any_case_or_form_keep_the_logged_events(env):
    """The log stores prepared JIDs; a hold typed as Mallory@CAM.example, with a capital
    non-ASCII letter or a decomposed umlaut must keep exactly those events."""
    uri, ini = env
    insert(uri, "lobby-old", LOBBY, 40, USER_FREE)
    insert(uri, "mallory-old", ROOM_FREE, 45, MALLORY)
    insert(uri, "doerte-old", ROOM_FREE, 50, DOERTE)
    insert(uri, "doerte-kicked", ROOM_HELD, 55, USER_FREE, DOERTE + "/laptop")
    insert(uri, "other-old", ROOM_FREE, 60, USER_FREE)

    r = cli(ini, "hold", "place", "room", "Lobby@Conference.cam.example", "--reason", "case 1",
            "--by", "abuse@cam.example")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"legal hold {r.stdout.split()[2]} placed on room {LOBBY} (typed as Lobby@Conference.cam.example)",
        "it covers 1 logged events now (the room's whole log)"]
    assert r.stderr == ""
    r = cli(ini, "hold", "place", "user", "Mallory@CAM.example", "--reason", "case 2",
            "--by", "abuse@cam.example", "--context-minutes", "0")
    assert r.returncode == 0, r.stderr
    assert f"placed on user {MALLORY} (typed as Mallory@CAM.example)" in r.stdout
    assert (f"it covers 1 logged events now: 1 by or about {MALLORY} and 0 others in the same"
            " rooms within 0 minutes of those") in r.stdout
    # "o" + COMBINING DIAERESIS, capitalised: the same user as dörte once prepared.
    r = cli(ini, "hold", "place", "user", "Do\u0308rte@CAM.example", "--reason", "case 3",
            "--by", "abuse@cam.example", "--context-minutes=0")
    assert r.returncode == 0, r.stderr
    assert f"placed on user {DOERTE} (typed as Do\u0308rte@CAM.example)" in r.stdout
    assert f"it covers 2 logged events now: 2 by or about {DOERTE}" in r.stdout
    r = cli(ini, "hold", "place", "user", "DÖRTE@cam.example", "--reason", "again", "--by", "x")
    assert r.returncode == 1
    assert f"user {DOERTE} is already under a legal hold" in r.stderr

    stored = psql(uri, "SELECT subject, typed_subject FROM legal_holds ORDER BY id").splitlines()
    assert stored == [f"{LOBBY}|Lobby@Conference.cam.example", f"{MALLORY}|Mallory@CAM.example",
                      f"{DOERTE}|Do\u0308rte@CAM.example"]
    r = cli(ini, "hold", "list")
    assert f"room {LOBBY} (typed as Lobby@Conference.cam.example) placed " in r.stdout
    assert f"user {MALLORY} (typed as Mallory@CAM.example) with 0 minutes of context" in r.stdout

    r = cli(ini, "retention", "purge")
    assert r.returncode == 0, r.stderr
    assert "purged 1 room events" in r.stdout and "1 rooms and 2 users" in r.stdout
    assert remaining(uri) == {"lobby-old", "mallory-old", "doerte-old", "doerte-kicked"}

    # Released the same way, whatever case it is typed in.
    r = cli(ini, "hold", "release", "user", "MALLORY@Cam.Example", "--by", "abuse@cam.example")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"legal hold on user {MALLORY} released\n"
    r = cli(ini, "retention", "purge")
    assert remaining(uri) == {"lobby-old", "doerte-old", "doerte-kicked"}
    assert psql(uri, "SELECT object FROM audit WHERE action = 'retention.hold.release'") == MALLORY


def test_hold_on_what_is_not_a_bare_jid_is_refused(env):
    uri, ini = env
    for text, why in [("mallory cam.example", "is not a JID: domain"),
                      ("mal lory@cam.example", "is not a JID: node"),
                      ("mallory@cam.example/phone", "has a resource (/phone)"),
                      ("cam.example", "a user hold needs the user's bare JID")]:
        r = cli(ini, "hold", "place", "user", text, "--reason", "r", "--by", "x")
        assert r.returncode == 1 and why in r.stderr, (text, r.stderr)
    r = cli(ini, "hold", "place", "room", "conference.cam.example", "--reason", "r", "--by", "x")
    assert r.returncode == 1 and "a room hold needs the room's bare JID" in r.stderr
    r = cli(ini, "hold", "place", "room", LOBBY, "--reason", "r", "--by", "x",
            "--context-minutes", "5")
    assert r.returncode == 2 and "applies to user holds only" in r.stderr
    r = cli(ini, "hold", "place", "user", MALLORY, "--reason", "r", "--by", "x",
            "--context-minutes", "lots")
    assert r.returncode == 2 and "--context-minutes needs a whole number" in r.stderr
    assert psql(uri, "SELECT count(*) FROM legal_holds") == "0"


def test_hold_that_covers_nothing_warns(env):
    uri, ini = env
    insert(uri, "mallory", ROOM_FREE, 1, MALLORY)
    r = cli(ini, "hold", "place", "user", "mallory@cam.exmaple", "--reason", "typo",
            "--by", "abuse@cam.example")
    assert r.returncode == 0, r.stderr
    assert "it covers 0 logged events now" in r.stdout
    assert ("warning: this hold covers no logged events yet — check the JID"
            " (mallory@cam.exmaple)") in r.stderr
    r = cli(ini, "hold", "place", "room", "lobby@conference.cam.exmaple", "--reason", "typo",
            "--by", "abuse@cam.example")
    assert r.returncode == 0 and "covers no logged events yet" in r.stderr


def test_user_hold_keeps_the_conversation_around_the_users_events(env):
    """The other side of the conversation is evidence too: a user hold keeps every event in
    the same room within its context of an event by or about the user."""
    uri, ini = env
    t = datetime.now(timezone.utc) - timedelta(days=40)
    m = timedelta(minutes=1)
    insert_at(uri, "before-window", ROOM_FREE, t - 61 * m, VICTIM)
    insert_at(uri, "victim-asks", ROOM_FREE, t - 30 * m, VICTIM)
    insert_at(uri, "mallory-1", ROOM_FREE, t, MALLORY)
    insert_at(uri, "victim-answers", ROOM_FREE, t + 20 * m, VICTIM)
    insert_at(uri, "mallory-2", ROOM_FREE, t + 50 * m, MALLORY)   # the window grows with her
    insert_at(uri, "bystander", ROOM_FREE, t + 100 * m, USER_FREE)
    insert_at(uri, "after-window", ROOM_FREE, t + 111 * m, USER_FREE)
    insert_at(uri, "other-room", ROOM_HELD, t, USER_FREE)       # same time, another room
    # A moderator kicks her elsewhere: events about her anchor the context too.
    insert_at(uri, "kick-context", LOBBY, t - 3 * 24 * 60 * m - 10 * m, USER_FREE)
    insert_at(uri, "kick", LOBBY, t - 3 * 24 * 60 * m, USER_FREE, MALLORY + "/phone", "kick")
    insert_at(uri, "recent", ROOM_FREE, datetime.now(timezone.utc) - 2 * m, USER_FREE)

    r = cli(ini, "hold", "place", "user", MALLORY, "--reason", "complaint 9", "--by", "abuse")
    assert r.returncode == 0, r.stderr
    assert (f"it covers 7 logged events now: 3 by or about {MALLORY} and 4 others in the same"
            " rooms within 60 minutes of those") in r.stdout

    r = cli(ini, "retention", "purge")
    assert r.returncode == 0, r.stderr
    assert "purged 3 room events" in r.stdout
    assert remaining(uri) == {"victim-asks", "mallory-1", "victim-answers", "mallory-2",
                              "bystander", "kick-context", "kick", "recent"}


def schema_up_to(directory, version):
    """A copy of schema/ holding only the migrations up to `version`."""
    old = directory / f"schema-{version}"
    old.mkdir()
    for f in sorted((SOURCE_DIR / "schema").glob("[0-9][0-9][0-9][0-9]_*.sql")):
        if int(f.name[:4]) <= version:
            shutil.copy(f, old / f.name)
    return old


def test_migrate_prepares_holds_stored_as_typed(pg):
    """Holds placed before 0008 were stored as typed: migrate prepares them, merges two that
    turn out to be the same JID, and reports one that cannot be prepared, every time, while
    the purge warns about it."""
    directory = run_dir("retention-migrate")
    name = "holds_legacy"
    psql(with_database(pg.uri, "postgres"), f"DROP DATABASE IF EXISTS {name}")
    psql(with_database(pg.uri, "postgres"), f"CREATE DATABASE {name}")
    uri = with_database(pg.uri, name)
    ini = directory / "commonroom.ini"
    ini.write_text(f"[database]\nuri = {uri}\n[policy]\nretention_days = 30\n")
    ini.chmod(0o600)
    r = cli(ini, "migrate", "--schema", str(schema_up_to(directory, 7)))
    assert r.returncode == 0, r.stderr
    holds = [("room", "Lobby@Conference.cam.example", None),
             ("user", "Mallory@CAM.example", None),
             ("user", "Dörte@cam.example", None),
             ("user", "dörte@cam.example", None),
             ("user", "bad jid@cam.example", None),
             ("user", "Gone@cam.example", "now()")]
    for kind, subject, released in holds:
        psql(uri, "INSERT INTO legal_holds (kind, subject, reason, placed_by, released_at)"
                  f" VALUES ('{kind}', '{subject}', 'old hold', 'abuse',"
                  f" {released or 'NULL'})")
    insert(uri, "lobby", LOBBY, 40, USER_FREE)
    insert(uri, "mallory", ROOM_FREE, 41, MALLORY)
    insert(uri, "doerte", ROOM_HELD, 42, DOERTE)
    insert(uri, "other", ROOM_FREE, 43, USER_FREE)

    r = cli(ini, "migrate")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert "applied 0008_legal_hold_jids.sql" in out
    assert "legal hold 1 (room Lobby@Conference.cam.example) is now on " + LOBBY in out
    assert "legal hold 2 (user Mallory@CAM.example) is now on " + MALLORY in out
    assert ("legal hold 3 (user Dörte@cam.example) is dörte@cam.example once prepared, already"
            " held by hold 4; released into it") in out
    assert "legal hold 6 (user Gone@cam.example) is now on gone@cam.example" in out
    assert ('warning: legal hold 5 (user "bad jid@cam.example") protects nothing: "bad'
            ' jid@cam.example" is not a JID: node') in r.stderr
    assert psql(uri, "SELECT id, subject, coalesce(typed_subject, '-'), released_at IS NOT NULL,"
                     " subject_problem IS NOT NULL FROM legal_holds ORDER BY id").splitlines() == [
        f"1|{LOBBY}|Lobby@Conference.cam.example|f|f",
        f"2|{MALLORY}|Mallory@CAM.example|f|f",
        "3|dörte@cam.example|Dörte@cam.example|t|f",
        "4|dörte@cam.example|-|f|f",
        "5|bad jid@cam.example|-|f|t",
        "6|gone@cam.example|Gone@cam.example|t|f"]
    assert psql(uri, "SELECT released_by FROM legal_holds WHERE id = 3") == "commonroom migrate"
    assert psql(uri, "SELECT count(*) FROM audit WHERE action = 'retention.hold.prepare'"
                     " AND actor = 'commonroom migrate'") == "5"

    r = cli(ini, "retention", "purge")
    assert r.returncode == 0, r.stderr
    assert "purged 1 room events" in r.stdout
    assert ("warning: 1 legal holds name something that is not a JID and protect nothing"
            " (see commonroom hold list)") in r.stdout
    assert remaining(uri) == {"lobby", "mallory", "doerte"}
    r = cli(ini, "hold", "list")
    assert "user bad jid@cam.example with 60 minutes of context placed" in r.stdout
    assert "  warning: this hold protects nothing: \"bad jid@cam.example\" is not a JID" in r.stdout

    # Idempotent: nothing to prepare again, but the broken hold is reported until released.
    r = cli(ini, "migrate")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1
    assert r.stdout.startswith("database schema is up to date")
    assert "legal hold 5" in r.stderr
    r = cli(ini, "hold", "release", "user", "bad jid@cam.example", "--by", "abuse")
    assert r.returncode == 0, r.stderr
    r = cli(ini, "migrate")
    assert r.returncode == 0 and r.stderr == ""
    assert psql(uri, "SELECT count(*) FROM audit WHERE action = 'retention.hold.prepare'") == "5"
