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

from host_fanout_support import every_session_gets_each_stanza_once, is_message
from rooms_support import (CLIENT, MUC_DOMAIN, USERS, Commonroom, CommonroomConfig, HostServer,
                           User, q, run, run_dir)

FANOUT = "urn:commonroom:fanout:0"


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


def test_every_session_gets_each_message_and_presence_once(servers):
    with_module, prosody, commonroom = servers
    room = f"fanout-{'on' if with_module else 'off'}@{MUC_DOMAIN}"

    async def conversation():
        await every_session_gets_each_stanza_once(prosody.c2s_port, room, q(FANOUT, "fanout"))

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
