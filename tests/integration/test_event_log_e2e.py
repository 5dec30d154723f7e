"""The abuse log end to end: real clients in a real room through Prosody, commonroom
killed with SIGKILL under traffic, restarted: every message any client received is in
room_events (docs/architecture.md rule 6).

Two slixmpp clients join a room on commonroom's MUC; alice sends numbered groupchat
messages as fast as the room echoes them back; bob records each one he receives. Mid-stream
commonroom is SIGKILLed (in one variant while PostgreSQL is also down, so the journal is
the only copy), then started again with the same journal directory.
"""
from __future__ import annotations

import asyncio
import signal
import time
import xml.etree.ElementTree as ET

import pytest

from harness import (MUC_DOMAIN, USERS, XMPP_DOMAIN, Commonroom, CommonroomConfig, HostServer,
                     run_coroutine, run_dir, wait_until)
from pg_support import Cluster, migrated_database, psql

ROOM = f"abuse-e2e@{MUC_DOMAIN}"
MUC_NS = "http://jabber.org/protocol/muc"


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def prosody():
    server = HostServer("prosody", run_dir("event-log-e2e"), components={MUC_DOMAIN: "s3cret"})
    server.start()
    yield server
    server.stop()


async def connect(jid, password, port):
    import slixmpp
    client = slixmpp.ClientXMPP(jid, password)
    client.connect(("127.0.0.1", port), disable_starttls=True)
    await client.wait_until("session_start", timeout=15)
    client.send_presence()
    return client


async def join(client, nick, create=False):
    joined = asyncio.get_running_loop().create_future()

    def on_presence(p):
        if str(p["from"]) == f"{ROOM}/{nick}" and not joined.done():
            joined.set_result(p)

    client.add_event_handler("presence", on_presence)
    presence = client.make_presence(pto=f"{ROOM}/{nick}")
    presence.append(ET.Element(f"{{{MUC_NS}}}x"))
    presence.send()
    await asyncio.wait_for(joined, 10)
    client.del_event_handler("presence", on_presence)
    if create:
        # A new room is locked until its owner configures it; accept the defaults.
        iq = client.make_iq_set(ito=ROOM)
        query = ET.Element(f"{{{MUC_NS}#owner}}query")
        ET.SubElement(query, "{jabber:x:data}x", type="submit")
        iq.append(query)
        await iq.send(timeout=10)


async def traffic(port, seconds, on_midpoint):
    """Runs the conversation; returns (bodies bob received, bodies alice sent)."""
    alice = await connect(f"alice@{XMPP_DOMAIN}/e2e", USERS["alice"], port)
    bob = await connect(f"bob@{XMPP_DOMAIN}/e2e", USERS["bob"], port)
    await join(alice, "alice", create=True)
    await join(bob, "bob")
    received: list[str] = []

    def on_groupchat(msg):
        body = msg["body"]
        if (msg["type"] == "groupchat" and str(msg["from"]) == f"{ROOM}/alice"
                and body.startswith("m-")):
            received.append(body)

    bob.add_event_handler("message", on_groupchat)
    sent = []
    start = time.monotonic()
    midpoint_done = False
    i = 0
    while time.monotonic() - start < seconds:
        body = f"m-{i}"
        alice.send_message(mto=ROOM, mbody=body, mtype="groupchat")
        sent.append(body)
        i += 1
        if not midpoint_done and time.monotonic() - start > seconds / 3:
            midpoint_done = True
            # In the background: alice keeps talking through whatever happens.
            midpoint = asyncio.get_running_loop().run_in_executor(None, on_midpoint)
        await asyncio.sleep(0.004)
    await midpoint
    await asyncio.sleep(1.0)  # let the last deliveries arrive
    for c in (alice, bob):
        c.abort()
    return received, sent


@pytest.mark.parametrize("outage", [False, True], ids=["postgres-up", "postgres-down"])
def test_every_message_a_client_received_is_logged_after_sigkill(pg, prosody, outage):
    directory = run_dir(f"event-log-e2e-{'down' if outage else 'up'}")
    uri = migrated_database(pg, directory)
    config = CommonroomConfig(link_port=prosody.component_port, muc=(MUC_DOMAIN, "s3cret"),
                              directory=None, database_uri=uri,
                              extra={"abuse-log": {"journal_dir": str(directory / "journal")},
                                     # Traffic for the durability check, not a flood test.
                                     "policy": {"messages_per_minute": "0"}})
    first = Commonroom(directory, config, name="first").start()
    first.wait_connected([MUC_DOMAIN])
    wait_until(lambda: "connected to PostgreSQL" in first.log_text() or
               psql(uri, "SELECT 1") == "1", 10, what="PostgreSQL")

    def crash():
        if outage:
            pg.crash()
            # Messages keep flowing, into the journal only, until the log has tried to copy
            # them into PostgreSQL (once a second, decision 0077) and found it gone.
            first.wait_for_log(r"abuse log: .*events go to the journal", timeout=10)
        first.signal(signal.SIGKILL)

    received, sent = run_coroutine(traffic(prosody.c2s_port, 3.0, crash))
    first.kill()
    assert len(received) >= 20, f"bob received only {len(received)} messages:\n" + \
        first.log_text()[-2000:]
    assert len(received) < len(sent), "commonroom was not killed while alice was sending"
    if outage:
        assert "events go to the journal" in first.log_text()
        pg.start()

    second = Commonroom(directory, config, name="second").start()
    try:
        second.wait_connected([MUC_DOMAIN])
        wanted = set(received)

        def all_logged():
            rows = psql(uri, "SELECT body FROM room_events WHERE kind = 'groupchat' "
                             f"AND actor_jid = 'alice@{XMPP_DOMAIN}/e2e'")
            return wanted <= set(rows.split())

        try:
            wait_until(all_logged, 30, interval=0.2, what="received messages in room_events")
        except TimeoutError:
            rows = set(psql(uri, "SELECT body FROM room_events").split())
            missing = sorted(wanted - rows)
            raise AssertionError(f"{len(missing)} of {len(wanted)} received messages are not "
                                 f"logged, e.g. {missing[:5]}\nsecond log:\n"
                                 f"{second.log_text()[-2000:]}")
        if outage:
            assert "replaying" in second.log_text() or "will be replayed" in second.log_text()
        # The room's history in the log: created, both joins, alice's messages, with real JIDs.
        kinds = psql(uri, "SELECT kind, count(*) FROM room_events WHERE room = "
                          f"'{ROOM}' GROUP BY kind ORDER BY kind")
        assert "room_created|1" in kinds.splitlines(), kinds
        assert psql(uri, "SELECT count(*) FROM room_events WHERE kind = 'join'") == "2"
        assert psql(uri, "SELECT count(DISTINCT event_id) = count(*) FROM room_events") == "t"
    finally:
        second.stop()


def metrics(port: int) -> dict[str, float]:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
            if line.startswith("commonroom_abuse_log_")}


def test_the_backlog_is_visible_on_metrics_while_postgresql_is_down(pg, prosody):
    directory = run_dir("event-log-e2e-metrics")
    uri = migrated_database(pg, directory)
    config = CommonroomConfig(link_port=prosody.component_port, muc=(MUC_DOMAIN, "s3cret"),
                              directory=None, database_uri=uri,
                              extra={"abuse-log": {"journal_dir": str(directory / "journal")},
                                     "policy": {"messages_per_minute": "0"}})
    cr = Commonroom(directory, config).start()
    try:
        cr.wait_connected([MUC_DOMAIN])
        wait_until(lambda: metrics(config.admin_port).get(
            "commonroom_abuse_log_database_connected") == 1, 10, what="abuse log connected")
        pg.crash()
        received, _ = run_coroutine(traffic(prosody.c2s_port, 1.5, lambda: None))
        assert received, "chat must go on while PostgreSQL is down"
        down = metrics(config.admin_port)
        assert down["commonroom_abuse_log_database_connected"] == 0, down
        assert down["commonroom_abuse_log_backlog_events"] >= len(received), down
        assert down["commonroom_abuse_log_backlog_bytes"] > 0, down

        pg.start()
        wait_until(lambda: metrics(config.admin_port)["commonroom_abuse_log_backlog_events"] == 0,
                   30, interval=0.2, what="the journal drained")
        up = metrics(config.admin_port)
        assert up["commonroom_abuse_log_database_connected"] == 1, up
        assert up["commonroom_abuse_log_replayed_events_total"] >= len(received), up
    finally:
        pg.start()
        cr.stop()
