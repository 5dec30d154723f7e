"""A college room created in the admin web, in headless Chromium: a room manager
of Trinity is refused a room linked to another college, then creates one linked to Trinity;
a slixmpp client through Prosody then finds the room there with that configuration."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from rooms_support import (DATA, MUC_DOMAIN, MUC_OWNER, XMPP_DOMAIN, Servers, StanzaError,  # noqa: E402
                           User, commonroom_bin, psql, q, run, statuses)

SCRIPT = Path(__file__).with_name("room_create.mjs")
SOURCE_DIR = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("COMMONROOM_BUILD_DIR", SOURCE_DIR / "build")) / "test-artifacts" / "browser"
ROOM = f"trinity-jcr@{MUC_DOMAIN}"


@pytest.fixture(scope="module")
def servers():
    if not (SOURCE_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node_modules/playwright-core is missing: run scripts/setup")
    s = Servers("admin-web-room-create").start()
    yield s
    s.stop()


def test_a_room_manager_creates_a_college_room_that_xmpp_clients_find(servers):
    cli = [str(commonroom_bin()), "--config", str(servers.commonroom.config_path), "admin"]
    subprocess.run(cli + ["grant", "rita", "room-manager", "inst:TRIN"], check=True,
                   capture_output=True, timeout=30)
    link = subprocess.run(cli + ["login-link", "rita"], check=True, capture_output=True, text=True,
                          timeout=30).stdout.strip()
    base = f"http://127.0.0.1:{servers.commonroom.config.admin_port}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["node", str(SCRIPT), link, base, "trinity-jcr", f"alice@{XMPP_DOMAIN}",
                          str(SHOTS)], capture_output=True, text=True, timeout=90, cwd=SOURCE_DIR)
    assert out.returncode == 0, out.stderr + out.stdout
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert "you manage rooms of inst:TRIN, not of inst:KINGS" in seen["refused"]
    assert seen["created"].startswith("The room is created.")
    assert seen["heading"] == f"{ROOM} — Trinity JCR"

    async def body_():
        alice = await User("alice", servers.prosody.c2s_port).connect()
        me = await alice.join(ROOM, "alice")
        assert 201 not in statuses(me), "the room was there before its owner came"
        reply = await alice.iq(ROOM, "get", ET.Element(q(MUC_OWNER, "query")))
        config = {f.get("var"): [v.text or "" for v in f.findall(q(DATA, "value"))]
                  for f in reply.find(q(DATA, "x")).findall(q(DATA, "field"))}
        assert config["muc#roomconfig_roomname"] == ["Trinity JCR"]
        assert config["muc#roomconfig_roomdesc"] == ["The junior common room of Trinity"]
        assert config["muc#roomconfig_persistentroom"] == ["1"]
        assert config["muc#roomconfig_membersonly"] == ["1"]
        assert config["x-commonroom#linked"] == ["inst:TRIN"]
        assert config["muc#roomconfig_roomowners"] == [f"alice@{XMPP_DOMAIN}"]
        # Nobody but the named owner is left in its lists (the admin web is no person).
        assert not [v for var in ("muc#roomconfig_roomadmins",) for v in config.get(var, []) if v]
        carol = await User("carol", servers.prosody.c2s_port).connect()
        with pytest.raises(StanzaError):
            await carol.join(ROOM, "carol")  # not of Trinity: members only

    run(body_, timeout=60)
    assert psql(servers.db_uri, f"SELECT string_agg(jid || ' ' || affiliation, ',') FROM"
                                f" room_affiliations WHERE room = '{ROOM}'") == \
        f"alice@{XMPP_DOMAIN} owner"
    assert psql(servers.db_uri, "SELECT actor || ' ' || object || ' ' || (detail->>'ok') FROM audit"
                                " WHERE action = 'room.create'") == f"rita {ROOM} true"
