#!/usr/bin/python3
"""What each part of room_events costs PostgreSQL per logged message (docs/performance.md,
"PostgreSQL per logged message"). Starts a throwaway cluster (fsync and synchronous_commit
on, as in production), migrates one database per variant of the schema — as shipped, the
schema before migration 0016, and the shipped schema with one index removed or 0012's trigger
put back
— and runs bench/event_log_pg_cost_bench against each in turn, the variants alternating
within every round, so the machine's load falls on all of them alike. Prints, per variant
and batch size, the medians over rounds of the writer backend's CPU (and its user-space
part), the whole cluster's CPU (writer, WAL writer, checkpointer, autovacuum, and the GIN
pending-list merge the run left behind) and WAL bytes per logged message, and each
variant's difference from the shipped schema.

    bench/event_log_pg_cost.py [--rounds 3] [--events 3000] [--batches 1,4,16,64]
                               [--rate 0] [--fast] [--body e2e|chat]
                               [--variants shipped,before-0016,...]

On a shared machine the commit's fdatasync makes single figures vary by 2x; --fast turns
fsync off to compare schemas (their costs do not depend on it), and WAL bytes, which do not
vary, show index changes exactly. A perf profile of the writer backend
(perf record -g -p PID) is the steadier way to see a few-percent change.

--rate 0 writes batches back to back; bench/muc_e2e.py's room of 100 logs about 200
messages per second at its knee (--rate 200).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "integration"))
from harness import SOURCE_DIR, commonroom_bin, run_dir  # noqa: E402
from pg_support import Cluster, psql, with_database  # noqa: E402

GIN = "room_events_week_words_idx"
# name -> SQL run on a database migrated with every migration in schema/.
VARIANTS = {
    "shipped": "",
    "before-0016": None,  # migrated without 0016 and later
    "no-gin": f"DROP INDEX {GIN}",
    "gin-words-only": f"DROP INDEX {GIN}; CREATE INDEX {GIN} ON room_events USING gin"
                      " (to_tsvector('commonroom_words'::regconfig, body))",
    "gin-fastupdate-off": f"ALTER INDEX {GIN} SET (fastupdate = off)",
    "no-room-time": "DROP INDEX IF EXISTS room_events_room_time_idx",
    "no-archive": "DROP INDEX IF EXISTS room_events_archive_idx",
    "no-actor": "DROP INDEX room_events_actor_idx",
    "no-stanza-id": "DROP INDEX room_events_stanza_id_idx",
    "no-partial": "DROP INDEX room_events_retraction_idx; DROP INDEX room_events_target_bare_idx",
    # 0016's archive index change undone on the shipped schema.
    "with-archive-idx": "CREATE INDEX room_events_archive_idx ON room_events"
                        " (room, occurred_at, seq) WHERE kind = 'groupchat' AND stanza_id IS NOT NULL",
    # Schema 0012's trigger, which 0017 replaced by the writer's addition every five seconds
    # (decision 0074; this benchmark's writer does not make that addition: ~1 statement per
    # second, a few µs per message at 200 messages/s).
    "with-0012-trigger": """CREATE FUNCTION room_activity_from_events()
        RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO room_activity AS a (room, last_message_at)
            SELECT room, max(occurred_at) FROM new_events WHERE kind = 'groupchat'
            GROUP BY room ORDER BY room
            ON CONFLICT (room) DO UPDATE SET last_message_at = EXCLUDED.last_message_at
                WHERE a.last_message_at < EXCLUDED.last_message_at;
            INSERT INTO room_message_hours AS h (hour, messages)
            SELECT date_trunc('hour', occurred_at), count(*) FROM new_events
            WHERE kind = 'groupchat' GROUP BY 1 ORDER BY 1
            ON CONFLICT (hour) DO UPDATE SET messages = h.messages + EXCLUDED.messages;
            RETURN NULL;
        END $$;
        CREATE TRIGGER room_events_activity AFTER INSERT ON room_events
            REFERENCING NEW TABLE AS new_events
            FOR EACH STATEMENT EXECUTE FUNCTION room_activity_from_events()""",
    "activity-without-recent-idx": "DROP INDEX room_activity_recent_idx",
    "gin-pending-16mb": f"ALTER INDEX {GIN} SET (gin_pending_list_limit = 16384)",
    "stanza-id-hash": "DROP INDEX room_events_stanza_id_idx; CREATE INDEX"
                      " room_events_stanza_id_idx ON room_events USING hash (stanza_id)"
                      " WHERE stanza_id IS NOT NULL",
    "primary-key-only": "DO $$ DECLARE i text; BEGIN FOR i IN SELECT indexrelid::regclass::text"
                        " FROM pg_index WHERE indrelid = 'room_events'::regclass"
                        " AND NOT indisprimary LOOP EXECUTE 'DROP INDEX ' || i; END LOOP;"
                        " END $$",
}


def bench_bin() -> Path:
    build = Path(os.environ.get("COMMONROOM_BUILD_DIR") or SOURCE_DIR / "build")
    return build / "bench" / "event_log_pg_cost_bench"


def migrate(pg: Cluster, directory: Path, name: str, schema: Path | None) -> str:
    psql(with_database(pg.uri, "postgres"), f"CREATE DATABASE {name}")
    uri = with_database(pg.uri, name)
    ini = directory / f"{name}.ini"
    ini.write_text(f"[database]\nuri = {uri}\n")
    cmd = [str(commonroom_bin()), "--config", str(ini), "migrate"]
    if schema:
        cmd += ["--schema", str(schema)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return uri


def schema_before(directory: Path, version: int) -> Path:
    out = directory / f"schema-before-{version:04d}"
    out.mkdir()
    for f in sorted((SOURCE_DIR / "schema").glob("*.sql")):
        if int(f.name[:4]) < version:
            shutil.copy(f, out / f.name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--batches", default="1,4,16,64")
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--fast", action="store_true",
                    help="fsync, synchronous_commit and full_page_writes off (PG_FAST=1): the"
                         " schema's own costs without the commit's disk wait, whose noise on a"
                         " shared machine hides them")
    ap.add_argument("--body", default="e2e", help="e2e (muc_e2e's bodies) or chat (90-byte text)")
    args = ap.parse_args()
    names = args.variants.split(",")
    for n in names:
        if n not in VARIANTS:
            sys.exit(f"unknown variant {n}; known: {', '.join(VARIANTS)}")
    directory = run_dir("event-log-pg-cost")
    if args.fast:
        os.environ["PG_FAST"] = "1"
    pg = Cluster()
    pg.start()
    try:
        uris = {}
        for i, name in enumerate(names):
            sql = VARIANTS[name]
            schema = schema_before(directory, 16) if sql is None else None
            uris[name] = migrate(pg, directory, f"cost{i}", schema)
            if sql:
                psql(uris[name], sql)
        print(f"# load before: {Path('/proc/loadavg').read_text().split()[:3]}", flush=True)
        results: dict[tuple[str, int], list[dict]] = {}
        for r in range(args.rounds):
            # Rotate the order so no variant always runs first (or right after a checkpoint).
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                out = subprocess.run(
                    [str(bench_bin()), "--database", uris[name], "--label", name,
                     "--batches", args.batches, "--events", str(args.events),
                     "--rate", str(args.rate), "--body", args.body],
                    check=True, capture_output=True, text=True, timeout=1800)
                for line in out.stdout.splitlines():
                    row = json.loads(line)
                    print(line, flush=True)
                    results.setdefault((name, row["batch"]), []).append(row)
        print(f"# load after: {Path('/proc/loadavg').read_text().split()[:3]}")
        batches = [int(b) for b in args.batches.split(",")]

        def med(name, batch, key):
            return statistics.median(x[key] for x in results[(name, batch)])

        print(f"\nPostgreSQL per logged message, medians of {args.rounds} rounds of "
              f"{args.events} events per batch size, rate "
              f"{'unpaced' if args.rate == 0 else f'{args.rate:.0f}/s'}: "
              f"{', fsync off' if args.fast else ''}: writer backend µs (user-space µs) /"
              " whole cluster µs / WAL bytes (and the cluster's difference from shipped)\n")
        print("| variant | " + " | ".join(f"batch {b}" for b in batches) + " |")
        print("|---|" + "---:|" * len(batches))
        for name in names:
            cells = []
            for b in batches:
                cell = (f"{med(name, b, 'writer_us'):.0f} ({med(name, b, 'writer_user_us'):.0f})"
                        f" / {med(name, b, 'cluster_us'):.0f}"
                        f" / {med(name, b, 'wal_bytes'):.0f}")
                if name != "shipped" and "shipped" in names:
                    d = med(name, b, "cluster_us") - med("shipped", b, "cluster_us")
                    cell += f" ({d:+.0f})"
                cells.append(cell)
            print(f"| {name} | " + " | ".join(cells) + " |")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
