"""A room changed in the admin web, in headless Chromium, reaches an XMPP occupant at once:
a slixmpp client in the room through Prosody receives the configuration change
(status 104) and the destruction with its reason."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from rooms_support import (CLIENT, MUC_DOMAIN, MUC_USER, XMPP_DOMAIN, Servers, User,  # noqa: E402
                           commonroom_bin, q, run, statuses)

SCRIPT = Path(__file__).with_name("room_actions.mjs")
SOURCE_DIR = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("COMMONROOM_BUILD_DIR", SOURCE_DIR / "build")) / "test-artifacts" / "browser"
ROOM = f"common@{MUC_DOMAIN}"


@pytest.fixture(scope="module")
def servers():
    if not (SOURCE_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node_modules/playwright-core is missing: run scripts/setup")
    s = Servers("admin-web-room-actions",
                extra={"policy": {"persistent_creators": f"alice@{XMPP_DOMAIN}"}}).start()
    yield s
    s.stop()


def test_a_room_changed_in_the_browser_reaches_its_occupant(servers):
    cli = [str(commonroom_bin()), "--config", str(servers.commonroom.config_path), "admin"]
    subprocess.run(cli + ["grant", "ops", "admin"], check=True, capture_output=True, timeout=30)
    link = subprocess.run(cli + ["login-link", "ops"], check=True, capture_output=True, text=True,
                          timeout=30).stdout.strip()
    base = f"http://127.0.0.1:{servers.commonroom.config.admin_port}"
    SHOTS.mkdir(parents=True, exist_ok=True)

    async def body_():
        alice = await User("alice", servers.prosody.c2s_port).connect()
        bob = await User("bob", servers.prosody.c2s_port).connect()
        await alice.create(ROOM, "alice", {"muc#roomconfig_persistentroom": "1",
                                           "muc#roomconfig_roomname": "Common room"})
        await bob.join(ROOM, "bob")
        out = await asyncio.to_thread(
            subprocess.run, ["node", str(SCRIPT), link, base, ROOM, str(SHOTS)],
            capture_output=True, text=True, timeout=90, cwd=SOURCE_DIR)
        assert out.returncode == 0, out.stderr + out.stdout
        seen = json.loads(out.stdout.strip().splitlines()[-1])
        assert f"alice@{XMPP_DOMAIN}" in seen["occupants"] and f"bob@{XMPP_DOMAIN}" in seen["occupants"]
        assert seen["saved"].startswith("The configuration is saved;")
        assert seen["destroyed"] == f"{ROOM} was destroyed."
        await bob.expect(lambda s: s.tag == q(CLIENT, "message") and s.get("from") == ROOM and
                         104 in statuses(s), "the configuration change notice", timeout=5)
        gone = await bob.expect(lambda s: s.tag == q(CLIENT, "presence") and
                                s.get("type") == "unavailable" and
                                s.find(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'destroy')}") is not None,
                                "the destruction", timeout=5)
        why = gone.find(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'destroy')}/{q(MUC_USER, 'reason')}")
        assert why is not None and why.text == "closing for the summer"

    run(body_, timeout=120)
