"""Rooms without a log (decision 0018): commonroom runs [muc] without [database]
only with `unlogged_rooms_for_development = true`, and then tells users the truth. Real
slixmpp clients on a real Prosody create and enter a room and find no status 170, logging
off in disco#info and the configuration form, and no archive; the admin web says so too.
(tests/e2e/test_rooms.py is the control: with [database], 170 is sent.)
"""
from __future__ import annotations

import json
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from rooms_support import (DATA, MUC, MUC_DOMAIN, MUC_OWNER, USERS, Commonroom,
                           CommonroomConfig, HostServer, StanzaError, User, q, run, run_dir,
                           statuses)

DISCO_INFO = "http://jabber.org/protocol/disco#info"
MAM = "urn:xmpp:mam:2"
ROOM = f"sabbat@{MUC_DOMAIN}"


@pytest.fixture(scope="module")
def servers():
    directory = run_dir("unlogged-rooms-e2e")
    prosody = HostServer("prosody", directory, components={MUC_DOMAIN: "muc-s3cret"},
                         users=dict(USERS)).start()
    config = CommonroomConfig(link_port=prosody.component_port, muc=(MUC_DOMAIN, "muc-s3cret"),
                              directory=None, unlogged_rooms_for_development=True)
    commonroom = Commonroom(directory, config).start()
    try:
        commonroom.wait_connected([MUC_DOMAIN])
        yield prosody, commonroom
    finally:
        try:
            assert commonroom.stop() == 0
        finally:
            prosody.stop()


def fields(form: ET.Element) -> dict[str, list[str]]:
    return {f.get("var"): [v.text or "" for v in f.findall(q(DATA, "value"))]
            for f in form.iter(q(DATA, "field"))}


def test_rooms_say_they_are_not_logged(servers):
    prosody, commonroom = servers

    async def conversation():
        alice = await User("alice", prosody.c2s_port).connect()
        bob = await User("bob", prosody.c2s_port).connect()
        created = await alice.create(ROOM, "alice")
        assert {100, 110, 201} <= statuses(created)
        assert 170 not in statuses(created), ET.tostring(created, encoding="unicode")
        entered = await bob.join(ROOM, "bob")
        assert {100, 110} <= statuses(entered)
        assert 170 not in statuses(entered), ET.tostring(entered, encoding="unicode")

        # What a client checks before entering (§7.2.12): logging off, no archive.
        info = await bob.iq(ROOM, "get", ET.Element(q(DISCO_INFO, "query")))
        features = {f.get("var") for f in info.findall(q(DISCO_INFO, "feature"))}
        assert MUC in features and "muc_nonanonymous" in features
        assert MAM not in features
        roominfo = fields(info.find(q(DATA, "x")))
        assert roominfo["muc#roomconfig_enablelogging"] == ["0"], roominfo

        # The owner's form offers logging only as off, and refuses turning it on.
        form = await alice.iq(ROOM, "get", ET.Element(q(MUC_OWNER, "query")))
        offered = fields(form.find(q(DATA, "x")))
        assert offered["muc#roomconfig_enablelogging"] == ["0"], offered
        query = ET.Element(q(MUC_OWNER, "query"))
        x = ET.SubElement(query, q(DATA, "x"), type="submit")
        for var, value in (("FORM_TYPE", MUC + "#roomconfig"),
                           ("muc#roomconfig_enablelogging", "1")):
            ET.SubElement(ET.SubElement(x, q(DATA, "field"), var=var), q(DATA, "value")).text = value
        with pytest.raises(StanzaError) as refused:
            await alice.iq(ROOM, "set", query)
        assert refused.value.condition == "not-acceptable"

        # No archive to ask.
        with pytest.raises(StanzaError) as no_archive:
            await bob.iq(ROOM, "set", ET.Element(q(MAM, "query")))
        assert no_archive.value.condition == "service-unavailable"

    run(conversation)

    health = json.loads(urllib.request.urlopen(
        f"http://127.0.0.1:{commonroom.config.admin_port}/healthz", timeout=5).read())
    assert health["rooms_unlogged"] is True
    page = urllib.request.urlopen(f"http://127.0.0.1:{commonroom.config.admin_port}/",
                                  timeout=5).read().decode()
    assert "<h2>ROOMS ARE NOT LOGGED</h2>" in page
    assert "ROOMS ARE NOT LOGGED (unlogged_rooms_for_development)" in commonroom.log_text()
