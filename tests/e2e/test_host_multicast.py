"""Fan-out through ejabberd's multicast service (XEP-0033, mod_multicast) as
deploy/ejabberd-service.yml enables it: commonroom finds the service at each connection and
sends a room's message or presence once, listing its occupants as bcc addresses, and
ejabberd copies it to each, split into as many requests as the service's limit asks
(tested with a limit of 4 as well as the snippet's). Every occupant's session - several of one user's among them, one
with a resource that needs escaping - gets each message and presence exactly once, with its
own 'to', the same 'from', id, stanza-id and occupant-id, and no address list. Without the
module commonroom sends one stanza per recipient as before. A client cannot use the service.
"""
from __future__ import annotations

import asyncio
import os
import xml.etree.ElementTree as ET

import pytest
import yaml

from host_fanout_support import every_session_gets_each_stanza_once, is_message
from rooms_support import (CLIENT, MUC_DOMAIN, USERS, Commonroom, CommonroomConfig, HostServer,
                           User, body, q, run, run_dir)
from harness import SOURCE_DIR, XMPP_DOMAIN  # noqa: E402 - on the path rooms_support sets

ADDRESS = "http://jabber.org/protocol/address"


def snippet_modules(limit: int | None = None) -> str:
    """The modules of deploy/ejabberd-service.yml, for the test's domain; `limit` lowers the
    service's recipients per stanza, so that commonroom must split every list."""
    text = (SOURCE_DIR / "deploy" / "ejabberd-service.yml").read_text()
    modules = yaml.safe_load(text.replace("cam.ac.uk", XMPP_DOMAIN))["modules"]
    assert "mod_multicast" in modules
    if limit is not None:
        modules["mod_multicast"]["limits"]["remote"] = {"message": limit, "presence": limit}
    dumped = yaml.safe_dump(modules, sort_keys=False)
    return "".join("  " + line + "\n" for line in dumped.splitlines())


# A service limit of 4 recipients per stanza: every fan-out of these tests is split.
SMALL_LIMIT = 4


@pytest.fixture(scope="module", params=["multicast", "multicast-limit-4", "no-multicast"])
def servers(request):
    with_multicast = request.param != "no-multicast"
    directory = run_dir(f"host-multicast-{request.param}")
    before = os.environ.get("EJABBERD_EXTRA_MODULES")
    if with_multicast:
        modules = directory / "modules.yml"
        limit = SMALL_LIMIT if request.param == "multicast-limit-4" else None
        modules.write_text(snippet_modules(limit))
        modules.chmod(0o644)
        os.environ["EJABBERD_EXTRA_MODULES"] = str(modules)
    try:
        ejabberd = HostServer("ejabberd", directory, components={MUC_DOMAIN: "muc-s3cret"},
                              users=dict(USERS)).start()
    finally:
        if before is None:
            os.environ.pop("EJABBERD_EXTRA_MODULES", None)
        else:
            os.environ["EJABBERD_EXTRA_MODULES"] = before
    config = CommonroomConfig(link_port=ejabberd.component_port, muc=(MUC_DOMAIN, "muc-s3cret"),
                              directory=None, unlogged_rooms_for_development=True,
                              extra={"policy": {"message_burst": "50"}})
    commonroom = Commonroom(directory, config).start()
    try:
        commonroom.wait_connected([MUC_DOMAIN])
        if with_multicast:
            commonroom.wait_for_log("the host server fans out for us", timeout=10)
        else:
            # The module's question and the two multicast ones, each answered "no".
            commonroom.wait_for_log("no fan-out module on the host server", count=3, timeout=10)
            assert "fans out for us" not in commonroom.log_text()
        yield with_multicast, ejabberd, commonroom
    finally:
        try:
            assert commonroom.stop() == 0
        finally:
            ejabberd.stop()


async def settled(users: list[User]) -> None:
    """The multicast service is a process of its own in ejabberd: what it copies can reach a
    session after a later stanza the component sent that session directly, so a round trip
    to the service alone is no barrier. Wait a little first, then take the round trip."""
    await asyncio.sleep(0.5)
    for u in users:
        await u.barrier()


def test_every_session_gets_each_message_and_presence_once(servers):
    with_multicast, ejabberd, commonroom = servers
    room = f"multicast-{'on' if with_multicast else 'off'}@{MUC_DOMAIN}"

    async def conversation():
        await every_session_gets_each_stanza_once(ejabberd.c2s_port, room,
                                                  q(ADDRESS, "addresses"), settled)

    run(conversation, timeout=60)


def test_join_storm_every_occupant_sees_every_other_once(servers):
    """Sixteen sessions (four of each user) ask to join at once, after three messages: each
    ends up with exactly one presence of every occupant, its own among them, and the
    history, whichever path - direct or through the service, split or not - each took."""
    with_multicast, ejabberd, commonroom = servers
    room = f"storm-{'on' if with_multicast else 'off'}-{os.getpid()}@{MUC_DOMAIN}"

    async def storm():
        first = await User("alice", ejabberd.c2s_port, resource="storm-0").connect()
        await first.create(room, "s0")
        history = [f"before the storm {i}" for i in range(3)]
        for text in history:
            first.message(room, text)
        for text in history:
            await first.expect(is_message(text), f"'{text}' back")
        names = sorted(USERS)
        sessions = [first] + [
            User(names[i % len(names)], ejabberd.c2s_port, resource=f"storm-{i}")
            for i in range(1, 16)]
        await asyncio.gather(*(u.connect() for u in sessions[1:]))
        await asyncio.gather(*(u.join(room, f"s{i}", history={"maxstanzas": 3})
                               for i, u in enumerate(sessions) if i > 0))
        nicks = {f"{room}/s{i}" for i in range(len(sessions))}
        # Until every session has a presence from everyone (or the wait runs out).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20

        def seen(u: User) -> list[str]:
            return [p.get("from") for p in u.inbox
                    if p.tag == q(CLIENT, "presence") and p.get("from") in nicks]

        while loop.time() < deadline and any(len(set(seen(u))) < len(nicks) - 1
                                             for u in sessions):
            await asyncio.sleep(0.2)
        await settled(sessions)
        for i, u in enumerate(sessions):
            # Its own presence (status 110) was taken from the inbox by join().
            got = seen(u) + [f"{room}/s{i}"]
            assert set(got) == nicks, f"s{i} is missing presences of {sorted(nicks - set(got))}"
            twice = sorted({j for j in got if got.count(j) > 1})
            assert not twice, f"s{i} got the presence of {twice} more than once"
            for p in u.inbox:
                if p.tag == q(CLIENT, "presence") and p.get("from") in nicks:
                    assert p.get("type") is None, ET.tostring(p, encoding="unicode")
                    assert p.get("to") == u.client.boundjid.full
                    assert p.find(q(ADDRESS, "addresses")) is None, "the address list leaked"
            if i > 0:
                bodies = [body(m) for m in u.inbox
                          if m.tag == q(CLIENT, "message") and body(m) is not None]
                assert bodies == history, f"s{i}'s history: {bodies}"

    run(storm, timeout=90)


def test_a_client_cannot_use_the_multicast_service(servers):
    with_multicast, ejabberd, commonroom = servers
    if not with_multicast:
        pytest.skip("no multicast service on this host")

    async def conversation():
        mallory = await User("carol", ejabberd.c2s_port, resource="mallory").connect()
        bob = await User("bob", ejabberd.c2s_port, resource="target").connect()
        m = ET.Element(q(CLIENT, "message"), to=f"multicast.{XMPP_DOMAIN}", type="chat")
        ET.SubElement(m, q(CLIENT, "body")).text = "spoofed"
        addresses = ET.SubElement(m, q(ADDRESS, "addresses"))
        ET.SubElement(addresses, q(ADDRESS, "address"), type="bcc", jid=bob.client.boundjid.full)
        mallory.send(m)
        refusal = await mallory.expect(
            lambda s: s.tag == q(CLIENT, "message") and s.get("type") == "error",
            "the service's refusal")
        assert refusal.find(f".//{{urn:ietf:params:xml:ns:xmpp-stanzas}}forbidden") is not None
        await asyncio.sleep(0.5)
        assert not [s for s in bob.inbox if is_message("spoofed")(s)]

    run(conversation, timeout=30)
