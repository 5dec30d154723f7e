"""Setting rooms up from the admin web, through the real rooms engine: creating a
persistent room as an owner would over XMPP (the campus naming rules and who may create what
still apply), the full configuration form the engine gives owners (temporary rooms too), and
answering registration requests. slixmpp clients through Prosody see each result."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from rooms_support import (CLIENT, DATA, MUC_OWNER, MUC_USER, XMPP_DOMAIN, MUC_DOMAIN, Servers,
                           StanzaError, User, form, psql, q, run, statuses)
from test_admin_web_rooms import Web

REGISTER = "jabber:iq:register"


@pytest.fixture(scope="module")
def servers():
    s = Servers("admin-web-room-setup",
                extra={"policy": {"persistent_creators": f"alice@{XMPP_DOMAIN}",
                                  "reserved_room_names": "helpdesk"}}).start()
    yield s
    s.stop()


async def owner_form(user: User, room: str) -> dict[str, list[str]]:
    """The room's configuration as its owner's client reads it."""
    reply = await user.iq(room, "get", ET.Element(q(MUC_OWNER, "query")))
    x = reply.find(q(DATA, "x"))
    return {f.get("var"): [v.text or "" for v in f.findall(q(DATA, "value"))]
            for f in x.findall(q(DATA, "field"))}


def test_a_room_created_in_the_admin_web_is_there_for_its_owner(servers):
    web = Web(servers)
    room = f"tcr@{MUC_DOMAIN}"

    async def body_():
        status, page = await web.aget("/rooms/new")
        assert status == 200 and f"@{MUC_DOMAIN}" in page
        # The campus naming rules are the engine's: a reserved name is refused, and why.
        status, page, _ = await web.apost("/rooms/new", address="helpdesk",
                                          owners=f"alice@{XMPP_DOMAIN}")
        assert status == 409 and "the room name &quot;helpdesk&quot; is reserved" in page
        # A bad owner JID is refused by the configuration step: nothing is left behind.
        status, page, _ = await web.apost("/rooms/new", address="half", owners="not a jid")
        assert status == 409 and "is not a user&#39;s JID" in page, page
        status, _, headers = await web.apost(
            "/rooms/new", address="tcr", name="Trinity Common Room", linked="inst:TRIN",
            members_only="1", public_room="0", owners=f"alice@{XMPP_DOMAIN}")
        assert status == 303 and headers["Location"] == f"/rooms/{room}?done=create"
        status, page = await web.aget(f"/rooms/{room}?done=create")
        assert status == 200 and "The room is created." in page and "inst:TRIN" in page

        alice = await User("alice", servers.prosody.c2s_port).connect()
        me = await alice.join(room, "alice")
        assert 201 not in statuses(me), "the room existed before alice came"
        config = await owner_form(alice, room)
        assert config["muc#roomconfig_roomname"] == ["Trinity Common Room"]
        assert config["muc#roomconfig_persistentroom"] == ["1"]
        assert config["muc#roomconfig_membersonly"] == ["1"]
        assert config["muc#roomconfig_publicroom"] == ["0"]
        assert config["x-commonroom#linked"] == ["inst:TRIN"]
        assert config["muc#roomconfig_roomowners"] == [f"alice@{XMPP_DOMAIN}"]
        # Members only, and bob is no member (no directory here links him to TRIN).
        bob = await User("bob", servers.prosody.c2s_port).connect()
        with pytest.raises(StanzaError):
            await bob.join(room, "bob")
        # The half-made room was cancelled: creating it as a user works afresh.
        me = await alice.join(f"half@{MUC_DOMAIN}", "alice")
        assert 201 in statuses(me)

    run(body_)
    audit = psql(servers.db_uri, "SELECT object || ' ' || (detail->>'ok') FROM audit"
                                 " WHERE action = 'room.create' ORDER BY id").splitlines()
    assert audit == [f"helpdesk@{MUC_DOMAIN} false", f"half@{MUC_DOMAIN} false", f"{room} true"]


def test_the_full_configuration_form_changes_a_temporary_room(servers):
    web = Web(servers)
    room = f"popup2@{MUC_DOMAIN}"

    async def body_():
        dave = await User("dave", servers.prosody.c2s_port).connect()
        await dave.create(room, "dave")
        status, page = await web.aget(f"/rooms/{room}")
        assert status == 200 and "A temporary room" in page
        # Every field the engine offers owners is on the page, by its var.
        for var in ("muc#roomconfig_roomname", "muc#roomconfig_maxusers", "muc#maxhistoryfetch",
                    "muc#roomconfig_allowpm", "x-commonroom#registration",
                    "muc#roomconfig_roomadmins"):
            assert f'name="{var}"' in page, var
        fields = dict(re.findall(r'<select id="[^"]+" name="([^"]+)">.*?<option value="([^"]*)"'
                                 r' selected>', page))
        fields.update(re.findall(r'<input id="[^"]+" name="([^"]+)" value="([^"]*)"', page))
        fields.update(re.findall(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>',
                                 page))
        fields["muc#roomconfig_moderatedroom"] = "1"
        fields["muc#roomconfig_roomname"] = "Pop-up <b>room</b>"
        status, _, headers = await web.apost(f"/rooms/{room}/configure", **fields)
        assert status == 303, headers
        notice = await dave.expect(lambda s: s.tag == q(CLIENT, "message") and
                                   s.get("from") == room and 104 in statuses(s),
                                   "the configuration change notice", timeout=5)
        assert notice is not None
        config = await owner_form(dave, room)
        assert config["muc#roomconfig_moderatedroom"] == ["1"]
        assert config["muc#roomconfig_roomname"] == ["Pop-up <b>room</b>"]
        assert config["muc#roomconfig_persistentroom"] == ["0"]
        # A setting the campus policy fixes has one option only; another value is refused.
        whois = re.search(r'name="muc#roomconfig_whois">(.*?)</select>', page)[1]
        assert re.findall(r'<option value="([^"]+)"', whois) == ["anyone"], whois
        fields["muc#roomconfig_whois"] = "moderators"
        status, page, _ = await web.apost(f"/rooms/{room}/configure", **fields)
        assert status == 409 and "muc#roomconfig_whois" in page, page
        assert "is not one of the offered options" in page

    run(body_)


def test_a_registration_request_is_approved_from_the_room_page(servers):
    web = Web(servers)
    room = f"society@{MUC_DOMAIN}"

    async def body_():
        alice = await User("alice", servers.prosody.c2s_port).connect()
        await alice.create(room, "alice", {"muc#roomconfig_persistentroom": "1",
                                           "muc#roomconfig_membersonly": "1",
                                           "x-commonroom#registration": "approval"})
        await alice.barrier()
        carol = await User("carol", servers.prosody.c2s_port).connect()
        query = ET.Element(q(REGISTER, "query"))
        query.append(form("http://jabber.org/protocol/muc#register",
                          {"muc#register_roomnick": "carol"}))
        await carol.iq(room, "set", query)
        status, page = "", ""
        for _ in range(50):  # the request reaches PostgreSQL on the rooms' writer thread
            status, page = await web.aget(f"/rooms/{room}")
            if f"Approve carol@{XMPP_DOMAIN}" in page:
                break
        assert f"Approve carol@{XMPP_DOMAIN}" in page, page
        status, _, headers = await web.apost(f"/rooms/{room}/registration",
                                             jid=f"carol@{XMPP_DOMAIN}", nick="Carol C",
                                             decision="approve")
        assert status == 303 and "done=approve" in headers["Location"]
        # carol is a member now: the members-only room lets her in, under her nick.
        await carol.join(room, "Carol C")
        # Answering again: nothing is waiting, and the page says so.
        status, page, _ = await web.apost(f"/rooms/{room}/registration",
                                          jid=f"carol@{XMPP_DOMAIN}", decision="decline")
        assert status == 409 and "no registration request from" in page

    run(body_)
    rows = psql(servers.db_uri, "SELECT action || ' ' || (detail->>'ok') FROM audit"
                                " WHERE action LIKE 'room.registration%' ORDER BY id").splitlines()
    assert rows == ["room.registration_approve true", "room.registration_decline false"]
    assert psql(servers.db_uri, f"SELECT affiliation || ' ' || nick FROM room_affiliations"
                                f" WHERE room = '{room}' AND jid = 'carol@{XMPP_DOMAIN}'") == \
        "member Carol C"
