"""Fan-out on the host (decision 0033): with commonroom's Prosody module
(deploy/prosody/mod_commonroom_fanout.lua) a room's message crosses the component link once
and Prosody copies it to each occupant; without the module commonroom sends one stanza per
recipient as before. Either way every occupant's session - several of one user's among them,
one with a resource that needs escaping - gets each message and presence exactly once, with
its own 'to' and the same 'from', id, stanza-id and occupant-id. Nobody but the component
can make Prosody fan out.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

from rooms_support import (CLIENT, MUC_DOMAIN, MUC_USER, USERS, Commonroom, CommonroomConfig,
                           HostServer, User, body, q, run, run_dir, statuses)

FANOUT = "urn:commonroom:fanout:0"
SID = "urn:xmpp:sid:0"
OCCUPANT_ID = "urn:xmpp:occupant-id:0"


@pytest.fixture(scope="module", params=["module", "no-module"])
def servers(request):
    with_module = request.param == "module"
    directory = run_dir(f"host-fanout-{request.param}")
    before = os.environ.get("PROSODY_FANOUT")
    os.environ["PROSODY_FANOUT"] = "on" if with_module else "off"
    try:
        prosody = HostServer("prosody", directory, components={MUC_DOMAIN: "muc-s3cret"},
                             users=dict(USERS)).start()
    finally:
        if before is None:
            os.environ.pop("PROSODY_FANOUT", None)
        else:
            os.environ["PROSODY_FANOUT"] = before
    config = CommonroomConfig(link_port=prosody.component_port, muc=(MUC_DOMAIN, "muc-s3cret"),
                              directory=None, unlogged_rooms_for_development=True,
                              extra={"policy": {"message_burst": "50"}})
    commonroom = Commonroom(directory, config).start()
    try:
        commonroom.wait_connected([MUC_DOMAIN])
        expected = ("the host server fans out for us" if with_module
                    else "no fan-out module on the host server")
        commonroom.wait_for_log(expected, timeout=10)
        yield with_module, prosody, commonroom
    finally:
        try:
            assert commonroom.stop() == 0
        finally:
            prosody.stop()


def is_message(text: str):
    return lambda s: s.tag == q(CLIENT, "message") and body(s) == text


def test_every_session_gets_each_message_and_presence_once(servers):
    with_module, prosody, commonroom = servers
    room = f"fanout-{'on' if with_module else 'off'}@{MUC_DOMAIN}"

    async def conversation():
        alice = await User("alice", prosody.c2s_port).connect()
        alice2 = await User("alice", prosody.c2s_port, resource="phone & <tablet>").connect()
        bob = await User("bob", prosody.c2s_port).connect()
        carol = await User("carol", prosody.c2s_port).connect()
        dave = await User("dave", prosody.c2s_port).connect()
        await alice.create(room, "alice")
        await alice2.join(room, "alice on the go")
        await bob.join(room, "bob")
        await carol.join(room, "carol")
        await dave.join(room, "dave")
        everyone = [alice, alice2, bob, carol, dave]
        for u in everyone:
            await u.barrier()
            u.inbox.clear()

        texts = [f"message {i} & <more>" for i in range(3)]
        for text in texts:
            bob.message(room, text)
        for text in texts:
            copies = []
            for u in everyone:
                m = await u.expect(is_message(text), f"'{text}'")
                assert m.get("to") == u.client.boundjid.full, ET.tostring(m, encoding="unicode")
                assert m.get("from") == f"{room}/bob"
                assert m.get("type") == "groupchat"
                assert m.find(q(FANOUT, "fanout")) is None, "the recipient list leaked"
                copies.append(m)
            # One stanza, copied: everything but 'to' is the same for every session.
            first = copies[0]
            for m in copies[1:]:
                assert m.get("id") == first.get("id")
                for ns, name in ((SID, "stanza-id"), (OCCUPANT_ID, "occupant-id")):
                    a, b = first.find(q(ns, name)), m.find(q(ns, name))
                    assert (a is None) == (b is None)
                    if a is not None:
                        assert a.attrib == b.attrib
        for u in everyone:
            await u.expect_none(lambda s: s.tag == q(CLIENT, "message") and body(s) in texts,
                                "a second copy of a message")

        # Presence goes the same way: dave leaves, everyone else hears it once.
        dave.presence(f"{room}/dave", ptype="unavailable")
        for u in everyone[:-1]:
            p = await u.presence_from(f"{room}/dave", "dave leaving")
            assert p.get("type") == "unavailable"
            assert p.get("to") == u.client.boundjid.full
            assert q(MUC_USER, "x") in [c.tag for c in p]
        for u in everyone[:-1]:
            await u.expect_none(lambda s: s.tag == q(CLIENT, "presence") and
                                s.get("from") == f"{room}/dave", "dave leaving twice")
        assert 110 not in statuses(p)

    run(conversation, timeout=60)


def test_only_the_component_can_ask_prosody_to_fan_out(servers):
    with_module, prosody, commonroom = servers

    async def conversation():
        mallory = await User("carol", prosody.c2s_port, resource="mallory").connect()
        bob = await User("bob", prosody.c2s_port, resource="target").connect()
        m = ET.Element(q(CLIENT, "message"), to=MUC_DOMAIN, type="groupchat")
        ET.SubElement(m, q(CLIENT, "body")).text = "spoofed"
        ET.SubElement(m, q(FANOUT, "fanout")).text = bob.client.boundjid.full
        mallory.send(m)
        # Whatever the service answers carol, bob must not get the message.
        await mallory.barrier()
        await bob.expect_none(is_message("spoofed"), "a fan-out requested by a client")

    run(conversation, timeout=30)
