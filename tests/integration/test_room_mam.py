"""XEP-0313 on rooms, served from the abuse log (room_events), and XEP-0425 moderated
retraction: paging, time and sender filters, membership, and a retracted message
gone from the archive but kept, marked, for abuse staff.
"""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from harness import MUC_DOMAIN, XMPP_DOMAIN, Commonroom, run_dir, wait_until
from pg_support import psql
from test_room_persistence import (commonroom_config, connect, create, enter, form, iq,
                                   migrated_database, pg, prosody_server, run,
                                   set_affiliation)  # noqa: F401 - pg is a fixture

MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
FORWARD = "urn:xmpp:forward:0"
RETRACT = "urn:xmpp:message-retract:1"
ROOM = f"archive@{MUC_DOMAIN}"
BODIES = ["a0", "a1", "a2", "b0", "a3"]  # b0 is bob's, the rest alice's
THREADS: dict[str, str] = {}  # body -> <thread/> of archived messages that had one
OCCUPANT_ID = "{urn:xmpp:occupant-id:0}occupant-id"
ARCHIVED_IDS: dict[str, str] = {}  # body -> XEP-0421 occupant-id on the archived message


@pytest.fixture(scope="module")
def prosody():
    server = prosody_server("room-mam-prosody")
    yield server
    server.stop()


async def mam(client, fields=None, max_=None, after=None, room=ROOM):
    """One archive query: ([(archive id, stamp, from, body)], fin element)."""
    qid = f"q{id(fields)}{after}"
    results = []

    def on_message(msg):
        r = msg.xml.find(f"{{{MAM}}}result")
        if r is None or r.get("queryid") != qid:
            return
        inner = r.find(f"{{{FORWARD}}}forwarded")
        delay = inner.find("{urn:xmpp:delay}delay")
        m = inner.find("{jabber:client}message")
        body = m.find("{jabber:client}body").text
        results.append((r.get("id"), delay.get("stamp"), m.get("from"), body))
        thread = m.find("{jabber:client}thread")
        if thread is not None:
            THREADS[body] = thread.text
        oid = m.find(OCCUPANT_ID)
        if oid is not None:
            ARCHIVED_IDS[body] = oid.get("id")

    # slixmpp's "message" event only fires for messages with a body: match results directly.
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath
    client.register_handler(Callback(qid, MatchXPath(f"{{jabber:client}}message/{{{MAM}}}result"),
                                     on_message))
    query = ET.Element(f"{{{MAM}}}query", queryid=qid)
    if fields:
        query.append(form(fields, MAM))
    if max_ is not None or after is not None:
        s = ET.SubElement(query, f"{{{RSM}}}set")
        if max_ is not None:
            ET.SubElement(s, f"{{{RSM}}}max").text = str(max_)
        if after is not None:
            ET.SubElement(s, f"{{{RSM}}}after").text = after
    try:
        reply = await iq(client, room, "set", query)
    finally:
        client.remove_handler(qid)
    # XEP-0313 §4.2: every <result/> arrives before the iq that ends the query.
    return results, reply.find(f"{{{MAM}}}fin")


def rsm(fin, name):
    e = fin.find(f"{{{RSM}}}set/{{{RSM}}}{name}")
    return None if e is None else e.text


def shifted(stamp, ms):
    t = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_archive_paging_filters_membership_and_moderated_retraction(pg, prosody):
    directory = run_dir("room-mam")
    uri = migrated_database(pg, directory)
    port = prosody.c2s_port

    async def scenario():
        alice = await connect("alice", port)
        bob = await connect("bob", port)
        carol = await connect("carol", port)
        await create(alice, ROOM, "alice", {"muc#roomconfig_persistentroom": "1",
                                            "muc#roomconfig_membersonly": "1"})
        await set_affiliation(alice, ROOM, f"bob@{XMPP_DOMAIN}", "member")
        assert await enter(bob, ROOM, "bob") is None
        seen = asyncio.Queue()
        retractions = []
        live_ids = {}

        def on_bob_message(msg):
            if msg["type"] == "groupchat" and msg["body"]:
                seen.put_nowait(msg["body"])
                oid = msg.xml.find(OCCUPANT_ID)
                live_ids[msg["body"]] = None if oid is None else oid.get("id")

        def on_retraction(msg):
            retractions.append(msg.xml.find(f"{{{RETRACT}}}retract").get("id"))

        bob.add_event_handler("message", on_bob_message)
        # A retraction has no body, so slixmpp's "message" event never sees it.
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath
        bob.register_handler(Callback("retract", MatchXPath(
            f"{{jabber:client}}message/{{{RETRACT}}}retract"), on_retraction))
        for body in BODIES:
            sender = bob if body.startswith("b") else alice
            msg = sender.make_message(mto=ROOM, mbody=body, mtype="groupchat")
            if body == "a3":
                msg["thread"] = "thread-of-a3"  # the archive gives back more than the body
            msg.send()
            assert await asyncio.wait_for(seen.get(), 10) == body
            await asyncio.sleep(0.06)  # distinct timestamps for the start/end filters
        # Delivered means durable; wait until the log has reached PostgreSQL too.
        await asyncio.get_running_loop().run_in_executor(None, lambda: wait_until(
            lambda: psql(uri, f"SELECT count(*) FROM room_events WHERE room = '{ROOM}' "
                              "AND kind = 'groupchat'") == "5", 10, what="events in PostgreSQL"))
        out = {}
        out["page1"], fin1 = await mam(bob, max_=2)
        out["fin1"] = (fin1.get("complete"), rsm(fin1, "count"))
        out["page2"], fin2 = await mam(bob, max_=2, after=rsm(fin1, "last"))
        out["page3"], fin3 = await mam(bob, max_=2, after=rsm(fin2, "last"))
        out["fin3"] = fin3.get("complete")
        everything = out["page1"] + out["page2"] + out["page3"]
        stamps = {body: stamp for _, stamp, _, body in everything}
        out["with_bob"], _ = await mam(bob, {"with": f"{ROOM}/bob"})
        out["a1_to_a2"], _ = await mam(bob, {"start": stamps["a1"],
                                             "end": shifted(stamps["a2"], 30)})
        try:
            await mam(carol)
            out["carol"] = None
        except AssertionError as e:
            out["carol"] = str(e)
        # alice, owner and so moderator, retracts bob's message (XEP-0425).
        b0 = next(i for i, _, _, body in everything if body == "b0")
        moderate = ET.Element("{urn:xmpp:message-moderate:1}moderate", id=b0)
        ET.SubElement(moderate, "{urn:xmpp:message-retract:1}retract")
        ET.SubElement(moderate, "{urn:xmpp:message-moderate:1}reason").text = "spam"
        await iq(alice, ROOM, "set", moderate)
        await asyncio.sleep(0.5)
        out["retractions"] = list(retractions)
        out["b0"] = b0
        out["live_ids"] = live_ids
        out["after_retraction"], _ = await mam(bob)
        out["first_index1"] = fin1.find(f"{{{RSM}}}set/{{{RSM}}}first").get("index")
        # A busy room: counting its whole archive for every query would take seconds, so
        # beyond 2,000 results <count/> and 'index' are left out (XEP-0059 allows it) and the
        # page itself still comes.
        await asyncio.get_running_loop().run_in_executor(None, lambda: psql(
            uri, "INSERT INTO room_events (event_id, room, stanza_id, occurred_at, kind, "
                 "actor_jid, actor_nick, body) SELECT 'bulk-' || n, "
                 f"'{ROOM}', 'bulk-sid-' || n, now() + n * interval '1 millisecond', "
                 f"'groupchat', 'alice@{XMPP_DOMAIN}/x', 'alice', 'bulk ' || n "
                 "FROM generate_series(1, 2000) n"))
        out["busy"], out["busy_fin"] = await mam(bob, max_=10)
        for c in (alice, bob, carol):
            c.abort()
        return out

    server = Commonroom(directory, commonroom_config(prosody, uri, directory)).start()
    try:
        server.wait_connected([MUC_DOMAIN])
        got = run(scenario())
    finally:
        server.stop()

    bodies = lambda page: [body for _, _, _, body in page]  # noqa: E731
    assert bodies(got["page1"]) == ["a0", "a1"]
    assert got["fin1"] == (None, "5")  # more to come; five in all
    assert bodies(got["page2"]) == ["a2", "b0"]
    assert bodies(got["page3"]) == ["a3"]
    assert THREADS == {"a3": "thread-of-a3"}, THREADS
    # XEP-0421 §5: archived messages carry the occupant-id the live ones had.
    live_archived = {body: oid for body, oid in ARCHIVED_IDS.items() if body in BODIES}
    assert live_archived == got["live_ids"], (live_archived, got["live_ids"])
    assert ARCHIVED_IDS["a0"] == ARCHIVED_IDS["a3"] != ARCHIVED_IDS["b0"], ARCHIVED_IDS
    assert got["fin3"] == "true"
    assert [f for _, _, f, _ in got["page1"]] == [f"{ROOM}/alice"] * 2
    assert bodies(got["with_bob"]) == ["b0"]
    assert bodies(got["a1_to_a2"]) == ["a1", "a2"]
    assert got["carol"] == "forbidden"
    assert got["retractions"] == [got["b0"]]
    assert bodies(got["after_retraction"]) == ["a0", "a1", "a2", "a3"]
    assert got["first_index1"] == "0"
    assert bodies(got["busy"]) == ["a0", "a1", "a2", "a3"] + [f"bulk {n}" for n in range(1, 7)]
    busy_fin = got["busy_fin"]
    assert busy_fin.get("complete") is None
    assert rsm(busy_fin, "count") is None  # 2,004 results: not counted
    assert busy_fin.find(f"{{{RSM}}}set/{{{RSM}}}first").get("index") is None
    assert rsm(busy_fin, "last") == "bulk-sid-6"
    # The abuse log keeps the original, marked as retracted, with who did it and why.
    row = psql(uri, "SELECT body, retracted_by IS NOT NULL, retraction_reason FROM "
                    f"room_events_with_retractions WHERE stanza_id = '{got['b0']}'")
    assert row == "b0|t|spam", row


def gathering_log(pg, prosody, name):
    """A database and a commonroom configuration whose journal-first log copies into
    PostgreSQL only when a reader asks (the interval is a minute): (directory, uri, config)."""
    directory = run_dir(name)
    uri = migrated_database(pg, directory)
    config = commonroom_config(prosody, uri, directory)
    config.extra["abuse-log"].update({"mode": "journal-first", "replay_interval_ms": "60000"})
    return directory, uri, config


async def owner_talking_in(room, port):
    """alice in a new persistent room, and say(body): sends it and waits for its echo."""
    alice = await connect("alice", port)
    await create(alice, room, "alice", {"muc#roomconfig_persistentroom": "1"})
    echoed = asyncio.Queue()
    alice.add_event_handler("message", lambda m: m["type"] == "groupchat" and m["body"]
                            and echoed.put_nowait(m["body"]))

    async def say(body):
        alice.make_message(mto=room, mbody=body, mtype="groupchat").send()
        assert await asyncio.wait_for(echoed.get(), 10) == body

    return alice, say


def served(directory, config, scenario, cleanup=lambda: None):
    server = Commonroom(directory, config).start()
    try:
        server.wait_connected([MUC_DOMAIN])
        return run(scenario())
    finally:
        cleanup()
        server.stop()


def test_the_archive_has_the_message_its_sender_just_saw_while_the_journal_gathers(pg, prosody):
    """journal-first copies the journal into PostgreSQL only every replay_interval_ms
    (decision 0077). A client that asks the archive right after its own message came back
    must still find it there: the query waits for the copy, and asks for it at once."""
    directory, uri, config = gathering_log(pg, prosody, "room-mam-gathered")
    room = f"gathered@{MUC_DOMAIN}"
    count_sql = f"SELECT count(*) FROM room_events WHERE room = '{room}' AND kind = 'groupchat'"

    async def scenario():
        alice, say = await owner_talking_in(room, prosody.c2s_port)
        out = {"in_postgresql_before": [], "pages": []}
        for body in ("first", "second"):
            await say(body)
            out["in_postgresql_before"].append(await asyncio.get_running_loop().run_in_executor(
                None, lambda: psql(uri, count_sql)))
            results, fin = await mam(alice, room=room)
            out["pages"].append(([b for _, _, _, b in results], fin.get("complete")))
        alice.abort()
        return out

    got = served(directory, config, scenario)
    # Delivered and durable in the journal, not yet in PostgreSQL (the next copy was a
    # minute away) ...
    assert got["in_postgresql_before"] == ["0", "1"], got
    # ... yet each query found everything said so far, and said the page was complete.
    assert got["pages"] == [(["first"], "true"), (["first", "second"], "true")], got


def test_while_postgresql_is_away_the_archive_says_try_again_then_has_everything(pg, prosody):
    """Chat goes on while PostgreSQL is down, the journal holding the log. The archive
    cannot show the newest messages then, and must not answer with a page that looks
    complete without them: the client gets an error it may retry, and once PostgreSQL is
    back the same query finds everything."""
    directory, _, config = gathering_log(pg, prosody, "room-mam-outage")
    room = f"outage@{MUC_DOMAIN}"

    async def scenario():
        alice, say = await owner_talking_in(room, prosody.c2s_port)
        loop = asyncio.get_running_loop()
        await say("before")
        await loop.run_in_executor(None, pg.crash)
        await say("during")  # chat goes on
        out = {}
        try:
            await mam(alice, room=room)
            out["while_down"] = "a page"
        except AssertionError as e:
            error = e.__cause__.iq["error"]
            out["while_down"] = (error["condition"], error["type"], error["text"])
        await loop.run_in_executor(None, pg.start)
        deadline = loop.time() + 30  # the log reconnects with backoff; the client retries
        while loop.time() < deadline:
            try:
                results, fin = await mam(alice, room=room)
                out["after"] = ([b for _, _, _, b in results], fin.get("complete"))
                break
            except AssertionError:
                await asyncio.sleep(0.2)
        alice.abort()
        return out

    got = served(directory, config, scenario, cleanup=pg.start)
    assert got["while_down"] == ("resource-constraint", "wait", "the newest messages are not in "
                                 "the archive yet; try again in a moment"), got
    assert got.get("after") == (["before", "during"], "true"), got
