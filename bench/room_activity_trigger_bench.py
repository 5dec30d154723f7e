#!/usr/bin/env python3
"""What the room_activity / room_message_hours trigger (schema 0012) costs the abuse log's
writes: 100,000 groupchat events in 20 batches of 5,000 (one statement and commit each, as
the log writer's batches), into a freshly migrated database with the trigger and into one
without it, twice each; prints the best times and their ratio.

    COMMONROOM_BIN=build/app/commonroom bench/room_activity_trigger_bench.py
"""
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from harness import run_dir  # noqa: E402
from pg_support import Cluster, migrated_database, psql  # noqa: E402

INS = ("INSERT INTO room_events (event_id, room, occurred_at, kind, actor_jid, body) SELECT"
       " '{p}' || i, 'room' || (i % 500) || '@conference.cam.example', now() - (i || ' ms')::interval,"
       " 'groupchat', 'u' || (i % 1000) || '@cam.example/x', 'hello there number ' || i"
       " FROM generate_series({a}, {b}) i")
pg = Cluster()
pg.start()
try:
    d = run_dir("room-activity-trigger-bench")
    out = {}
    for with_trigger in (False, True, False, True):
        uri = migrated_database(pg, d, prefix="trig")
        if not with_trigger:
            psql(uri, "DROP TRIGGER room_events_activity ON room_events")
        f = d / "batches.sql"
        # 20 batches of 5,000 events, each its own statement and commit, as the writer's are.
        f.write_text(";\n".join(INS.format(p=f"e{k}-", a=1, b=5000) for k in range(20)) + ";\n")
        t = time.monotonic()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-f", str(f)],
                       check=True, capture_output=True)
        dt = time.monotonic() - t
        out.setdefault(with_trigger, []).append(dt)
        print(f"trigger={with_trigger}: 100,000 events in 20 batches: {dt:.2f} s", flush=True)
    a, b = min(out[False]), min(out[True])
    print(f"best of 2: without {a:.2f} s, with {b:.2f} s, ratio {b / a:.2f}")
finally:
    pg.stop()
