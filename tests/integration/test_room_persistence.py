"""Persistent rooms survive a restart of commonroom: configuration, affiliations
and members-only rules come back from PostgreSQL; destroyed and temporary rooms do not.

Real clients through Prosody; commonroom is stopped with SIGTERM and started again on the
same database.
"""
from __future__ import annotations

import asyncio
import subprocess
import xml.etree.ElementTree as ET

import pytest

from harness import (MUC_DOMAIN, XMPP_DOMAIN, Commonroom, CommonroomConfig, HostServer,
                     commonroom_bin, run_coroutine, run_dir)
from pg_support import Cluster, migrated_database, psql

MUC = "http://jabber.org/protocol/muc"
OWNER = MUC + "#owner"
ADMIN = MUC + "#admin"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
SECRET = "s3cret"
USERS = {"alice": "alicepw", "bob": "bobpw", "carol": "carolpw", "dave": "davepw",
         "erin": "erinpw"}


# ------------------------------------------------------------------ shared with test_room_mam

@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


run = run_coroutine  # also used by test_room_mam


async def connect(user, port):
    import slixmpp
    client = slixmpp.ClientXMPP(f"{user}@{XMPP_DOMAIN}/t", USERS[user])
    client.connect(("127.0.0.1", port), disable_starttls=True)
    await client.wait_until("session_start", timeout=15)
    client.send_presence()
    return client


async def enter(client, room, nick):
    """Joins; returns None on success or the error condition of the error presence."""
    done = asyncio.get_running_loop().create_future()

    def on_presence(p):
        if str(p["from"]) != f"{room}/{nick}" or done.done():
            return
        if p["type"] == "error":
            xml = p.xml.find(f"{{jabber:client}}error")
            cond = [c.tag.split("}")[1] for c in xml if c.tag.startswith(f"{{{STANZAS}}}")]
            done.set_result(cond[0] if cond else "?")
        else:
            done.set_result(None)

    client.add_event_handler("presence", on_presence)
    presence = client.make_presence(pto=f"{room}/{nick}")
    presence.append(ET.Element(f"{{{MUC}}}x"))
    presence.send()
    try:
        return await asyncio.wait_for(done, 10)
    finally:
        client.del_event_handler("presence", on_presence)


async def iq(client, to, kind, payload):
    """Sends an iq; returns its reply element, or raises AssertionError(condition) on error."""
    from slixmpp.exceptions import IqError
    stanza = client.make_iq_set(ito=to) if kind == "set" else client.make_iq_get(ito=to)
    stanza.append(payload)
    try:
        return (await stanza.send(timeout=10)).xml
    except IqError as e:
        raise AssertionError(e.condition) from e


def form(fields, ns_type=None):
    x = ET.Element("{jabber:x:data}x", type="submit")
    if ns_type:
        f = ET.SubElement(x, "{jabber:x:data}field", var="FORM_TYPE", type="hidden")
        ET.SubElement(f, "{jabber:x:data}value").text = ns_type
    for var, value in fields.items():
        f = ET.SubElement(x, "{jabber:x:data}field", var=var)
        ET.SubElement(f, "{jabber:x:data}value").text = value
    return x


async def create(client, room, nick, fields):
    """Creates a room and submits its configuration form."""
    assert await enter(client, room, nick) is None
    query = ET.Element(f"{{{OWNER}}}query")
    query.append(form(fields, "http://jabber.org/protocol/muc#roomconfig"))
    await iq(client, room, "set", query)


async def set_affiliation(client, room, jid, affiliation):
    query = ET.Element(f"{{{ADMIN}}}query")
    ET.SubElement(query, f"{{{ADMIN}}}item", jid=jid, affiliation=affiliation)
    await iq(client, room, "set", query)


async def disco_info(client, room):
    return await iq(client, room, "get", ET.Element(f"{{{DISCO_INFO}}}query"))


def commonroom_config(prosody, uri, directory):
    return CommonroomConfig(link_port=prosody.component_port, muc=(MUC_DOMAIN, SECRET),
                            directory=None, database_uri=uri,
                            extra={"abuse-log": {"journal_dir": str(directory / "journal")},
                                   # Campus policy: only named people may own persistent rooms.
                                   "policy": {"local_domains": XMPP_DOMAIN,
                                              "persistent_creators": f"alice@{XMPP_DOMAIN}"}})


def prosody_server(name):
    server = HostServer("prosody", run_dir(name), components={MUC_DOMAIN: SECRET},
                        users=dict(USERS))
    server.start()
    return server


# ------------------------------------------------------------------ the tests

@pytest.fixture(scope="module")
def prosody():
    server = prosody_server("room-persistence-prosody")
    yield server
    server.stop()


ROOM = f"persist@{MUC_DOMAIN}"
DOOMED = f"doomed@{MUC_DOMAIN}"
TEMP = f"temp@{MUC_DOMAIN}"


def test_persistent_room_survives_restart_and_destroyed_or_temporary_rooms_do_not(pg, prosody):
    directory = run_dir("room-persistence")
    uri = migrated_database(pg, directory)
    config = commonroom_config(prosody, uri, directory)
    port = prosody.c2s_port

    async def before():
        alice = await connect("alice", port)
        bob = await connect("bob", port)
        await create(alice, ROOM, "alice", {
            "muc#roomconfig_persistentroom": "1", "muc#roomconfig_membersonly": "1",
            "muc#roomconfig_roomname": "Persistent seminar",
            "muc#roomconfig_roomdesc": "Reading group, Tuesdays"})
        await set_affiliation(alice, ROOM, f"bob@{XMPP_DOMAIN}", "member")
        await set_affiliation(alice, ROOM, f"erin@{XMPP_DOMAIN}", "admin")
        await set_affiliation(alice, ROOM, f"carol@{XMPP_DOMAIN}", "outcast")
        await create(alice, DOOMED, "alice", {"muc#roomconfig_persistentroom": "1"})
        destroy = ET.Element(f"{{{OWNER}}}query")
        ET.SubElement(destroy, f"{{{OWNER}}}destroy")
        await iq(alice, DOOMED, "set", destroy)
        # A temporary room goes when its last occupant leaves.
        await create(bob, TEMP, "bob", {})
        assert (await disco_info(alice, TEMP)) is not None
        bob.send_presence(pto=f"{TEMP}/bob", ptype="unavailable")
        await asyncio.sleep(0.5)
        try:
            await disco_info(alice, TEMP)
            gone = None
        except AssertionError as e:
            gone = str(e)
        for c in (alice, bob):
            c.abort()
        return gone

    first = Commonroom(directory, config, name="first").start()
    try:
        first.wait_connected([MUC_DOMAIN])
        assert run(before()) == "item-not-found"
        assert psql(uri, "SELECT jid FROM rooms ORDER BY jid") == ROOM
    finally:
        assert first.stop() == 0

    async def after():
        alice = await connect("alice", port)
        bob = await connect("bob", port)
        carol = await connect("carol", port)
        dave = await connect("dave", port)
        info = await disco_info(alice, ROOM)
        features = {f.get("var") for f in info.iter(f"{{{DISCO_INFO}}}feature")}
        names = [i.get("name") for i in info.iter(f"{{{DISCO_INFO}}}identity")]
        values = {f.get("var"): [v.text for v in f.iter("{jabber:x:data}value")]
                  for f in info.iter("{jabber:x:data}field")}
        outcome = {
            "features": features, "names": names, "values": values,
            "bob": await enter(bob, ROOM, "bob"),
            "carol": await enter(carol, ROOM, "carol"),
            "dave": await enter(dave, ROOM, "dave"),
        }
        try:
            await disco_info(alice, DOOMED)
            outcome["doomed"] = None
        except AssertionError as e:
            outcome["doomed"] = str(e)
        admins = ET.Element(f"{{{ADMIN}}}query")
        ET.SubElement(admins, f"{{{ADMIN}}}item", affiliation="admin")
        # Only owners and admins may read the admin list: alice must enter first.
        assert await enter(alice, ROOM, "alice") is None
        reply = await iq(alice, ROOM, "get", admins)
        outcome["admins"] = [i.get("jid") for i in reply.iter(f"{{{ADMIN}}}item")]
        for c in (alice, bob, carol, dave):
            c.abort()
        return outcome

    second = Commonroom(directory, config, name="second").start()
    try:
        second.wait_connected([MUC_DOMAIN])
        assert "restored 1 persistent room" in second.log_text()
        got = run(after())
    finally:
        second.stop()
    assert {"muc_persistent", "muc_membersonly"} <= got["features"], got["features"]
    assert got["names"] == ["Persistent seminar"], got["names"]
    assert got["values"].get("muc#roominfo_description") == ["Reading group, Tuesdays"], \
        got["values"]
    assert got["bob"] is None  # a member enters
    assert got["carol"] == "forbidden"  # banned
    assert got["dave"] == "registration-required"  # not a member
    assert got["doomed"] == "item-not-found"
    assert got["admins"] == [f"erin@{XMPP_DOMAIN}"]


OUTAGE_ROOM = f"outage@{MUC_DOMAIN}"


def test_a_change_made_while_postgresql_is_down_is_saved_when_it_returns(pg, prosody):
    directory = run_dir("room-persistence-outage")
    uri = migrated_database(pg, directory)
    config = commonroom_config(prosody, uri, directory)
    port = prosody.c2s_port

    async def configure(fields):
        alice = await connect("alice", port)
        try:
            if fields is None:
                return await disco_info(alice, OUTAGE_ROOM)
            await create(alice, OUTAGE_ROOM, "alice", fields)
            alice.send_presence(pto=f"{OUTAGE_ROOM}/alice", ptype="unavailable")
            await asyncio.sleep(0.3)
        finally:
            alice.abort()

    first = Commonroom(directory, config, name="first").start()
    try:
        first.wait_connected([MUC_DOMAIN])
        run(configure({"muc#roomconfig_persistentroom": "1",
                       "muc#roomconfig_roomname": "Before the outage"}))
        pg.crash()
        mark = first.log_mark()
        # The room answers while PostgreSQL is down; its new state waits in memory.
        run(configure({"muc#roomconfig_roomname": "During the outage"}))
        first.wait_for_log(r"cannot save 1 room\(s\) to PostgreSQL, will retry", after=mark)
        pg.start()
        first.wait_for_log(r"saved 1 pending room\(s\)", after=mark, timeout=20)
    finally:
        first.stop()
    assert psql(uri, f"SELECT config->>'name' FROM rooms WHERE jid = '{OUTAGE_ROOM}'") == \
        "During the outage"

    second = Commonroom(directory, config, name="second").start()
    try:
        second.wait_connected([MUC_DOMAIN])
        info = run(configure(None))
    finally:
        second.stop()
    names = [i.get("name") for i in info.iter(f"{{{DISCO_INFO}}}identity")]
    assert names == ["During the outage"]


APPROVAL_ROOM = f"approval@{MUC_DOMAIN}"
REGISTER = "jabber:iq:register"
MUC_REGISTER = MUC + "#register"


def collect_forms(client):
    """Returns a list that fills with every data form (as {var: value}) the client is sent
    in a message from the approval room."""
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath
    forms = []

    def on_message(m):
        x = m.xml.find("{jabber:x:data}x")
        if m.xml.get("from") == APPROVAL_ROOM and x is not None:
            forms.append({f.get("var"): f.findtext("{jabber:x:data}value")
                          for f in x.iter("{jabber:x:data}field")})

    # A raw handler: slixmpp's "message" event leaves out some messages without a body.
    client.register_handler(Callback("approval-forms", MatchXPath("{jabber:client}message"),
                                     on_message))
    return forms


async def wait_for(predicate, what, timeout=10):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"never saw {what}"
        await asyncio.sleep(0.05)


def test_a_registration_request_waiting_for_approval_survives_a_restart(pg, prosody):
    # XEP-0045 §7.10 + §9.9: dave asks to register with a members-only room whose owner must
    # approve; commonroom restarts before anyone decides; the owner, entering the room, is
    # asked again, approves, and dave becomes a member who may enter under the nick he asked.
    directory = run_dir("room-registration-approval")
    uri = migrated_database(pg, directory)
    config = commonroom_config(prosody, uri, directory)
    port = prosody.c2s_port

    async def ask():
        alice = await connect("alice", port)
        dave = await connect("dave", port)
        asked = collect_forms(alice)
        await create(alice, APPROVAL_ROOM, "alice", {
            "muc#roomconfig_persistentroom": "1", "muc#roomconfig_membersonly": "1",
            "x-commonroom#registration": "approval"})
        offered = await iq(dave, APPROVAL_ROOM, "get", ET.Element(f"{{{REGISTER}}}query"))
        offered_vars = {f.get("var") for f in offered.iter("{jabber:x:data}field")}
        query = ET.Element(f"{{{REGISTER}}}query")
        query.append(form({"muc#register_first": "Dave", "muc#register_last": "Davies",
                           "muc#register_roomnick": "davey"}, MUC_REGISTER))
        await iq(dave, APPROVAL_ROOM, "set", query)
        await wait_for(lambda: asked, "the approval form at alice")
        refused = await enter(dave, APPROVAL_ROOM, "davey")
        for c in (alice, dave):
            c.abort()
        return offered_vars, asked[0], refused

    first = Commonroom(directory, config, name="first").start()
    try:
        first.wait_connected([MUC_DOMAIN])
        offered_vars, asked, refused = run(ask())
    finally:
        assert first.stop() == 0
    assert {"muc#register_first", "muc#register_roomnick"} <= offered_vars, offered_vars
    assert asked["muc#jid"] == f"dave@{XMPP_DOMAIN}", asked
    assert asked["muc#register_roomnick"] == "davey" and asked["muc#register_first"] == "Dave"
    assert asked["muc#register_allow"] in ("0", "false"), asked
    assert refused == "registration-required"  # not a member until approved
    assert psql(uri, "SELECT jid || ' ' || nick || ' ' || details::text FROM "
                     "room_registration_requests") == \
        f'dave@{XMPP_DOMAIN} davey [["muc#register_first", "Dave"], ' \
        f'["muc#register_last", "Davies"]]'

    async def approve():
        alice = await connect("alice", port)
        dave = await connect("dave", port)
        invited = []

        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath

        def on_message(m):
            if m.xml.find(f"{{{MUC}#user}}x/{{{MUC}#user}}invite") is not None:
                invited.append(m.xml.get("from"))

        dave.register_handler(Callback("invites", MatchXPath("{jabber:client}message"),
                                       on_message))
        reminded = collect_forms(alice)
        assert await enter(alice, APPROVAL_ROOM, "alice") is None
        await wait_for(lambda: reminded, "the reminder at alice")
        answer = ET.Element("{jabber:client}message", to=APPROVAL_ROOM)
        answer.append(form({"muc#jid": f"dave@{XMPP_DOMAIN}", "muc#register_roomnick": "davey",
                            "muc#register_allow": "1"}, MUC_REGISTER))
        alice.send_raw(ET.tostring(answer, encoding="unicode"))
        await wait_for(lambda: invited, "dave's invitation")
        entered = await enter(dave, APPROVAL_ROOM, "davey")
        for c in (alice, dave):
            c.abort()
        return reminded[0], entered

    second = Commonroom(directory, config, name="second").start()
    try:
        second.wait_connected([MUC_DOMAIN])
        reminded, entered = run(approve())
    finally:
        second.stop()
    assert reminded["muc#jid"] == f"dave@{XMPP_DOMAIN}", reminded
    assert entered is None  # a member now
    assert psql(uri, "SELECT count(*) FROM room_registration_requests") == "0"
    assert psql(uri, "SELECT affiliation || ' ' || nick FROM room_affiliations "
                     f"WHERE jid = 'dave@{XMPP_DOMAIN}'") == "member davey"
    kinds = psql(uri, "SELECT string_agg(kind || ':' || coalesce(body, ''), ',' ORDER BY seq) "
                      f"FROM room_events WHERE target IN ('davey', 'dave@{XMPP_DOMAIN}')")
    assert kinds == "registration_request:,affiliation_change:registration approved", kinds


FROZEN_ROOM = f"frozen@{MUC_DOMAIN}"
CHATTER_ROOM = f"chatter@{MUC_DOMAIN}"


def test_a_hung_postgresql_does_not_freeze_the_rooms(pg, prosody):
    # PostgreSQL stops answering (every server process SIGSTOPped): an owner's change to a
    # persistent room is still answered within the wait budget, other rooms keep talking,
    # and the change reaches PostgreSQL once it answers again.
    directory = run_dir("room-persistence-hung")
    uri = migrated_database(pg, directory)
    config = commonroom_config(prosody, uri, directory)
    port = prosody.c2s_port
    loop_time = lambda: asyncio.get_running_loop().time()  # noqa: E731

    async def scenario():
        alice = await connect("alice", port)
        bob = await connect("bob", port)
        await create(alice, FROZEN_ROOM, "alice", {"muc#roomconfig_persistentroom": "1",
                                                   "muc#roomconfig_roomname": "Before"})
        await create(alice, CHATTER_ROOM, "alice", {})
        assert await enter(bob, CHATTER_ROOM, "bob") is None
        heard = asyncio.Queue()
        alice.add_event_handler("message", lambda m: heard.put_nowait(m["body"])
                                if m["type"] == "groupchat" and m["body"] else None)
        pg.freeze()
        try:
            t0 = loop_time()
            query = ET.Element(f"{{{OWNER}}}query")
            query.append(form({"muc#roomconfig_roomname": "During"},
                              "http://jabber.org/protocol/muc#roomconfig"))
            await iq(alice, FROZEN_ROOM, "set", query)
            answered = loop_time() - t0
            t0 = loop_time()
            bob.send_message(mto=CHATTER_ROOM, mbody="still here?", mtype="groupchat")
            while await asyncio.wait_for(heard.get(), 10) != "still here?":
                pass
            delivered = loop_time() - t0
        finally:
            pg.thaw()
        for c in (alice, bob):
            c.abort()
        return answered, delivered

    server = Commonroom(directory, config).start()
    try:
        server.wait_connected([MUC_DOMAIN])
        mark = server.log_mark()
        answered, delivered = run(scenario())
        server.wait_for_log(r"saved 1 pending room\(s\)", after=mark, timeout=30)
    finally:
        server.stop()
    # Budget 1 s for the room save; the abuse log falls back to its journal after 1 s too.
    print(f"hung PostgreSQL: config change answered in {answered:.2f} s, "
          f"message delivered in {delivered:.2f} s")
    assert answered < 4, answered
    assert delivered < 4, delivered
    assert psql(uri, f"SELECT config->>'name' FROM rooms WHERE jid = '{FROZEN_ROOM}'") == "During"


LOCKED_ROOM = f"locked@{MUC_DOMAIN}"


async def enter_with_password(client, room, nick, password):
    """Like enter(), with <password/> in the join's <x/>."""
    done = asyncio.get_running_loop().create_future()

    def on_presence(p):
        if str(p["from"]) != f"{room}/{nick}" or done.done():
            return
        if p["type"] == "error":
            xml = p.xml.find("{jabber:client}error")
            cond = [c.tag.split("}")[1] for c in xml if c.tag.startswith(f"{{{STANZAS}}}")]
            done.set_result(cond[0] if cond else "?")
        else:
            done.set_result(None)

    client.add_event_handler("presence", on_presence)
    presence = client.make_presence(pto=f"{room}/{nick}")
    x = ET.Element(f"{{{MUC}}}x")
    ET.SubElement(x, f"{{{MUC}}}password").text = password
    presence.append(x)
    presence.send()
    try:
        return await asyncio.wait_for(done, 10)
    finally:
        client.del_event_handler("presence", on_presence)


def test_room_passwords_are_stored_hashed_and_clear_ones_from_older_rows_are_hashed(pg, prosody):
    directory = run_dir("room-persistence-password")
    uri = migrated_database(pg, directory)
    config = commonroom_config(prosody, uri, directory)
    port = prosody.c2s_port
    stored = f"SELECT config->>'password' FROM rooms WHERE jid = '{LOCKED_ROOM}'"

    async def make_room():
        alice = await connect("alice", port)
        await create(alice, LOCKED_ROOM, "alice", {
            "muc#roomconfig_persistentroom": "1",
            "muc#roomconfig_passwordprotectedroom": "1",
            "muc#roomconfig_roomsecret": "cauldronburn"})
        alice.abort()

    first = Commonroom(directory, config, name="password-first").start()
    try:
        first.wait_connected([MUC_DOMAIN])
        run(make_room())
        hashed = psql(uri, stored)
    finally:
        assert first.stop() == 0
    assert hashed.startswith("pbkdf2-sha256$") and "cauldronburn" not in hashed, hashed

    # A row as a binary from before hashing wrote it: migrate hashes it, once.
    psql(uri, "UPDATE rooms SET config = jsonb_set(config, '{password}', '\"cauldronburn\"')"
              f" WHERE jid = '{LOCKED_ROOM}'")
    ini = directory / "migrate.ini"
    migrate = [str(commonroom_bin()), "--config", str(ini), "migrate"]
    out = subprocess.run(migrate, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "hashed the passwords of 1 room(s)" in out.stdout, out.stdout
    migrated = psql(uri, stored)
    assert migrated.startswith("pbkdf2-sha256$") and "cauldronburn" not in migrated
    again = subprocess.run(migrate, capture_output=True, text=True, timeout=120)
    assert "hashed the passwords" not in again.stdout
    assert psql(uri, stored) == migrated

    # And one the service finds in clear at start (migrate not run): hashed before use.
    psql(uri, "UPDATE rooms SET config = jsonb_set(config, '{password}', '\"cauldronburn\"')"
              f" WHERE jid = '{LOCKED_ROOM}'")

    async def joins():
        bob = await connect("bob", port)
        carol = await connect("carol", port)
        outcome = {"none": await enter(carol, LOCKED_ROOM, "carol"),
                   "wrong": await enter_with_password(bob, LOCKED_ROOM, "bob", "toadstool"),
                   "right": await enter_with_password(bob, LOCKED_ROOM, "bob", "cauldronburn")}
        for c in (bob, carol):
            c.abort()
        return outcome

    second = Commonroom(directory, config, name="password-second").start()
    try:
        second.wait_connected([MUC_DOMAIN])
        assert psql(uri, stored).startswith("pbkdf2-sha256$")
        got = run(joins())
    finally:
        second.stop()
    assert got == {"none": "not-authorized", "wrong": "not-authorized", "right": None}, got
    assert "cauldronburn" not in second.log_text()
