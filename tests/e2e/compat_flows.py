"""The flows of the client compatibility suite: what a user does in a room, written once
against the drivers' common methods (compat_support.BaseClient). Each driver sends through
its own library; the flows assert what the users' clients receive.

A flow gets `Env`, which logs users in with the stack under test and names its rooms.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from compat_support import (CONFERENCE, DATA, DELAY, DISCO_INFO, MUC_DOMAIN, MUC_USER,
                            OCCUPANT_ID, SID, SMITHS, XMPP_DOMAIN, StanzaError, child,
                            children, is_message, is_presence, local, muc_item, statuses,
                            text_of, xml)


class Env:
    def __init__(self, factory, port: int, stack: str, tag: str):
        self.factory = factory
        self.port = port
        self.stack = stack
        self.tag = tag
        self.clients = []

    async def user(self, name: str, resource: str = "compat"):
        c = self.factory(name, self.port, resource)
        self.clients.append(c)
        await c.connect()
        return c

    def room(self, what: str) -> str:
        return f"{what}-{self.stack}-{self.tag}@{MUC_DOMAIN}".lower()

    async def close(self):
        for c in self.clients:
            try:
                await asyncio.wait_for(c.close(), 5)
            except Exception:  # noqa: BLE001 - teardown is best effort
                pass


async def room_gone(c, room: str) -> None:
    """disco#info on the room says item-not-found, and the service no longer lists it."""
    try:
        info = await c.disco_info(room)
    except StanzaError as e:
        assert e.condition == "item-not-found", e
    else:
        raise AssertionError(f"{room} still exists after everyone left: {xml(info)}")
    assert room not in await c.disco_items(MUC_DOMAIN)


def features(info) -> set[str]:
    return {f.get("var") for f in children(info, DISCO_INFO, "feature")}


async def two_in_room(env, room: str, a_nick="alice", b_nick="bob"):
    alice = await env.user("alice")
    bob = await env.user("bob")
    await alice.create_instant(room, a_nick)
    await bob.join(room, b_nick)
    await alice.expect(lambda s: is_presence(s, f"{room}/{b_nick}"), "bob's join")
    return alice, bob


async def left(c, room: str, nick: str) -> None:
    """c leaves by its occupant JID and waits for the room to confirm (110)."""
    await c.leave(room, nick)
    await c.expect(lambda s: is_presence(s, f"{room}/{nick}", "unavailable") and
                   110 in statuses(s), f"{nick}'s own unavailable presence")


async def gone_from(watcher, room: str, nick: str, codes: set[int] = frozenset()):
    p = await watcher.expect(lambda s: is_presence(s, f"{room}/{nick}", "unavailable"),
                             f"{nick}'s unavailable presence")
    assert codes <= statuses(p), xml(p)
    return p


# ------------------------------------------------------------------------------ flows

async def flow_instant_room(env):
    room = env.room("instant")
    alice = await env.user("alice")
    bob = await env.user("bob")
    me = await alice.create_instant(room, "alice")
    assert 201 in statuses(me) and muc_item(me).get("affiliation") == "owner", xml(me)
    me = await bob.join(room, "bob")
    assert {110, 100} <= statuses(me), xml(me)
    owner = await bob.expect(lambda s: is_presence(s, f"{room}/alice"), "the owner's presence")
    assert muc_item(owner).get("affiliation") == "owner", xml(owner)
    assert {"http://jabber.org/protocol/muc", "muc_temporary"} <= features(
        await bob.disco_info(room))
    await left(bob, room, "bob")
    await left(alice, room, "alice")
    await room_gone(bob, room)


async def flow_reserved_room(env):
    room = env.room("reserved")
    alice = await env.user("alice")
    bob = await env.user("bob")
    me = await alice.join(room, "alice")
    assert 201 in statuses(me), xml(me)
    # The library's own path: fetch the form, fill it, submit it (poezio's for slixmpp).
    await alice.configure(room, {"muc#roomconfig_roomname": "Reading group",
                                 "muc#roomconfig_persistentroom": True,
                                 "muc#roomconfig_membersonly": True})
    info = await alice.disco_info(room)
    assert {"muc_persistent", "muc_membersonly"} <= features(info), xml(info)
    try:
        await bob.join(room, "bob")
        raise AssertionError("a non-member entered a members-only room")
    except StanzaError as e:
        assert e.condition == "registration-required", e
    await alice.set_affiliation(room, bob.bare, "member")
    me = await bob.join(room, "bob")
    assert muc_item(me).get("affiliation") == "member", xml(me)


async def flow_history(env):
    room = env.room("history")
    alice = await env.user("alice")
    bob = await env.user("bob")
    await alice.create_instant(room, "alice")
    for i in range(6):
        await alice.say(room, f"line {i} " + "x" * 20)
        await alice.expect(lambda s, i=i: is_message(s, f"{room}/alice", "groupchat") and
                           (text_of(s, "body") or "").startswith(f"line {i} "), "own echo")

    async def joined_with(history: dict) -> list[str]:
        await bob.join(room, "bob", history=history)
        await bob.settled(room)
        got = bob.take_all(lambda s: is_message(s, f"{room}/alice", "groupchat") and
                           child(s, DELAY, "delay") is not None)
        await left(bob, room, "bob")
        return [text_of(s, "body").split(" x")[0] for s in got]

    assert await joined_with({"maxstanzas": 2}) == ["line 4", "line 5"]
    assert await joined_with({"maxchars": 0}) == []
    assert await joined_with({"seconds": 3600}) == [f"line {i}" for i in range(6)]
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert await joined_with({"since": past}) == [f"line {i}" for i in range(6)]
    assert await joined_with({"since": future}) == []


async def flow_groupchat_ids(env):
    room = env.room("ids")
    alice, bob = await two_in_room(env, room)
    ids = []
    for text in ("first", "second"):
        await bob.say(room, text)
        seen = await alice.expect(lambda s: is_message(s, f"{room}/bob", "groupchat") and
                                  text_of(s, "body") == text, f"bob's '{text}'")
        echo = await bob.expect(lambda s: is_message(s, f"{room}/bob", "groupchat") and
                                text_of(s, "body") == text, "bob's own echo")
        sid = [c for c in children(seen, SID, "stanza-id") if c.get("by") == room]
        assert sid and sid[0].get("id"), xml(seen)
        assert [c.get("id") for c in children(echo, SID, "stanza-id")
                if c.get("by") == room] == [sid[0].get("id")], xml(echo)
        oid = child(seen, OCCUPANT_ID, "occupant-id")
        assert oid is not None and oid.get("id"), xml(seen)
        ids.append((sid[0].get("id"), oid.get("id")))
    assert ids[0][0] != ids[1][0] and ids[0][1] == ids[1][1], ids


async def flow_private_message(env):
    room = env.room("pm")
    alice, bob = await two_in_room(env, room)
    await bob.pm(room, "alice", "just between us")
    pm = await alice.expect(lambda s: is_message(s, f"{room}/bob") and
                            text_of(s, "body") == "just between us", "bob's private message")
    assert pm.get("type") == "chat", xml(pm)


async def flow_nick_change(env):
    room = env.room("nick")
    alice, bob = await two_in_room(env, room)
    await bob.change_nick(room, "bob", "robert")
    p = await gone_from(alice, room, "bob", {303})
    assert muc_item(p).get("nick") == "robert", xml(p)
    await alice.expect(lambda s: is_presence(s, f"{room}/robert", "available"), "robert arrives")
    await bob.say(room, "call me robert")
    await alice.expect(lambda s: is_message(s, f"{room}/robert", "groupchat"), "robert speaks")


async def flow_subject(env):
    room = env.room("subject")
    alice, bob = await two_in_room(env, room)
    await alice.set_subject(room, "Michaelmas term")
    s = await bob.expect(lambda s: is_message(s, f"{room}/alice", "groupchat") and
                         text_of(s, "subject") is not None, "the new subject")
    assert text_of(s, "subject") == "Michaelmas term", xml(s)


async def flow_kick(env):
    room = env.room("kick")
    alice, bob = await two_in_room(env, room)
    await alice.kick(room, "bob", "spamming")
    mine = await gone_from(bob, room, "bob", {307, 110})
    assert muc_item(mine).get("role") == "none", xml(mine)
    await gone_from(alice, room, "bob", {307})


async def flow_ban(env):
    room = env.room("ban")
    alice, bob = await two_in_room(env, room)
    await alice.set_affiliation(room, bob.bare, "outcast", "trolling")
    await gone_from(bob, room, "bob", {301, 110})
    await gone_from(alice, room, "bob", {301})
    assert bob.bare in await alice.affiliation_list(room, "outcast")
    try:
        await bob.join(room, "bob")
        raise AssertionError("a banned user entered")
    except StanzaError as e:
        assert e.condition == "forbidden", e


async def flow_roles_and_lists(env):
    room = env.room("lists")
    alice, bob = await two_in_room(env, room)
    await alice.set_affiliation(room, bob.bare, "member")
    p = await alice.expect(lambda s: is_presence(s, f"{room}/bob") and
                           muc_item(s).get("affiliation") == "member", "bob made a member")
    await alice.set_role(room, "bob", "moderator")
    await alice.expect(lambda s: is_presence(s, f"{room}/bob") and
                       muc_item(s).get("role") == "moderator", "bob made a moderator")
    assert bob.bare in await alice.affiliation_list(room, "member"), xml(p)
    assert alice.bare in await alice.affiliation_list(room, "owner")
    assert set(await alice.role_list(room, "moderator")) == {"alice", "bob"}


async def flow_leave_occupant(env):
    room = env.room("leave")
    alice, bob = await two_in_room(env, room)
    await bob.leave(room, "bob")
    await gone_from(alice, room, "bob")
    await left(alice, room, "alice")
    await room_gone(bob, room)


async def flow_leave_bare(env):
    room = env.room("leavebare")
    alice, bob = await two_in_room(env, room)
    await bob.leave_bare(room)
    await gone_from(alice, room, "bob")
    await alice.leave_bare(room)
    await alice.expect(lambda s: is_presence(s, f"{room}/alice", "unavailable") and
                       110 in statuses(s), "alice's own unavailable presence")
    await room_gone(bob, room)


async def flow_leave_disconnect(env):
    room = env.room("leavedisc")
    alice, bob = await two_in_room(env, room)
    carol = await env.user("carol")
    await carol.join(room, "carol")
    await bob.disconnect()
    await gone_from(alice, room, "bob")
    await gone_from(carol, room, "bob")
    await alice.disconnect()
    await gone_from(carol, room, "alice")
    await left(carol, room, "carol")
    await room_gone(carol, room)


async def flow_leave_error(env):
    room = env.room("leaveerror")
    alice, bob = await two_in_room(env, room)
    await bob.error_presence(room, "bob")
    p = await gone_from(alice, room, "bob", {333})
    assert 307 not in statuses(p), xml(p)
    # bob's next join is a fresh one, not merged into a ghost.
    me = await bob.join(room, "bob")
    assert 110 in statuses(me), xml(me)


async def flow_invite_mediated(env):
    room = env.room("invite")
    alice = await env.user("alice")
    carol = await env.user("carol")
    await alice.create_instant(room, "alice")
    await alice.invite_mediated(room, carol.bare, "come and see")
    m = await carol.expect(lambda s: is_message(s, room), "the room's invitation")
    inv = child(child(m, MUC_USER, "x"), MUC_USER, "invite")
    assert inv is not None and inv.get("from", "").split("/")[0] == alice.bare, xml(m)
    await carol.join(room, "carol")


async def flow_invite_direct(env):
    room = env.room("dinvite")
    alice = await env.user("alice")
    carol = await env.user("carol")
    await alice.create_instant(room, "alice")
    await alice.invite_direct(room, carol.bare, "come and see")
    m = await carol.expect(lambda s: is_message(s) and child(s, CONFERENCE, "x") is not None,
                           "alice's direct invitation")
    assert m.get("from").split("/")[0] == alice.bare
    assert child(m, CONFERENCE, "x").get("jid") == room, xml(m)
    await carol.join(room, "carol")


async def flow_voice_request(env):
    room = env.room("voice")
    alice = await env.user("alice")
    bob = await env.user("bob")
    await alice.create_instant(room, "alice")
    await alice.configure(room, {"muc#roomconfig_moderatedroom": True})
    me = await bob.join(room, "bob")
    assert muc_item(me).get("role") == "visitor", xml(me)
    await bob.request_voice(room)
    m = await alice.expect(lambda s: is_message(s, room) and child(s, DATA, "x") is not None,
                           "bob's voice request")
    fields = {f.get("var"): [v.text for v in children(f, DATA, "value")]
              for f in children(child(m, DATA, "x"), DATA, "field")}
    assert fields.get("muc#role") == ["participant"], xml(m)
    assert fields.get("muc#roomnick") == ["bob"], xml(m)


async def flow_registration(env):
    room = env.room("register")
    alice = await env.user("alice")
    bob = await env.user("bob")
    await alice.create_instant(room, "alice")
    await bob.register(room, "bobby")
    assert bob.bare in await alice.affiliation_list(room, "member")


async def flow_mam(env):
    room = env.room("mam")
    alice, bob = await two_in_room(env, room)
    sent = [f"archived {i}" for i in range(5)]
    for text in sent:
        await alice.say(room, text)
        await bob.expect(lambda s, t=text: is_message(s, f"{room}/alice", "groupchat") and
                         text_of(s, "body") == t, "the message")
    got, after, pages = [], None, 0
    while True:
        page, after, complete = await bob.mam_page(room, 2, after)
        pages += 1
        got += page
        assert len(page) <= 2
        if complete:
            break
        assert pages < 6, "paging never completed"
    assert [b for _, b in got if b and b.startswith("archived")] == sent, got
    assert pages == 3, pages


async def flow_self_ping(env):
    room = env.room("selfping")
    alice = await env.user("alice")
    await alice.create_instant(room, "alice")
    assert await alice.self_ping(room, "alice") is None
    bob = await env.user("bob")
    await bob.join(room, "bob")
    await left(bob, room, "bob")
    assert await bob.self_ping(room, "bob") == "not-acceptable"


async def flow_retraction(env):
    room = env.room("retract")
    alice, bob = await two_in_room(env, room)
    await bob.say(room, "regrettable")
    seen = await alice.expect(lambda s: is_message(s, f"{room}/bob", "groupchat") and
                              text_of(s, "body") == "regrettable", "bob's message")
    sid = [c.get("id") for c in children(seen, SID, "stanza-id") if c.get("by") == room][0]
    await alice.retract(room, sid, "off topic")

    def retraction(s) -> bool:
        if not is_message(s, room, "groupchat"):
            return False
        return any(local(c.tag) in ("apply-to", "retract", "moderated") for c in s.iter())
    await bob.expect(retraction, "the moderator's retraction")


async def flow_search_legacy(env):
    alice = await env.user("alice")
    jids, _ = await alice.search_legacy({"last": "Brown"})
    assert sorted(jids) == [f"alice@{XMPP_DOMAIN}", f"bob@{XMPP_DOMAIN}"], jids


async def flow_search_form(env):
    alice = await env.user("alice")
    jids = await alice.search_form({"last": "Smith"})
    # Directory order: surname, then given name (Sam000 ... Sam024); a client that does not
    # ask for a page size gets the default page of 20.
    assert jids == [f"sm{i:03d}@{XMPP_DOMAIN}" for i in range(min(SMITHS, 20))], jids


async def flow_search_rsm(env):
    alice = await env.user("alice")
    first, rsm = await alice.search_legacy({"last": "Smith"}, {"max": "10"})
    assert len(first) == 10 and rsm and int(rsm["count"]) == SMITHS, (first, rsm)
    second, _ = await alice.search_legacy({"last": "Smith"},
                                          {"max": "10", "after": rsm["last"]})
    assert first + second == [f"sm{i:03d}@{XMPP_DOMAIN}" for i in range(20)], (first, second)


FLOWS = {
    "instant room": flow_instant_room,
    "reserved room + config form": flow_reserved_room,
    "history (4 limits)": flow_history,
    "stanza-id + occupant-id": flow_groupchat_ids,
    "private message": flow_private_message,
    "nick change": flow_nick_change,
    "subject": flow_subject,
    "kick": flow_kick,
    "ban": flow_ban,
    "roles + affiliation lists": flow_roles_and_lists,
    "leave (occupant JID)": flow_leave_occupant,
    "leave (bare room JID)": flow_leave_bare,
    "leave (disconnect)": flow_leave_disconnect,
    "leave (error presence)": flow_leave_error,
    "invite (mediated)": flow_invite_mediated,
    "invite (direct)": flow_invite_direct,
    "voice request": flow_voice_request,
    "registration": flow_registration,
    "MAM + RSM paging": flow_mam,
    "self-ping": flow_self_ping,
    "moderated retraction": flow_retraction,
    "directory (legacy fields)": flow_search_legacy,
    "directory (data form)": flow_search_form,
    "directory (RSM paging)": flow_search_rsm,
}
