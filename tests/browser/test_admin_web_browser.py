"""The admin web in headless Chromium: sign in through Raven (a test WLS with its own
key pair), search the directory, list and open rooms, sign out; a room manager sees only their
college's rooms and is refused the audit trail. Screenshots are kept in
build/test-artifacts/browser/ (docs/admin-web.md shows some)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import SOURCE_DIR, Commonroom, CommonroomConfig, free_port, run_dir, wait_until  # noqa: E402
from pg_support import Cluster, migrated_database, psql  # noqa: E402
from wls_support import TestWls  # noqa: E402

SCRIPT = Path(__file__).with_name("admin_web.mjs")
SHOTS = Path(os.environ.get("COMMONROOM_BUILD_DIR", SOURCE_DIR / "build")) / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def site():
    if not (SOURCE_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node_modules/playwright-core is missing: run scripts/setup")
    pg = Cluster()
    pg.start()
    directory = run_dir("admin-web-browser")
    uri = migrated_database(pg, directory)
    wls = TestWls()
    server = wls.serve("ada")
    config = CommonroomConfig(link_port=free_port(), muc=None, directory=None, database_uri=uri)
    config.extra = {"admin-web": {"raven_url": server.url,
                                  "raven_keys": f"901={wls.write_public_key(directory / 'wls.pem')}"}}
    proc = Commonroom(directory, config).start()
    base = f"http://127.0.0.1:{config.admin_port}"
    cli = [os.environ.get("COMMONROOM_BIN", str(SOURCE_DIR / "build/app/commonroom")), "--config",
           str(proc.config_path), "admin", "grant"]
    for args in (["ada", "admin"], ["rita", "room-manager", "inst:TRIN"]):
        subprocess.run(cli + args, check=True, capture_output=True, timeout=60)
    for jid, name, link, subject in [
            ("trinity@conference.cam.example", "Trinity JCR", "inst:TRIN", "Formal hall <b>menu</b>"),
            ("kings@conference.cam.example", "King's bar", "inst:KINGS", "")]:
        config_json = json.dumps({"name": name, "public_room": True, "members_only": True,
                                  "linked": [link]}).replace("'", "''")
        psql(uri, "INSERT INTO rooms (jid, config, subject, occupant_id_secret, created_at, created_by)"
                  f" VALUES ('{jid}', '{config_json}'::jsonb, '{subject}', 's', now(),"
                  " 'crispin@cam.example')")
    # A day of chat in both rooms, busier in the evening, for the dashboard and the last-message
    # order (the abuse log's writer keeps both as it logs; rows written by hand are recounted).
    psql(uri, "INSERT INTO room_events (event_id, room, occurred_at, kind) SELECT 'e' || h || '-' || k,"
              " CASE WHEN k % 3 = 0 THEN 'kings@conference.cam.example'"
              " ELSE 'trinity@conference.cam.example' END,"
              " date_trunc('hour', now()) - h * interval '1 hour' + k * interval '20 seconds',"
              " 'groupchat' FROM generate_series(1, 23) h,"
              " generate_series(1, 5 + (20 * sin(h / 4.0))::int + 20) k")
    psql(uri, "SELECT room_traffic_rebuild()")
    psql(uri, "INSERT INTO directory_people (uid, jid, display_name, mail, institutions, name_folded)"
              " VALUES ('spqr1', 'spqr1@cam.example', 'Sam Quentin', 'spqr1@cam.example',"
              " '{TRIN}', 'sam quentin')")
    wait_until(lambda: proc.running() and subprocess.run(
        ["curl", "-s", "-o", "/dev/null", base + "/healthz"]).returncode == 0, 15)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield base, server
    proc.stop()
    server.stop()
    pg.stop()


def drive(scenario, base):
    out = subprocess.run(["node", str(SCRIPT), scenario, base, str(SHOTS)], capture_output=True,
                         text=True, timeout=120, cwd=SOURCE_DIR)
    assert out.returncode == 0, out.stderr + out.stdout
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_admin_signs_in_with_raven_searches_the_directory_and_opens_a_room(site):
    base, wls = site
    wls.principal = "ada"
    seen = drive("admin", base)
    assert seen["redirectedTo"] == "/sign-in"
    assert "Signed in as ada (admin)" in seen["header"]
    assert "Sam Quentin" in seen["directory"] and "spqr1@cam.example" in seen["directory"]
    assert "trinity@conference.cam.example" in seen["rooms"]
    assert "kings@conference.cam.example" in seen["rooms"]
    assert "Formal hall <b>menu</b>" in seen["rooms"]  # shown as text, not markup
    assert "crispin@cam.example" in seen["room"]
    assert seen["afterSignOut"] == "/sign-in"
    assert "Room messages in the last 24 hours" in seen["dashboard"]
    # The latest message first: the last one of the last hour was in kings (k = 30).
    assert seen["byActivity"].index("kings@") < seen["byActivity"].index("trinity@")
    assert "zz999 is out of the directory now" in seen["optedOut"]
    assert "zz999" in seen["optOuts"] and "asked by e-mail" in seen["optOuts"]
    assert (SHOTS / "dashboard.png").stat().st_size > 0


def test_a_room_manager_sees_only_their_colleges_rooms(site):
    base, wls = site
    wls.principal = "rita"
    seen = drive("manager", base)
    assert "room-manager for inst:TRIN" in seen["header"]
    assert "trinity@conference.cam.example" in seen["rooms"]
    assert "kings@conference.cam.example" not in seen["rooms"]
    assert seen["auditStatus"] == 403 and "do not include this page" in seen["audit"]
