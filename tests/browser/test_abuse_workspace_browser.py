"""A complaint walked through the admin web's abuse workspace in headless Chromium: real
users in a real room (slixmpp through Prosody), a moderator retracts an insult; abuse staff
sign in with Raven (a test WLS), find the message by words and user, read it in context with
the retracted original, download the evidence bundle (checked with `commonroom logs verify`),
ban the user service-wide (who is removed from the room at once) and place a hold; then an
auditor sees each step. Screenshots go to build/test-artifacts/browser/ and some into
docs/images/admin-web/ (docs/abuse-handling.md)."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from rooms_support import (CLIENT, MUC_DOMAIN, XMPP_DOMAIN, Servers, User,  # noqa: E402
                           commonroom_bin, psql, q, run, statuses)
from wls_support import TestWls  # noqa: E402

SCRIPT = Path(__file__).with_name("abuse_workspace.mjs")
SOURCE_DIR = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("COMMONROOM_BUILD_DIR", SOURCE_DIR / "build")) / "test-artifacts" / "browser"
ROOM = f"lobby@{MUC_DOMAIN}"
MALLORY = f"dave@{XMPP_DOMAIN}"
CASE = "ABUSE-2026-0117"
MODERATE = "urn:xmpp:message-moderate:1"
RETRACT = "urn:xmpp:message-retract:1"
SID = "urn:xmpp:sid:0"


@pytest.fixture(scope="module")
def servers():
    if not (SOURCE_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node_modules/playwright-core is missing: run scripts/setup")
    wls = TestWls()
    wls_server = wls.serve("abe")
    s = Servers("admin-web-abuse-browser")
    key = wls.write_public_key(s.dir / "wls.pem")
    s.extra = {"policy": {"persistent_creators": f"alice@{XMPP_DOMAIN}"},
               "admin-web": {"raven_url": wls_server.url, "raven_keys": f"901={key}"}}
    s.start()
    cli = [str(commonroom_bin()), "--config", str(s.commonroom.config_path), "admin", "grant"]
    for args in (["abe", "abuse"], ["aud", "auditor"]):
        subprocess.run(cli + args, check=True, capture_output=True, timeout=30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield s, wls_server
    s.stop()
    wls_server.stop()


def drive(scenario, base):
    out = subprocess.run(["node", str(SCRIPT), scenario, base, str(SHOTS), MALLORY, CASE],
                         capture_output=True, text=True, timeout=120, cwd=SOURCE_DIR)
    assert out.returncode == 0, out.stderr + out.stdout
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_complaint_from_search_to_ban_hold_and_audit(servers):
    s, wls = servers
    base = f"http://127.0.0.1:{s.commonroom.config.admin_port}"

    async def body_():
        alice = await User("alice", s.prosody.c2s_port).connect()
        dave = await User("dave", s.prosody.c2s_port).connect()
        await alice.create(ROOM, "alice", {"muc#roomconfig_persistentroom": "1",
                                           "muc#roomconfig_roomname": "Lobby"})
        await dave.join(ROOM, "mal")
        dave.message(ROOM, "you are a cretin, nobody wants you here")
        insult = await alice.expect(lambda m: m.tag == q(CLIENT, "message") and
                                    m.get("from") == f"{ROOM}/mal" and
                                    m.find(q(CLIENT, "body")) is not None, "dave's insult")
        stanza_id = insult.find(q(SID, "stanza-id")).get("id")
        moderate = ET.Element(q(MODERATE, "moderate"), id=stanza_id)
        ET.SubElement(moderate, q(RETRACT, "retract"))
        ET.SubElement(moderate, q(MODERATE, "reason")).text = "insult"
        await alice.iq(ROOM, "set", moderate)
        dave.message(ROOM, "still a cretin <script>alert(1)</script>")
        await alice.message_from(f"{ROOM}/mal", "dave's second message")
        # The abuse log writes to PostgreSQL behind the room; wait until it has both.
        for _ in range(100):
            if psql(s.db_uri, "SELECT count(*) FROM room_events WHERE kind IN"
                              " ('groupchat', 'retraction')") == "3":
                break
            await asyncio.sleep(0.1)

        seen = await asyncio.to_thread(drive, "staff", base)
        assert "Signed in as abe (abuse)" in seen["header"]
        # Found by words and user: both messages, newest first, the insult marked retracted.
        assert seen["results"].index("still a cretin <script>") < seen["results"].index(
            "you are a cretin")
        assert "RETRACTED" in seen["results"]
        # Its context: the join, the original text, who retracted it and why.
        assert "you are a cretin, nobody wants you here" in seen["retractedRow"]
        assert f"by alice@{XMPP_DOMAIN}" in seen["retractedRow"]
        assert ": insult." in seen["retractedRow"]
        assert "entered the room" in seen["context"]
        assert f"{base}/abuse/context?event=" in seen["links"]
        # The bundle verifies.
        assert seen["download"].startswith(f"evidence-{CASE}-") and seen["download"].endswith(".tar")
        out = subprocess.run([str(commonroom_bin()), "logs", "verify", str(SHOTS / "evidence.tar")],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert f"case {CASE}, exported by abe" in out.stdout and ", 2 event(s)" in out.stdout
        # The ban removed dave from the room at once (the rooms engine's ban, status 301).
        assert seen["banned"].startswith(f"{MALLORY} is banned from every room")
        gone = await dave.expect(lambda p: p.tag == q(CLIENT, "presence") and
                                 p.get("from") == f"{ROOM}/mal" and
                                 p.get("type") == "unavailable" and 301 in statuses(p),
                                 "dave's removal by the ban", timeout=10)
        assert gone is not None
        await alice.expect(lambda p: p.tag == q(CLIENT, "presence") and
                           p.get("from") == f"{ROOM}/mal" and p.get("type") == "unavailable",
                           "alice seeing dave go", timeout=5)
        assert "own domains" in seen["domainRefused"]
        assert "would keep" in seen["preview"] and "by or about them" in seen["preview"]
        assert seen["held"].startswith(f"The hold on user {MALLORY} is placed. It keeps")

        wls.principal = "aud"
        audit = await asyncio.to_thread(drive, "auditor", base)
        assert "Search the log" not in audit["nav"]
        steps = [line.split("\t")[1:3] for line in audit["trail"].splitlines()[1:]]
        # Going back to the results searched again (pages are not cached): audited too.
        assert steps == [["abe", "retention.hold.place"], ["abe", "ban.place"],
                         ["abe", "log.export"], ["abe", "log.search"], ["abe", "log.context"],
                         ["abe", "log.search"]]
        assert f"users: {MALLORY}; words: cretin" in audit["trail"]

    run(body_, timeout=180)
