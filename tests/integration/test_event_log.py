"""The abuse log's durability against a real PostgreSQL.

bench/event_log_bench --drive is the traffic source: it submits one-event tickets to
store::EventLog at a fixed rate and appends each event id to a file only after its ticket
completed, i.e. at the moment commonroom would send the stanzas the event caused. So
"every id in that file is in room_events" is "every message a client received is logged".

Starts its own PostgreSQL 15 cluster (fsync on: durability is what is tested) with
scripts/lib/postgres.sh on a free port, a fresh database per test, and applies the
migrations with `commonroom migrate`.
"""
import json
import os
import signal
import struct
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pg_support import Cluster, psql, with_database
from harness import TcpProxy, free_port

SOURCE_DIR = Path(os.environ.get("COMMONROOM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("COMMONROOM_BUILD_DIR", SOURCE_DIR / "build"))
BIN = os.environ.get("COMMONROOM_BIN") or str(BUILD_DIR / "app" / "commonroom")
DRIVER = BUILD_DIR / "bench" / "event_log_bench"


@pytest.fixture(scope="module")
def cluster():
    assert DRIVER.exists(), f"{DRIVER} is not built (ninja event_log_bench)"
    c = Cluster()
    c.start()
    yield c
    c.stop()


@pytest.fixture
def db(cluster, tmp_path):
    """A fresh database with the migrations applied."""
    name = "eventlog_" + uuid.uuid4().hex[:12]
    psql(with_database(cluster.uri, "postgres"), f"CREATE DATABASE {name}")
    uri = with_database(cluster.uri, name)
    config = tmp_path / "commonroom.ini"
    config.write_text(f"[database]\nuri = {uri}\n")
    config.chmod(0o600)
    migrated = subprocess.run([BIN, "--config", str(config), "migrate"], capture_output=True,
                              text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    yield uri
    cluster.start()  # a no-op unless a failed test left it crashed
    psql(with_database(cluster.uri, "postgres"), f"DROP DATABASE {name} WITH (FORCE)")


class Driver:
    def __init__(self, tmp_path, uri, n, rate, mode, prefix="drive", extra=()):
        self.completed = tmp_path / "completed.txt"
        self.journal = tmp_path / "journal"
        self.stderr_path = tmp_path / f"driver-{time.monotonic_ns()}.err"
        self.args = [str(DRIVER), "--drive", str(n), "--rate", str(rate), "--mode", mode,
                     "--database", uri, "--journal-dir", str(self.journal),
                     "--completed", str(self.completed), "--prefix", prefix,
                     "--drain-timeout", "60", *extra]
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=open(self.stderr_path, "w"), text=True)

    def finish(self, timeout=180):
        out, _ = self.proc.communicate(timeout=timeout)
        stats = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        return self.proc.returncode, stats, self.stderr_path.read_text()

    def completed_ids(self):
        if not self.completed.exists():
            return []
        return self.completed.read_text().splitlines()


def traffic_figures(db):
    """What the admin web shows: each room's newest message and the messages per hour."""
    return (psql(db, "SELECT room, last_message_at FROM room_activity ORDER BY room"),
            psql(db, "SELECT hour, messages FROM room_message_hours ORDER BY hour"))


def expected_traffic_figures(db):
    """The same figures counted from room_events itself."""
    return (psql(db, "SELECT room, max(occurred_at) FROM room_events WHERE kind = 'groupchat'"
                     " GROUP BY room ORDER BY room"),
            psql(db, "SELECT date_trunc('hour', occurred_at), count(*) FROM room_events"
                     " WHERE kind = 'groupchat' GROUP BY 1 ORDER BY 1"))


def journal_backlog_bytes(journal_dir):
    """Bytes of records left in the journal: each segment starts with an 8-byte header, then
    frames (4-byte length, 4-byte CRC, payload) up to a header of zeros, the end marker."""
    total = 0
    for path in Path(journal_dir).glob("*.journal"):
        data = path.read_bytes()
        pos = 8
        while pos + 8 <= len(data):
            length, crc = struct.unpack_from("<II", data, pos)
            if length == 0 and crc == 0:
                break
            pos += 8 + length
        total += max(0, min(pos, len(data)) - 8)
    return total


@pytest.mark.parametrize("mode", ["database-first", "journal-first"])
def test_10000_messages_across_an_immediate_postgresql_restart_are_logged_exactly_once(
        cluster, db, tmp_path, mode):
    driver = Driver(tmp_path, db, 10000, 2500, mode)  # about 4 s of traffic
    time.sleep(1.2)
    cluster.crash()
    time.sleep(1.5)  # ~3,700 messages arrive while PostgreSQL is down
    cluster.start()
    rc, stats, err = driver.finish()
    assert rc == 0, err
    assert stats["durable"] == 10000 and stats["drained"], stats
    # The outage really happened under traffic and went through the journal.
    assert "events go to the journal" in err, err
    assert stats["journaled"] >= 1000, stats
    assert "journal drained" in err or mode == "journal-first", err
    assert psql(db, "SELECT count(*), count(DISTINCT event_id) FROM room_events") == "10000|10000"
    assert psql(db, "SELECT count(*) FROM room_events WHERE event_id ~ '^drive-[0-9]+$' "
                    "AND substr(event_id, 7)::int BETWEEN 0 AND 9999") == "10000"
    # What went out is what was logged.
    assert len(driver.completed_ids()) == 10000
    assert journal_backlog_bytes(driver.journal) == 0
    # The admin web's traffic figures count each message once, whichever path inserted it
    # (live, the writer's fallback, or a replay that met rows already there).
    assert traffic_figures(db) == expected_traffic_figures(db)
    assert psql(db, "SELECT sum(messages) FROM room_message_hours") == "10000"


@pytest.mark.parametrize("mode,outage", [("database-first", True), ("journal-first", False),
                                         ("journal-first", True)])
def test_sigkill_under_traffic_loses_nothing_that_was_sent(cluster, db, tmp_path, mode, outage):
    driver = Driver(tmp_path, db, 1_000_000, 5000, mode)
    time.sleep(1.0)
    if outage:
        cluster.crash()
    time.sleep(1.5)
    driver.proc.send_signal(signal.SIGKILL)
    driver.proc.wait(timeout=30)
    sent = driver.completed_ids()
    assert len(sent) > 3000, "the driver barely ran"
    if outage:
        assert journal_backlog_bytes(driver.journal) > 0  # the journal is what must save us
        cluster.start()
    # commonroom restarted: the journal is replayed.
    restart = Driver(tmp_path, db, 0, 1, mode)
    rc, stats, err = restart.finish()
    assert rc == 0, err
    if outage:
        assert "replayed" in err or "replaying" in err, err
    logged = set(psql(db, "SELECT event_id FROM room_events").split())
    missing = [i for i in sent if i not in logged]
    assert not missing, f"{len(missing)} sent but not logged, e.g. {missing[:5]}"
    assert len(sent) == len(set(sent))
    # Nothing that was never submitted appears, and each event is there once (primary key).
    assert psql(db, "SELECT count(*) FROM room_events WHERE event_id !~ '^drive-[0-9]+$'") == "0"
    assert journal_backlog_bytes(restart.journal) == 0


def test_the_admin_webs_traffic_figures_follow_the_log_within_seconds(cluster, db, tmp_path):
    driver = Driver(tmp_path, db, 4000, 500, "database-first")  # about 8 s of traffic

    def counted():
        return int(psql(db, "SELECT coalesce(sum(messages), 0) FROM room_message_hours"))

    # Watch until the figures show something or the driver is done. Sent is read before the
    # figures, so figures > 0 with sent < 4000 means they were added while messages kept
    # coming (every five seconds), not only at the end; the driver paces itself over ~8 s.
    during, sent = 0, 4000
    while driver.proc.poll() is None:
        sent = len(driver.completed_ids())
        during = counted()
        if during > 0:
            break
        time.sleep(0.2)  # polling interval, not a barrier
    rc, stats, err = driver.finish()
    assert rc == 0, err
    assert 0 < during and sent < 4000, (during, sent)
    assert counted() == 4000
    assert traffic_figures(db) == expected_traffic_figures(db)


def test_replay_is_idempotent_on_event_id(cluster, db, tmp_path):
    # PostgreSQL unreachable (nothing listens there): all 200 events wait in the journal.
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2"
    rc, stats, err = Driver(tmp_path, nowhere, 200, 2000, "database-first",
                            extra=("--drain-timeout", "0.5")).finish()
    assert rc == 3, err  # not drained
    assert stats["journaled"] == 200 and stats["backlog"] == 200, stats
    assert "waiting" in err
    # 50 of them are already in PostgreSQL (as after a commit whose reply was lost).
    psql(db, "INSERT INTO room_events (event_id, room, occurred_at, kind, body) "
             "SELECT 'drive-' || g, 'drive@conference.cam.example', now(), 'groupchat', 'first' "
             "FROM generate_series(0, 49) g")
    rc, stats, err = Driver(tmp_path, db, 0, 1, "database-first").finish()
    assert rc == 0, err
    assert stats["replayed"] == 150, stats
    assert psql(db, "SELECT count(*) FROM room_events") == "200"
    assert psql(db, "SELECT count(*) FROM room_events WHERE body = 'first'") == "50"
    # The traffic figures count what the log inserted: the 150, not the 50 it found there
    # (put in by hand here, so counted by nobody) ...
    assert psql(db, "SELECT sum(messages) FROM room_message_hours") == "150"
    # ... until an operator recounts them from the log.
    psql(db, "SELECT room_traffic_rebuild()")
    assert psql(db, "SELECT sum(messages) FROM room_message_hours") == "200"
    assert traffic_figures(db) == expected_traffic_figures(db)


def test_a_live_batch_that_meets_events_already_logged_inserts_the_rest(cluster, db, tmp_path):
    # A live batch is first sent without ON CONFLICT (decision 0076); the last 50 of these
    # 200 events are already there, so the batches holding them fail on the primary key
    # and go again with ON CONFLICT DO NOTHING.
    psql(db, "INSERT INTO room_events (event_id, room, occurred_at, kind, body) "
             "SELECT 'drive-' || g, 'drive@conference.cam.example', now(), 'groupchat', 'first' "
             "FROM generate_series(150, 199) g")
    driver = Driver(tmp_path, db, 200, 200, "database-first")  # a second, one event a batch
    rc, stats, err = driver.finish()
    assert rc == 0, err
    assert stats["durable"] == 200, stats
    assert len(set(driver.completed_ids())) == 200
    assert psql(db, "SELECT count(*), count(*) FILTER (WHERE body = 'first') "
                    "FROM room_events") == "200|50"
    # The traffic figures count what the log inserted (added when the driver stops): the
    # 150, not the 50 it found there. (Had the failed batch been taken for a broken
    # connection, its events would have gone through the journal and been counted as in
    # doubt: 152 when this was tried.)
    assert psql(db, "SELECT sum(messages) FROM room_message_hours") == "150"


class TrafficAdditionCutter(TcpProxy):
    """TCP proxy in front of PostgreSQL that breaks the log's connection at its first
    traffic addition (decision 0074): with reply=False it drops the statement itself
    (PostgreSQL never runs it), with reply=True it forwards it and drops PostgreSQL's answer
    (added, but the log cannot know). Later connections pass through untouched."""

    MARK = b"room_traffic_add\x00"

    def __init__(self, upstream_port: int, reply: bool):
        self.reply = reply
        self.cut = threading.Event()
        super().__init__(upstream_port)

    def _is_addition(self, data: bytes) -> bool:
        # A Bind message: 'B', its length, an empty portal name, then the statement's name.
        # (The Parse that prepares it has the name right after its length.)
        i = data.find(self.MARK)
        return i >= 6 and data[i - 6:i - 5] == b"B" and data[i - 1] == 0

    def relay(self, data, from_client, conn):
        if from_client and not self.cut.is_set() and self._is_addition(data):
            self.cut.set()
            if not self.reply:
                return None
            conn["answer_due"] = True
        elif not from_client and conn.get("answer_due"):
            return None
        return data


@pytest.mark.parametrize("reply", [False, True], ids=["statement-lost", "answer-lost"])
def test_traffic_figures_stay_exact_when_an_addition_is_cut_off(cluster, db, tmp_path, reply):
    # 200 messages in two seconds, then the room goes quiet: the figures are added five
    # seconds after the first, and that addition's connection breaks. Whether PostgreSQL ran
    # it or not, the log finds out once it is connected again (room_traffic_writers) and the
    # figures end exact: nothing counted twice, nothing left out, with no message after it.
    cutter = TrafficAdditionCutter(urlsplit(db).port, reply)
    proxied = db.replace(f":{urlsplit(db).port}/", f":{cutter.port}/")
    try:
        driver = Driver(tmp_path, proxied, 200, 100, "database-first", extra=("--linger", "8"))
        rc, stats, err = driver.finish()
    finally:
        cutter.close()
    assert rc == 0, err
    assert cutter.cut.is_set(), err
    assert psql(db, "SELECT count(*) FROM room_events") == "200"
    assert psql(db, "SELECT sum(messages) FROM room_message_hours") == "200", err
    assert traffic_figures(db) == expected_traffic_figures(db)


def test_a_detail_that_is_not_json_is_kept_instead_of_blocking_the_log(cluster, db, tmp_path):
    rc, stats, err = Driver(tmp_path, db, 20, 1000, "database-first",
                            extra=("--detail", "{not json")).finish()
    assert rc == 0, err
    assert psql(db, "SELECT count(*), min(detail->>'unparsed') FROM room_events") == "20|{not json"


def test_retracted_messages_keep_their_text_and_show_who_retracted_them(db):
    psql(db, """
        INSERT INTO room_events (event_id, room, stanza_id, occurred_at, kind, actor_jid, body)
        VALUES ('m1', 'r@conference.cam.example', 'sid-1', '2026-01-01 10:00Z', 'groupchat',
                'mallory@cam.example/x', 'offensive text'),
               ('m2', 'r@conference.cam.example', 'sid-2', '2026-01-01 10:01Z', 'groupchat',
                'bob@cam.example/y', 'fine');
        INSERT INTO room_events (event_id, room, occurred_at, kind, actor_jid, target, body)
        VALUES ('r1', 'r@conference.cam.example', '2026-01-01 10:02Z', 'retraction',
                'mod@cam.example/z', 'sid-1', 'abusive');""")
    rows = psql(db, "SELECT event_id, body, retracted_by, retraction_reason, actor_bare_jid "
                    "FROM room_events_with_retractions WHERE kind = 'groupchat' ORDER BY event_id")
    assert rows.splitlines() == [
        "m1|offensive text|mod@cam.example/z|abusive|mallory@cam.example",
        "m2|fine|||bob@cam.example",
    ]
    # Abuse staff search by word within a room uses the full-text index's expression
    # (schema/0010: accents and case folded).
    assert psql(db, "SELECT event_id FROM room_events WHERE room = 'r@conference.cam.example' "
                    "AND to_tsvector('commonroom_words'::regconfig, body)"
                    " @@ plainto_tsquery('commonroom_words'::regconfig, 'OFFÉNSIVE')") == "m1"


def test_an_unmigrated_database_keeps_events_in_the_journal_until_migrate(cluster, tmp_path):
    name = "unmigrated_" + uuid.uuid4().hex[:12]
    psql(with_database(cluster.uri, "postgres"), f"CREATE DATABASE {name}")
    uri = with_database(cluster.uri, name)
    try:
        rc, stats, err = Driver(tmp_path, uri, 50, 1000, "database-first",
                                extra=("--drain-timeout", "3")).finish()
        assert rc == 3 and stats["backlog"] == 50, (stats, err)
        # Said once, not once per retry: the server accepts connections, every batch fails,
        # and the writer backs off instead of hammering it.
        failures = [line for line in err.splitlines() if "events go to the journal" in line]
        assert len(failures) == 1 and 'relation "room_events" does not exist' in failures[0], err
        # ...and the backlog report keeps saying why.
        assert "50 event(s) (0.0 MiB) in the journal waiting for PostgreSQL; last error: " \
               "PostgreSQL at " in err, err
        config = tmp_path / "migrate.ini"
        config.write_text(f"[database]\nuri = {uri}\n")
        assert subprocess.run([BIN, "--config", str(config), "migrate"], capture_output=True,
                              timeout=120).returncode == 0
        rc, stats, err = Driver(tmp_path, uri, 0, 1, "database-first").finish()
        assert rc == 0, err
        assert psql(uri, "SELECT count(*) FROM room_events") == "50"
    finally:
        psql(with_database(cluster.uri, "postgres"), f"DROP DATABASE {name} WITH (FORCE)")
