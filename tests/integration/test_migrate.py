"""`commonroom migrate` against a real PostgreSQL.

Uses the server in $PG_URI if set (each test gets its own scratch database on it),
otherwise starts a throwaway cluster with scripts/lib/postgres.sh on a free port.
"""
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from harness import free_port
from pg_support import psql, with_database

SOURCE_DIR = Path(os.environ.get("COMMONROOM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BIN = os.environ.get("COMMONROOM_BIN") or str(
    Path(os.environ.get("COMMONROOM_BUILD_DIR", SOURCE_DIR / "build")) / "app" / "commonroom")
SCHEMA_DIR = SOURCE_DIR / "schema"
# The shipped migrations; later issues add files, so expectations are derived from these.
SHIPPED = sorted(p.name for p in SCHEMA_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
LATEST = max(int(name[:4]) for name in SHIPPED)  # numbers may skip (0008, 0010)


@pytest.fixture(scope="module")
def server_uri():
    if os.environ.get("PG_URI"):
        yield os.environ["PG_URI"]
        return
    workdir = tempfile.mkdtemp(prefix="commonroom-pg-")
    script = SOURCE_DIR / "scripts" / "lib" / "postgres.sh"
    started = subprocess.run([str(script), "start", workdir, str(free_port())],
                             capture_output=True, text=True, timeout=180,
                             env={**os.environ, "PG_FAST": "1"})
    assert started.returncode == 0, started.stderr
    uri = [line.split("=", 1)[1] for line in started.stdout.splitlines()
           if line.startswith("PG_URI=")][0]
    yield uri
    subprocess.run([str(script), "stop", workdir], timeout=120)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def db(server_uri):
    """A fresh, empty database for one test."""
    name = "migrate_" + uuid.uuid4().hex[:12]
    psql(with_database(server_uri, "postgres"), f"CREATE DATABASE {name}")
    yield with_database(server_uri, name)
    psql(with_database(server_uri, "postgres"), f"DROP DATABASE {name} WITH (FORCE)")


def write_config(tmp_path, uri):
    path = tmp_path / "commonroom.ini"
    path.write_text(f"[database]\nuri = {uri}\n")
    path.chmod(0o600)
    return path


def migrate(config, *extra, timeout=120):
    return subprocess.run([BIN, "--config", str(config), "migrate", *extra],
                          capture_output=True, text=True, timeout=timeout)


def test_first_run_applies_foundation_and_second_run_is_up_to_date(tmp_path, db):
    config = write_config(tmp_path, db)
    first = migrate(config)
    assert first.returncode == 0, first.stderr
    assert SHIPPED[0] == "0001_foundation.sql"
    assert first.stdout.splitlines() == [f"applied {name}" for name in SHIPPED] + [
        f"database schema is now at version {LATEST}"]
    second = migrate(config)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [f"database schema is up to date (version {LATEST})"]

    row = psql(db, "SELECT version, name, length(checksum), applied_at <= now() "
                   "FROM schema_migrations WHERE version = 1")
    assert row == "1|foundation|64|t"
    assert psql(db, "SELECT count(*) FROM schema_migrations") == str(len(SHIPPED))
    # The foundation's table is really there and usable.
    psql(db, "INSERT INTO audit (actor, action, object) VALUES ('system', 'test', 'x')")
    assert psql(db, "SELECT actor, action, detail::text FROM audit") == "system|test|{}"
    assert psql(db, "SELECT indexname FROM pg_indexes WHERE tablename = 'audit' "
                    "AND indexdef LIKE '%(occurred_at)%'") == "audit_occurred_at_idx"


def test_edited_history_is_refused(tmp_path, db):
    config = write_config(tmp_path, db)
    assert migrate(config).returncode == 0
    psql(db, "UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1")
    result = migrate(config)
    assert result.returncode == 1
    assert "migration 0001_foundation.sql was changed after it was applied" in result.stderr
    assert "put the change in a new migration" in result.stderr


def test_database_newer_than_the_files_is_refused(tmp_path, db):
    config = write_config(tmp_path, db)
    assert migrate(config).returncode == 0
    future = LATEST + 1
    psql(db, "INSERT INTO schema_migrations (version, name, checksum) "
             f"VALUES ({future}, 'future', 'x')")
    result = migrate(config)
    assert result.returncode == 1
    assert (f"the database has migration {future:04d}_future, which is not among these "
            "migration files") in result.stderr


def schema_copy(tmp_path, extra):
    schema = tmp_path / "schema"
    schema.mkdir()
    shutil.copy(SCHEMA_DIR / "0001_foundation.sql", schema)
    for name, sql in extra.items():
        (schema / name).write_text(sql)
    return schema


def test_a_failing_migration_leaves_nothing_behind_and_can_be_fixed(tmp_path, db):
    config = write_config(tmp_path, db)
    schema = schema_copy(tmp_path, {"0002_rooms.sql": "CREATE TABLE rooms (jid text);\n"
                                                 "INSERT INTO nowhere VALUES (1);\n"})
    result = migrate(config, "--schema", str(schema))
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["applied 0001_foundation.sql"]
    assert "migration 0002_rooms.sql failed, nothing from it was applied" in result.stderr
    assert 'relation "nowhere" does not exist' in result.stderr
    assert psql(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'rooms'") == "0"
    assert psql(db, "SELECT string_agg(version::text, ',') FROM schema_migrations") == "1"

    (schema / "0002_rooms.sql").write_text("CREATE TABLE rooms (jid text);\n")
    fixed = migrate(config, "--schema", str(schema))
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.splitlines() == ["applied 0002_rooms.sql",
                                         "database schema is now at version 2"]


def test_numbers_may_skip_but_never_run_out_of_order(tmp_path, db):
    # Branches reserve their numbers, so 0003 can arrive before 0002.
    config = write_config(tmp_path, db)
    gap = schema_copy(tmp_path, {"0003_later.sql": "CREATE TABLE later (x int);"})
    result = migrate(config, "--schema", str(gap))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["applied 0001_foundation.sql", "applied 0003_later.sql",
                                          "database schema is now at version 3"]
    # 0002 merged afterwards would run after 0003 on this database: refused, nothing applied.
    (gap / "0002_earlier.sql").write_text("CREATE TABLE earlier (x int);")
    result = migrate(config, "--schema", str(gap))
    assert result.returncode == 1
    assert ("migration 0002_earlier.sql is not applied but 0003 already is; migrations must be "
            "applied in order, so renumber 0002_earlier.sql above 0003") in result.stderr
    assert psql(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'earlier'") == "0"


def test_badly_numbered_files_are_refused_before_touching_the_database(tmp_path, db):
    config = write_config(tmp_path, db)
    gap = schema_copy(tmp_path, {})
    (gap / "0001_foundation.sql").rename(gap / "0002_foundation.sql")
    result = migrate(config, "--schema", str(gap))
    assert result.returncode == 1
    assert "migration 0001 is missing" in result.stderr
    assert psql(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'") == "0"

    (gap / "0002_foundation.sql").rename(gap / "0001_foundation.sql")
    (gap / "0001_again.sql").write_text("SELECT 1;")
    result = migrate(config, "--schema", str(gap))
    assert result.returncode == 1
    assert "two migrations are numbered 0001" in result.stderr

    (gap / "0001_again.sql").unlink()
    (gap / "2_short.sql").write_text("SELECT 1;")
    result = migrate(config, "--schema", str(gap))
    assert result.returncode == 1
    assert "2_short.sql: migration files must be named NNNN_name.sql" in result.stderr


def test_concurrent_migrations_apply_each_file_once(tmp_path, db):
    config = write_config(tmp_path, db)
    procs = [subprocess.Popen([BIN, "--config", str(config), "migrate"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outputs]
    for name in SHIPPED:
        assert sum(f"applied {name}" in out for out, _ in outputs) == 1, name
    assert psql(db, "SELECT count(*) FROM schema_migrations") == str(len(SHIPPED))


def test_unreachable_database_is_a_clear_error_without_the_password(tmp_path):
    port = free_port()  # nothing listens here
    config = write_config(tmp_path, f"postgresql://commonroom:hunter2@127.0.0.1:{port}/commonroom")
    result = migrate(config, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"migrate: cannot connect to PostgreSQL at postgresql://commonroom@127.0.0.1:{port}/"
        "commonroom: ")
    assert "hunter2" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_migrate_needs_a_database_section(tmp_path):
    config = tmp_path / "commonroom.ini"
    config.write_text("[links]\nport = 5347\n")
    result = migrate(config)
    assert result.returncode == 1
    assert result.stderr == (f"{config}: [database] uri: required by migrate; add a [database] "
                             "section with uri = postgresql://...\n")


def test_a_log_written_before_0016_keeps_its_arrival_order_after_it(tmp_path, db):
    # 0016 turns seq from an identity column into a sequence default: events logged after
    # the upgrade must still sort after the ones before it (search pages and archive ties
    # break on seq), and the archive's pages must still be read through an index.
    config = write_config(tmp_path, db)
    before = tmp_path / "schema-0015"
    before.mkdir()
    for name in SHIPPED:
        if int(name[:4]) < 16:
            shutil.copy(SCHEMA_DIR / name, before)
    assert migrate(config, "--schema", str(before)).returncode == 0
    insert = ("INSERT INTO room_events (event_id, room, stanza_id, occurred_at, kind, body)"
              " SELECT '{p}' || i, 'r@conference.example', '{p}s' || i, now(), 'groupchat', 'hi'"
              " FROM generate_series(1, 3) i")
    psql(db, insert.format(p="old"))
    result = migrate(config)
    assert result.returncode == 0, result.stderr
    assert "applied 0016_cheaper_log_rows.sql" in result.stdout.splitlines()
    psql(db, insert.format(p="new"))
    order = psql(db, "SELECT string_agg(event_id, ',' ORDER BY seq) FROM room_events")
    assert order == "old1,old2,old3,new1,new2,new3"
    assert psql(db, "SELECT count(DISTINCT seq) FROM room_events") == "6"
    plan = psql(db, "SET enable_seqscan = off; EXPLAIN SELECT stanza_id FROM room_events"
                    " WHERE room = 'r@conference.example' AND kind = 'groupchat'"
                    " AND stanza_id IS NOT NULL ORDER BY occurred_at DESC, seq DESC LIMIT 50")
    assert "room_events_room_time_idx" in plan, plan
