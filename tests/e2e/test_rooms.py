"""Rooms end to end: several real slixmpp clients logged in to a real Prosody use
rooms on commonroom's MUC component, which runs with [database] configured so every room
event takes the production path through the abuse log. Each test uses its own room and
asserts what the users' clients receive: status codes, roles and affiliations, error
conditions, delayed history, private messages, invitations and nick changes.
"""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest

from rooms_support import (CLIENT, DATA, DELAY, MUC, MUC_ADMIN, MUC_DOMAIN, MUC_OWNER,
                           MUC_USER, XMPP_DOMAIN, Servers, StanzaError, User, body,
                           error_condition, form, item, psql, q, run, statuses)
from pg_support import psql_eventually  # noqa: E402

ROOMCONFIG = MUC + "#roomconfig"


@pytest.fixture(scope="module")
def servers():
    s = Servers("rooms-e2e").start()
    yield s
    s.stop()


def room_jid(name: str) -> str:
    return f"{name}@{MUC_DOMAIN}"


async def users(servers, *names: str) -> list[User]:
    return [await User(n, servers.prosody.c2s_port).connect() for n in names]


def xml(stanza: ET.Element) -> str:
    return ET.tostring(stanza, encoding="unicode")


def test_creating_and_configuring_a_room(servers):
    room = room_jid("planning")

    async def body_():
        alice, bob = await users(servers, "alice", "bob")
        me = await alice.join(room, "alice")
        # A new room: created (201), it is you (110), logged (170), non-anonymous (100).
        assert {110, 201} <= statuses(me), xml(me)
        assert item(me).get("affiliation") == "owner" and item(me).get("role") == "moderator"
        # Locked until its owner configures it: nobody else can enter yet.
        with pytest.raises(StanzaError) as refused:
            await bob.join(room, "bob")
        assert refused.value.condition == "item-not-found", refused.value

        offered = await alice.iq(room, "get", ET.Element(q(MUC_OWNER, "query")))
        fields = {f.get("var") for f in offered.iter(q(DATA, "field"))}
        assert {"muc#roomconfig_roomname", "muc#roomconfig_moderatedroom",
                "muc#roomconfig_membersonly", "muc#roomconfig_whois"} <= fields
        query = ET.Element(q(MUC_OWNER, "query"))
        query.append(form(ROOMCONFIG, {"muc#roomconfig_roomname": "Planning",
                                            "muc#roomconfig_roomdesc": "Term planning",
                                            "muc#roomconfig_changesubject": 1}))
        await alice.iq(room, "set", query)

        me = await bob.join(room, "bob")
        assert {110, 100, 170} <= statuses(me), xml(me)
        assert item(me).get("role") == "participant" and item(me).get("affiliation") == "none"
        # bob saw the owner first, with her real JID (a non-anonymous room)...
        owner = await bob.presence_from(f"{room}/alice")
        assert item(owner).get("affiliation") == "owner"
        assert item(owner).get("jid") == alice.jid
        # ...and alice is told about bob.
        newcomer = await alice.presence_from(f"{room}/bob")
        assert item(newcomer).get("jid") == bob.jid

        # A later configuration change is announced to the occupants (104).
        query = ET.Element(q(MUC_OWNER, "query"))
        query.append(form(ROOMCONFIG, {"muc#roomconfig_roomname": "Planning"}))
        await alice.iq(room, "set", query)  # nothing changed: nothing to announce
        query = ET.Element(q(MUC_OWNER, "query"))
        query.append(form(ROOMCONFIG, {"muc#roomconfig_roomdesc": "Easter term"}))
        await alice.iq(room, "set", query)
        note = await bob.expect(lambda s: s.tag == q(CLIENT, "message") and
                                s.get("from") == room and 104 in statuses(s),
                                "the configuration change notice")
        assert note.get("type") == "groupchat", xml(note)
        assert not [s for s in bob.inbox if 104 in statuses(s)], "two 104 notices for one change"

        info = await bob.iq(room, "get", ET.Element(q("http://jabber.org/protocol/disco#info",
                                                      "query")))
        identity = info.find(q("http://jabber.org/protocol/disco#info", "identity"))
        assert identity.get("name") == "Planning"
        features = {f.get("var") for f in info.iter(q("http://jabber.org/protocol/disco#info",
                                                      "feature"))}
        assert {"muc_nonanonymous", "muc_open", "muc_unmoderated"} <= features, features

        # changesubject=1: a participant may set the subject, and everyone sees it.
        subject = ET.Element(q(CLIENT, "message"), to=room, type="groupchat")
        ET.SubElement(subject, q(CLIENT, "subject")).text = "Michaelmas"
        bob.send(subject)
        seen = await alice.expect(lambda s: s.find(q(CLIENT, "subject")) is not None and
                                  s.get("from") == f"{room}/bob", "the new subject")
        assert seen.find(q(CLIENT, "subject")).text == "Michaelmas"

    run(body_)
    # The production path: the room's creation and both joins are in the abuse log.
    rows = psql_eventually(servers.db_uri, "SELECT kind FROM room_events WHERE room = "
                           f"'{room}' ORDER BY kind",
                           lambda v: "room_created" in v.split() and v.split().count("join") >= 2)
    assert "room_created" in rows.split() and rows.split().count("join") == 2, rows


def test_members_only_room_admits_members_only(servers):
    room = room_jid("fellows")

    async def body_():
        alice, bob, carol = await users(servers, "alice", "bob", "carol")
        await alice.create(room, "alice", {"muc#roomconfig_membersonly": 1,
                                            "muc#roomconfig_allowinvites": 0})
        with pytest.raises(StanzaError) as refused:
            await bob.join(room, "bob")
        assert refused.value.condition == "registration-required", refused.value

        await alice.admin(room, jid=f"bob@{XMPP_DOMAIN}", affiliation="member")
        me = await bob.join(room, "bob")
        assert item(me).get("affiliation") == "member"

        with pytest.raises(StanzaError) as refused:
            await carol.join(room, "carol")
        assert refused.value.condition == "registration-required", refused.value

        # A member cannot invite (allowinvites is off), nor change the member list.
        x = ET.Element(q(MUC_USER, "x"))
        ET.SubElement(x, q(MUC_USER, "invite"), to=f"carol@{XMPP_DOMAIN}")
        bob.message(room, mtype="normal", payload=x)
        err = await bob.expect(lambda s: s.get("type") == "error" and s.get("from") == room,
                               "an error for a member's invitation")
        assert error_condition(err) == "forbidden", xml(err)
        with pytest.raises(StanzaError) as refused:
            await bob.admin(room, jid=f"carol@{XMPP_DOMAIN}", affiliation="member")
        assert refused.value.condition == "forbidden", refused.value

        # The owner's invitation into a members-only room makes the invitee a member.
        x = ET.Element(q(MUC_USER, "x"))
        ET.SubElement(x, q(MUC_USER, "invite"), to=f"carol@{XMPP_DOMAIN}")
        alice.message(room, mtype="normal", payload=x)
        await carol.expect(lambda s: s.find(q(MUC_USER, "x") + "/" + q(MUC_USER, "invite"))
                           is not None, "the invitation")
        me = await carol.join(room, "carol")
        assert item(me).get("affiliation") == "member", xml(me)
        query = ET.Element(q(MUC_ADMIN, "query"))
        ET.SubElement(query, q(MUC_ADMIN, "item"), affiliation="member")
        members = await alice.iq(room, "get", query)
        assert sorted(i.get("jid") for i in members.iter(q(MUC_ADMIN, "item"))) == \
            [f"bob@{XMPP_DOMAIN}", f"carol@{XMPP_DOMAIN}"]

        # Revoking bob's membership removes him from a members-only room (321).
        await alice.admin(room, jid=f"bob@{XMPP_DOMAIN}", affiliation="none")
        gone = await bob.presence_from(f"{room}/bob", "removal from the room")
        assert gone.get("type") == "unavailable" and {110, 321} <= statuses(gone), xml(gone)

    run(body_)


def test_kick(servers):
    room = room_jid("kick")

    async def body_():
        alice, bob, carol = await users(servers, "alice", "bob", "carol")
        await alice.create(room, "alice")
        await bob.join(room, "bob")
        await carol.join(room, "carol")

        # Only moderators kick.
        with pytest.raises(StanzaError) as refused:
            await carol.admin(room, nick="bob", role="none")
        assert refused.value.condition == "forbidden", refused.value
        with pytest.raises(StanzaError) as refused:
            await alice.admin(room, nick="nobody", role="none")
        assert refused.value.condition == "item-not-found", refused.value

        # A moderator who is not an admin cannot kick the owner.
        await alice.admin(room, nick="carol", role="moderator")
        with pytest.raises(StanzaError) as refused:
            await carol.admin(room, nick="alice", role="none")
        assert refused.value.condition == "not-allowed", refused.value

        await alice.admin(room, "Off topic", nick="bob", role="none")
        kicked = await bob.presence_from(f"{room}/bob", "being kicked")
        assert kicked.get("type") == "unavailable"
        assert {110, 307} <= statuses(kicked), xml(kicked)
        assert item(kicked).get("role") == "none"
        assert item(kicked).findtext(q(MUC_USER, "reason")) == "Off topic"
        actor = item(kicked).find(q(MUC_USER, "actor"))
        assert actor is not None and actor.get("nick") == "alice", xml(kicked)

        seen = await carol.expect(lambda s: s.get("from") == f"{room}/bob" and
                                  s.get("type") == "unavailable", "bob's kick")
        assert 307 in statuses(seen) and 110 not in statuses(seen), xml(seen)

        # bob is out: his messages to the room are refused; he may come back (not banned).
        bob.message(room, "still here?")
        err = await bob.expect(lambda s: s.tag == q(CLIENT, "message") and
                               s.get("type") == "error", "an error for a non-occupant's message")
        assert error_condition(err) == "not-acceptable", xml(err)
        await carol.expect_none(lambda s: body(s) == "still here?", "a non-occupant's message")
        await bob.join(room, "bob")

    run(body_)
    kicks = psql_eventually(servers.db_uri, "SELECT actor_jid, target, body FROM room_events "
                            f"WHERE room = '{room}' AND kind = 'kick'", lambda v: v != "").split("|")
    assert kicks[0] == f"alice@{XMPP_DOMAIN}/e2e" and "bob" in kicks[1], kicks
    assert kicks[2] == "Off topic", kicks


def test_ban(servers):
    room = room_jid("ban")

    async def body_():
        alice, bob, carol = await users(servers, "alice", "bob", "carol")
        await alice.create(room, "alice")
        await bob.join(room, "bob")
        await carol.join(room, "carol")

        # A participant cannot ban.
        with pytest.raises(StanzaError) as refused:
            await carol.admin(room, jid=f"bob@{XMPP_DOMAIN}", affiliation="outcast")
        assert refused.value.condition == "forbidden", refused.value

        await alice.admin(room, "Spam", jid=f"bob@{XMPP_DOMAIN}", affiliation="outcast")
        banned = await bob.presence_from(f"{room}/bob", "being banned")
        assert banned.get("type") == "unavailable" and {110, 301} <= statuses(banned), \
            xml(banned)
        assert item(banned).get("affiliation") == "outcast"
        assert item(banned).findtext(q(MUC_USER, "reason")) == "Spam"
        seen = await carol.expect(lambda s: s.get("from") == f"{room}/bob" and
                                  s.get("type") == "unavailable", "bob's ban")
        assert 301 in statuses(seen), xml(seen)

        with pytest.raises(StanzaError) as refused:
            await bob.join(room, "bob-again")
        assert refused.value.condition == "forbidden", refused.value

        query = ET.Element(q(MUC_ADMIN, "query"))
        ET.SubElement(query, q(MUC_ADMIN, "item"), affiliation="outcast")
        bans = await alice.iq(room, "get", query)
        assert [i.get("jid") for i in bans.iter(q(MUC_ADMIN, "item"))] == [f"bob@{XMPP_DOMAIN}"]

        # Lifting the ban lets bob in again.
        await alice.admin(room, jid=f"bob@{XMPP_DOMAIN}", affiliation="none")
        await bob.join(room, "bob")

    run(body_)


def test_voice_in_a_moderated_room(servers):
    room = room_jid("seminar")

    async def body_():
        alice, bob, carol = await users(servers, "alice", "bob", "carol")
        await alice.create(room, "alice", {"muc#roomconfig_moderatedroom": 1})
        me = await bob.join(room, "bob")
        assert item(me).get("role") == "visitor", xml(me)
        await carol.join(room, "carol")

        bob.message(room, "may I speak?")
        err = await bob.expect(lambda s: s.tag == q(CLIENT, "message") and
                               s.get("type") == "error", "an error for a visitor's message")
        assert error_condition(err) == "forbidden", xml(err)
        await carol.expect_none(lambda s: body(s) == "may I speak?", "a visitor's message")

        await alice.admin(room, "Go ahead", nick="bob", role="participant")
        for user in (bob, carol):
            voiced = await user.expect(lambda s: s.get("from") == f"{room}/bob" and
                                       item(s) is not None and
                                       item(s).get("role") == "participant", "bob's voice")
            assert voiced.get("type") is None, xml(voiced)

        bob.message(room, "thank you")
        heard = await carol.message_from(f"{room}/bob", "bob's message")
        assert body(heard) == "thank you" and heard.get("type") == "groupchat"

        # Revoked again: refused again; a voice request reaches the moderator, who approves.
        await alice.admin(room, nick="bob", role="visitor")
        await bob.expect(lambda s: s.get("from") == f"{room}/bob" and item(s) is not None and
                         item(s).get("role") == "visitor", "bob's voice revoked")
        bob.message(room, "one more thing")
        err = await bob.expect(lambda s: s.tag == q(CLIENT, "message") and
                               s.get("type") == "error", "an error for a visitor's message")
        assert error_condition(err) == "forbidden", xml(err)

        request = form(MUC + "#request", {"muc#role": "participant"})
        bob.message(room, mtype="normal", payload=request)
        asked = await alice.expect(lambda s: s.get("from") == room and
                                   s.find(q(DATA, "x")) is not None, "bob's voice request")
        fields = {f.get("var"): f.findtext(q(DATA, "value"))
                  for f in asked.iter(q(DATA, "field"))}
        assert fields["muc#roomnick"] == "bob" and fields["muc#jid"] == bob.jid, xml(asked)
        await carol.expect_none(lambda s: s.find(q(DATA, "x")) is not None,
                                "a voice request (not a moderator)")
        alice.message(room, mtype="normal", payload=form(MUC + "#request", {
            "muc#role": "participant", "muc#jid": bob.jid, "muc#roomnick": "bob",
            "muc#request_allow": "true"}))
        await bob.expect(lambda s: s.get("from") == f"{room}/bob" and item(s) is not None and
                         item(s).get("role") == "participant", "voice after the approval")
        bob.message(room, "approved")
        assert body(await carol.message_from(f"{room}/bob")) == "approved"

    run(body_)


def test_history_on_join(servers):
    room = room_jid("history")

    async def body_():
        alice, bob, carol, dave = await users(servers, "alice", "bob", "carol", "dave")
        await alice.create(room, "alice")
        for i in range(3):
            alice.message(room, f"note {i}")
            await alice.message_from(f"{room}/alice", f"the echo of note {i}")

        await bob.join(room, "bob")
        history = [await bob.message_from(f"{room}/alice", f"history message {i}")
                   for i in range(3)]
        assert [body(m) for m in history] == ["note 0", "note 1", "note 2"]
        for m in history:
            delay = m.find(q(DELAY, "delay"))
            assert delay is not None and delay.get("from") == room, xml(m)
            assert delay.get("stamp", "").endswith("Z"), xml(m)
        # After the history, the subject (empty: never set), from the room itself.
        subject = await bob.expect(lambda s: s.find(q(CLIENT, "subject")) is not None,
                                   "the subject after the history")
        assert subject.get("from") == room and body(subject) is None, xml(subject)

        # A burst: every message arrives, in order, and the room keeps the last 20
        # (muc#maxhistoryfetch) for newcomers.
        for i in range(30):
            alice.message(room, f"burst {i}")
        for i in range(30):
            got = await bob.message_from(f"{room}/alice", f"burst message {i}")
            assert body(got) == f"burst {i}", xml(got)
        await dave.join(room, "dave")
        replay = [body(await dave.message_from(f"{room}/alice", f"history message {i}"))
                  for i in range(20)]
        assert replay == [f"burst {i}" for i in range(10, 30)], replay
        await dave.expect_none(lambda s: s.tag == q(CLIENT, "message") and
                               s.get("from") == f"{room}/alice", "more than 20 old messages")

        # A client that asks for less gets less.
        await carol.join(room, "carol", history={"maxstanzas": 1})
        last = await carol.message_from(f"{room}/alice", "the last history message")
        assert body(last) == "burst 29" and last.find(q(DELAY, "delay")) is not None
        await carol.expect_none(lambda s: body(s) == "burst 28", "older history")

    run(body_)


def test_private_messages(servers):
    room = room_jid("pm")

    async def body_():
        alice, bob, carol = await users(servers, "alice", "bob", "carol")
        await alice.create(room, "alice")
        await bob.join(room, "bob")
        await carol.join(room, "carol")

        bob.message(f"{room}/alice", "just between us", mtype="chat")
        pm = await alice.message_from(f"{room}/bob", "bob's private message")
        assert body(pm) == "just between us" and pm.get("type") == "chat"
        assert pm.find(q(MUC_USER, "x")) is not None, xml(pm)
        await carol.expect_none(lambda s: body(s) == "just between us", "someone else's PM")

        # The answer goes back through the room to bob.
        alice.message(f"{room}/bob", "agreed", mtype="chat")
        reply = await bob.message_from(f"{room}/alice", "alice's reply")
        assert body(reply) == "agreed"

        # Other iqs to an occupant are passed on and answered through the room, without
        # the asker learning the real JID (XEP-0045 §17.4).
        version = await bob.iq(f"{room}/alice", "get", ET.Element(
            "{jabber:iq:version}query"))
        assert version.findtext("{jabber:iq:version}name") == "alice-client", xml(version)

        bob.message(f"{room}/nobody", "hello?", mtype="chat")
        err = await bob.expect(lambda s: s.get("type") == "error" and
                               s.get("from") == f"{room}/nobody", "an error for an unknown nick")
        assert error_condition(err) == "item-not-found", xml(err)

    run(body_)


def test_invitation(servers):
    room = room_jid("invite")

    async def body_():
        alice, dave = await users(servers, "alice", "dave")
        await alice.create(room, "alice")
        x = ET.Element(q(MUC_USER, "x"))
        invite = ET.SubElement(x, q(MUC_USER, "invite"), to=f"dave@{XMPP_DOMAIN}")
        ET.SubElement(invite, q(MUC_USER, "reason")).text = "Join the reading group"
        alice.message(room, mtype="normal", payload=x)

        got = await dave.message_from(room, "the invitation")
        inv = got.find(q(MUC_USER, "x") + "/" + q(MUC_USER, "invite"))
        assert inv is not None, xml(got)
        assert inv.get("from", "").startswith(f"alice@{XMPP_DOMAIN}"), xml(got)
        assert inv.findtext(q(MUC_USER, "reason")) == "Join the reading group"

        # dave declines: alice is told, from the room.
        x = ET.Element(q(MUC_USER, "x"))
        decline = ET.SubElement(x, q(MUC_USER, "decline"), to=alice.jid.split("/")[0])
        ET.SubElement(decline, q(MUC_USER, "reason")).text = "Busy"
        dave.message(room, mtype="normal", payload=x)
        back = await alice.expect(lambda s: s.find(q(MUC_USER, "x") + "/" +
                                                   q(MUC_USER, "decline")) is not None,
                                  "dave's decline")
        dec = back.find(q(MUC_USER, "x") + "/" + q(MUC_USER, "decline"))
        assert dec.get("from", "").startswith(f"dave@{XMPP_DOMAIN}"), xml(back)
        assert dec.findtext(q(MUC_USER, "reason")) == "Busy"

        # A non-occupant cannot invite.
        x = ET.Element(q(MUC_USER, "x"))
        ET.SubElement(x, q(MUC_USER, "invite"), to=f"alice@{XMPP_DOMAIN}")
        dave.message(room, mtype="normal", payload=x)
        err = await dave.expect(lambda s: s.get("type") == "error" and s.get("from") == room,
                                "an error for an outsider's invitation")
        assert error_condition(err) == "not-acceptable", xml(err)

    run(body_)


def test_nick_change(servers):
    room = room_jid("nicks")

    async def body_():
        alice, bob, carol = await users(servers, "alice", "bob", "carol")
        await alice.create(room, "alice")
        await bob.join(room, "bob")
        await carol.join(room, "carol")

        bob.presence(f"{room}/robert")
        old = await bob.presence_from(f"{room}/bob", "his own 303")
        assert old.get("type") == "unavailable" and {110, 303} <= statuses(old), xml(old)
        assert item(old).get("nick") == "robert"
        new = await bob.presence_from(f"{room}/robert", "his new self-presence")
        assert new.get("type") is None and 110 in statuses(new), xml(new)

        for user in (alice, carol):
            old = await user.expect(lambda s: s.get("from") == f"{room}/bob" and
                                    s.get("type") == "unavailable", "bob's 303")
            assert 303 in statuses(old) and 110 not in statuses(old), xml(old)
            assert item(old).get("nick") == "robert"
            new = await user.presence_from(f"{room}/robert", "robert's presence")
            assert new.get("type") is None and item(new).get("jid") == bob.jid, xml(new)

        # Messages now come from the new nick.
        bob.message(room, "call me robert")
        heard = await carol.message_from(f"{room}/robert", "a message from the new nick")
        assert body(heard) == "call me robert"

        # Taking a nick in use is refused with conflict, and carol keeps hers.
        carol.presence(f"{room}/alice")
        err = await carol.expect(lambda s: s.get("from") == f"{room}/alice" and
                                 s.get("type") == "error", "the conflict")
        assert error_condition(err) == "conflict", xml(err)
        await alice.expect_none(lambda s: s.get("from") == f"{room}/carol" and
                                s.get("type") == "unavailable", "carol leaving")

    run(body_)


def test_presence_updates_self_ping_and_nicks_that_need_escaping(servers):
    room = room_jid("presence")
    nick = "Zoë O'Brien & <co>"

    async def body_():
        alice, bob = await users(servers, "alice", "bob")
        await alice.create(room, "alice")
        await bob.join(room, nick)
        seen = await alice.presence_from(f"{room}/{nick}", "the newcomer with an odd nick")
        assert item(seen).get("jid") == bob.jid

        away = ET.Element(q(CLIENT, "show"))
        away.text = "away"
        p = ET.Element(q(CLIENT, "presence"), to=f"{room}/{nick}")
        p.append(away)
        ET.SubElement(p, q(CLIENT, "status")).text = "In a lecture"
        bob.send(p)
        mine = await bob.expect(lambda s: s.get("from") == f"{room}/{nick}" and
                                s.findtext(q(CLIENT, "show")) == "away", "his own update")
        assert 110 in statuses(mine), xml(mine)
        theirs = await alice.expect(lambda s: s.get("from") == f"{room}/{nick}" and
                                    s.findtext(q(CLIENT, "show")) == "away", "bob's update")
        assert theirs.findtext(q(CLIENT, "status")) == "In a lecture"

        bob.message(room, "<b>&amp; friends</b>")
        heard = await alice.message_from(f"{room}/{nick}", "a message from the odd nick")
        assert body(heard) == "<b>&amp; friends</b>"

        # XEP-0410: the room answers a self-ping while bob is in, not after he left.
        ping = ET.Element("{urn:xmpp:ping}ping")
        await bob.iq(f"{room}/{nick}", "get", ping)
        bob.presence(f"{room}/{nick}", ptype="unavailable")
        await bob.expect(lambda s: s.get("from") == f"{room}/{nick}" and
                         s.get("type") == "unavailable", "his exit")
        with pytest.raises(StanzaError) as refused:
            await bob.iq(f"{room}/{nick}", "get", ET.Element("{urn:xmpp:ping}ping"))
        assert refused.value.condition == "not-acceptable", refused.value

        # Without changesubject, a participant may not set the subject.
        await bob.join(room, "bob")
        subject = ET.Element(q(CLIENT, "message"), to=room, type="groupchat")
        ET.SubElement(subject, q(CLIENT, "subject")).text = "Mine now"
        bob.send(subject)
        err = await bob.expect(lambda s: s.tag == q(CLIENT, "message") and
                               s.get("type") == "error", "an error for the subject change")
        assert error_condition(err) == "forbidden", xml(err)

    run(body_)


def test_registering_reserves_a_nick(servers):
    room = room_jid("register")
    register = "jabber:iq:register"

    async def body_():
        alice, bob, carol = await users(servers, "alice", "bob", "carol")
        await alice.create(room, "alice")
        offered = await bob.iq(room, "get", ET.Element(q(register, "query")))
        fields = {f.get("var") for f in offered.iter(q(DATA, "field"))}
        assert "muc#register_roomnick" in fields, xml(offered)

        query = ET.Element(q(register, "query"))
        query.append(form(MUC + "#register", {"muc#register_roomnick": "bobby"}))
        await bob.iq(room, "set", query)

        # carol cannot take the reserved nick; bob gets it, as a member.
        with pytest.raises(StanzaError) as refused:
            await carol.join(room, "bobby")
        assert refused.value.condition == "conflict", refused.value
        me = await bob.join(room, "bobby")
        assert item(me).get("affiliation") == "member", xml(me)
        info = await bob.iq(room, "get", ET.Element(
            q("http://jabber.org/protocol/disco#info", "query"), node="x-roomuser-item"))
        identity = info.find(q("http://jabber.org/protocol/disco#info", "identity"))
        assert identity is not None and identity.get("name") == "bobby", xml(info)

    run(body_)


def test_registration_waits_for_an_admins_approval(servers):
    # §7.10 and §9.9: in a room whose registration needs approval, a request reaches the
    # owner and admins as a form; an approval makes the user a member, a refusal tells them.
    room = room_jid("common")
    register = "jabber:iq:register"

    def request(nick: str, **details: str) -> ET.Element:
        query = ET.Element(q(register, "query"))
        query.append(form(MUC + "#register", {**details, "muc#register_roomnick": nick}))
        return query

    async def eventually(sql: str, expected: str) -> None:
        # Rooms and the abuse log reach PostgreSQL a moment after the users see the effect.
        for _ in range(100):
            got = psql(servers.db_uri, sql)
            if got == expected:
                return
            await asyncio.sleep(0.05)
        assert got == expected, sql

    def approval(stanza: ET.Element) -> bool:
        return stanza.get("from") == room and stanza.find(q(DATA, "x")) is not None

    async def body_():
        alice, bob, carol, dave = await users(servers, "alice", "bob", "carol", "dave")
        await alice.create(room, "alice", {"x-commonroom#registration": "approval"})
        await alice.admin(room, jid=f"carol@{XMPP_DOMAIN}", affiliation="admin")
        await bob.iq(room, "set", request("bobby", **{"muc#register_first": "Bob"}))
        for admin in (alice, carol):
            asked = await admin.expect(approval, "bob's registration request")
            fields = {f.get("var"): f.findtext(q(DATA, "value"))
                      for f in asked.iter(q(DATA, "field"))}
            assert fields["muc#jid"] == f"bob@{XMPP_DOMAIN}", xml(asked)
            assert fields["muc#register_first"] == "Bob" and \
                fields["muc#register_roomnick"] == "bobby", xml(asked)
        # Not reserved yet: dave may still use it. A non-admin cannot decide.
        await dave.join(room, "bobby")
        dave.presence(f"{room}/bobby", ptype="unavailable")
        await dave.expect(lambda s: s.get("from") == f"{room}/bobby" and
                          s.get("type") == "unavailable", "dave's exit")
        dave.message(room, mtype="normal", payload=form(MUC + "#register", {
            "muc#jid": f"bob@{XMPP_DOMAIN}", "muc#register_allow": "1"}))
        refused = await dave.expect(lambda s: s.get("type") == "error" and
                                    s.get("from") == room, "an error for a non-admin's answer")
        assert error_condition(refused) == "forbidden", xml(refused)

        me = await bob.join(room, "bob")
        assert item(me).get("affiliation") == "none", xml(me)
        carol.message(room, mtype="normal", payload=form(MUC + "#register", {
            "muc#jid": f"bob@{XMPP_DOMAIN}", "muc#register_roomnick": "bobby",
            "muc#register_allow": "1"}))
        for user in (alice, bob):
            member = await user.expect(lambda s: s.get("from") == f"{room}/bob" and
                                       item(s) is not None and
                                       item(s).get("affiliation") == "member",
                                       "bob's new affiliation")
            assert member.get("type") is None, xml(member)
        with pytest.raises(StanzaError) as taken:
            await dave.join(room, "bobby")
        assert taken.value.condition == "conflict", taken.value

        # Dave asks too; alice declines, and dave is told.
        await dave.iq(room, "set", request("dd"))
        await alice.expect(approval, "dave's registration request")
        alice.message(room, mtype="normal", payload=form(MUC + "#register", {
            "muc#jid": f"dave@{XMPP_DOMAIN}", "muc#register_allow": "0"}))
        told = await dave.expect(lambda s: s.get("from") == room and body(s) is not None,
                                 "the refusal")
        assert "declined" in body(told), xml(told)
        await eventually("SELECT string_agg(kind, ',' ORDER BY occurred_at) FROM room_events "
                         f"WHERE room = '{room}' AND kind LIKE 'registration%'",
                         "registration_request,registration_request,registration_declined")

    run(body_)
