"""Rooms end to end, part two: leaving (on purpose, by disconnecting, by the room being
destroyed), several sessions of one user under one nick, password-protected rooms, rooms
made members-only while occupied, and the campus rule that rooms are never anonymous. Same setup as test_rooms.py: real slixmpp clients, a real Prosody,
commonroom with its abuse log on a real PostgreSQL.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from rooms_support import (CLIENT, DATA, MUC, MUC_DOMAIN, MUC_OWNER, MUC_USER, XMPP_DOMAIN,
                           Servers, StanzaError, User, body, form, item, q, run,
                           statuses)
from pg_support import psql_eventually  # noqa: E402

DISCO_INFO = "http://jabber.org/protocol/disco#info"


@pytest.fixture(scope="module")
def servers():
    s = Servers("rooms-sessions-e2e").start()
    yield s
    s.stop()


def room_jid(name: str) -> str:
    return f"{name}@{MUC_DOMAIN}"


def xml(stanza: ET.Element) -> str:
    return ET.tostring(stanza, encoding="unicode")


async def connect(servers, name: str, resource: str = "e2e") -> User:
    return await User(name, servers.prosody.c2s_port, resource).connect()


def unavailable_from(jid: str):
    return lambda s: s.get("from") == jid and s.get("type") == "unavailable"


def test_leaving_and_disconnecting(servers):
    room = room_jid("exits")

    async def body_():
        alice = await connect(servers, "alice")
        bob = await connect(servers, "bob")
        carol = await connect(servers, "carol")
        await alice.create(room, "alice")
        await bob.join(room, "bob")
        await carol.join(room, "carol")

        # Leaving with a status: 110 to the leaver, the status text to the others.
        p = ET.Element(q(CLIENT, "presence"), to=f"{room}/bob", type="unavailable")
        ET.SubElement(p, q(CLIENT, "status")).text = "Off to lunch"
        bob.send(p)
        mine = await bob.expect(unavailable_from(f"{room}/bob"), "his own exit")
        assert 110 in statuses(mine) and item(mine).get("role") == "none", xml(mine)
        theirs = await alice.expect(unavailable_from(f"{room}/bob"), "bob's exit")
        assert theirs.findtext(q(CLIENT, "status")) == "Off to lunch", xml(theirs)
        assert 110 not in statuses(theirs)

        # A client that just goes away: Prosody tells the room, the room tells the others.
        carol.close()
        gone = await alice.expect(unavailable_from(f"{room}/carol"), "carol's disconnection",
                                  timeout=10)
        assert item(gone).get("role") == "none", xml(gone)

        # A delivery error from an occupant's address (what a server sends back for a
        # session that is gone) removes that occupant as a ghost, with 333 (§18.1.2).
        dave = await connect(servers, "dave")
        await dave.join(room, "dave")
        error = ET.Element(q(CLIENT, "message"), to=room, type="error")
        e = ET.SubElement(error, q(CLIENT, "error"), type="cancel")
        ET.SubElement(e, "{urn:ietf:params:xml:ns:xmpp-stanzas}recipient-unavailable")
        dave.send(error)
        ghost = await alice.expect(unavailable_from(f"{room}/dave"), "dave's removal")
        assert 333 in statuses(ghost), xml(ghost)

        # The room is empty apart from alice: the occupant list says so.
        items = await alice.iq(room, "get", ET.Element(
            q("http://jabber.org/protocol/disco#items", "query")))
        assert [i.get("jid") for i in items] == [f"{room}/alice"], xml(items)

    run(body_)
    # Both departures are in the abuse log (alice's own may follow, from the teardown).
    exits = psql_eventually(servers.db_uri, "SELECT actor_nick || ':' || coalesce(body, '') FROM "
                            f"room_events WHERE kind = 'exit' AND room = '{room}' AND actor_nick <> "
                            "'alice' ORDER BY actor_nick", lambda v: len(v.splitlines()) >= 3)
    assert exits.splitlines() == ["bob:Off to lunch", "carol:",
                                 "dave:delivery error: recipient-unavailable"], exits


def test_one_nick_from_several_sessions(servers):
    room = room_jid("sessions")

    async def body_():
        alice = await connect(servers, "alice")
        laptop = await connect(servers, "bob", "laptop")
        phone = await connect(servers, "bob", "phone")
        await alice.create(room, "alice")
        await laptop.join(room, "bob")
        await phone.join(room, "bob")

        alice.message(room, "to everyone")
        for session in (laptop, phone):
            got = await session.message_from(f"{room}/alice", "the groupchat message")
            assert body(got) == "to everyone"
        alice.message(f"{room}/bob", "to bob", mtype="chat")
        for session in (laptop, phone):
            got = await session.message_from(f"{room}/alice", "the private message")
            assert body(got) == "to bob" and got.get("type") == "chat"

        # One session leaving leaves bob in the room through the other.
        phone.presence(f"{room}/bob", ptype="unavailable")
        await phone.expect(unavailable_from(f"{room}/bob"), "the phone's exit")
        await alice.expect_none(unavailable_from(f"{room}/bob"), "bob leaving")
        alice.message(room, "still there?")
        got = await laptop.message_from(f"{room}/alice", "a message after the phone left")
        assert body(got) == "still there?"
        await phone.expect_none(lambda s: body(s) == "still there?", "a message after leaving")

        # Kicking the nick removes every session behind it.
        await phone.join(room, "bob")
        await alice.admin(room, "Enough", nick="bob", role="none")
        for session in (laptop, phone):
            kicked = await session.expect(lambda s: unavailable_from(f"{room}/bob")(s) and
                                          307 in statuses(s), "the kick")
            assert 110 in statuses(kicked), xml(kicked)
        items = await alice.iq(room, "get", ET.Element(
            q("http://jabber.org/protocol/disco#items", "query")))
        assert [i.get("jid") for i in items] == [f"{room}/alice"], xml(items)

    run(body_)


def test_password_protected_room(servers):
    room = room_jid("secret")

    async def body_():
        alice = await connect(servers, "alice")
        bob = await connect(servers, "bob")
        await alice.create(room, "alice", {"muc#roomconfig_passwordprotectedroom": 1,
                                           "muc#roomconfig_roomsecret": "xyzzy"})
        for attempt in (None, "plugh"):
            with pytest.raises(StanzaError) as refused:
                await bob.join(room, "bob", password=attempt)
            assert refused.value.condition == "not-authorized", refused.value
            assert "plugh" not in xml(refused.value.stanza)
        await bob.join(room, "bob", password="xyzzy")
        info = await bob.iq(room, "get", ET.Element(q(DISCO_INFO, "query")))
        features = {f.get("var") for f in info.iter(q(DISCO_INFO, "feature"))}
        assert "muc_passwordprotected" in features, features

    run(body_)


def test_rooms_are_never_anonymous(servers):
    """Campus policy (docs/policies.md): whois is locked to anyone, so every occupant sees
    real JIDs (100 on entry) and an owner's attempt at a semi-anonymous room is refused."""
    room = room_jid("masks")

    async def body_():
        alice = await connect(servers, "alice")
        bob = await connect(servers, "bob")
        me = await alice.join(room, "alice")
        assert 201 in statuses(me)
        query = ET.Element(q(MUC_OWNER, "query"))
        query.append(form(MUC + "#roomconfig", {"muc#roomconfig_whois": "moderators"}))
        with pytest.raises(StanzaError) as refused:
            await alice.iq(room, "set", query)
        assert refused.value.condition == "not-acceptable", refused.value
        assert "whois" in xml(refused.value.stanza)
        # The refusal left the room locked; an instant configuration opens it.
        query = ET.Element(q(MUC_OWNER, "query"))
        ET.SubElement(query, q(DATA, "x"), type="submit")
        await alice.iq(room, "set", query)

        me = await bob.join(room, "bob")
        assert {100, 170} <= statuses(me), xml(me)
        seen = await bob.presence_from(f"{room}/alice")
        assert item(seen).get("jid") == alice.jid, xml(seen)
        info = await bob.iq(room, "get", ET.Element(q(DISCO_INFO, "query")))
        features = {f.get("var") for f in info.iter(q(DISCO_INFO, "feature"))}
        assert "muc_nonanonymous" in features and "muc_semianonymous" not in features

    run(body_)


def test_destroying_a_room(servers):
    room = room_jid("doomed")

    async def body_():
        alice = await connect(servers, "alice")
        bob = await connect(servers, "bob")
        await alice.create(room, "alice")
        await bob.join(room, "bob")

        query = ET.Element(q(MUC_OWNER, "query"))
        ET.SubElement(query, q(MUC_OWNER, "destroy"))  # bob may not
        with pytest.raises(StanzaError) as refused:
            await bob.iq(room, "set", query)
        assert refused.value.condition == "forbidden", refused.value

        query = ET.Element(q(MUC_OWNER, "query"))
        destroy = ET.SubElement(query, q(MUC_OWNER, "destroy"), jid=room_jid("phoenix"))
        ET.SubElement(destroy, q(MUC_OWNER, "reason")).text = "Moved"
        await alice.iq(room, "set", query)
        gone = await bob.expect(unavailable_from(f"{room}/bob"), "the room's end")
        d = gone.find(q(MUC_USER, "x") + "/" + q(MUC_USER, "destroy"))
        assert d is not None and d.get("jid") == room_jid("phoenix"), xml(gone)
        assert d.findtext(q(MUC_USER, "reason")) == "Moved"

        with pytest.raises(StanzaError) as refused:
            await bob.iq(room, "get", ET.Element(q(DISCO_INFO, "query")))
        assert refused.value.condition == "item-not-found", refused.value
        # The name is free again: joining creates a new room.
        me = await bob.join(room, "bob")
        assert 201 in statuses(me), xml(me)

    run(body_)
    assert psql_eventually(servers.db_uri, "SELECT body FROM room_events WHERE kind = "
                           f"'room_destroyed' AND room = '{room}'", lambda v: v != "") == "Moved"


def test_making_a_room_members_only_removes_non_members(servers):
    room = room_jid("closing")

    async def body_():
        alice = await connect(servers, "alice")
        bob = await connect(servers, "bob")
        carol = await connect(servers, "carol")
        await alice.create(room, "alice")
        await bob.join(room, "bob")
        await carol.join(room, "carol")
        await alice.admin(room, jid=f"bob@{XMPP_DOMAIN}", affiliation="member")

        query = ET.Element(q(MUC_OWNER, "query"))
        query.append(form(MUC + "#roomconfig", {"muc#roomconfig_membersonly": 1}))
        await alice.iq(room, "set", query)
        removed = await carol.expect(unavailable_from(f"{room}/carol"), "her removal")
        assert {110, 322} <= statuses(removed), xml(removed)
        seen = await bob.expect(unavailable_from(f"{room}/carol"), "carol's removal")
        assert 322 in statuses(seen), xml(seen)
        await bob.expect_none(unavailable_from(f"{room}/bob"), "the member's removal")
        with pytest.raises(StanzaError) as refused:
            await carol.join(room, "carol")
        assert refused.value.condition == "registration-required", refused.value

    run(body_)
