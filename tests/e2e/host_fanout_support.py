"""What every host fan-out path must give occupants, shared by the Prosody module's tests
(test_host_fanout.py) and ejabberd's multicast service's (test_host_multicast.py): each
session - several of one user's among them, one with a resource that needs escaping - gets
each message and presence exactly once, with its own 'to', the same 'from', id, stanza-id and
occupant-id, and never the recipient list that crossed the link."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Awaitable, Callable

from rooms_support import CLIENT, MUC_USER, User, body, q, statuses

SID = "urn:xmpp:sid:0"
OCCUPANT_ID = "urn:xmpp:occupant-id:0"


def is_message(text: str):
    return lambda s: s.tag == q(CLIENT, "message") and body(s) == text


async def barrier(users: list[User]) -> None:
    for u in users:
        await u.barrier()


async def every_session_gets_each_stanza_once(
        c2s_port: int, room: str, recipient_list_tag: str,
        settled: Callable[[list[User]], Awaitable[None]] = barrier) -> None:
    """Five sessions in `room`; three messages from bob, then dave leaves. `settled` waits
    until nothing more can be in flight to the given users; `recipient_list_tag` is the
    element that carries the list over the link and must never reach a client."""
    alice = await User("alice", c2s_port).connect()
    alice2 = await User("alice", c2s_port, resource="phone & <tablet>").connect()
    bob = await User("bob", c2s_port).connect()
    carol = await User("carol", c2s_port).connect()
    dave = await User("dave", c2s_port).connect()
    await alice.create(room, "alice")
    await alice2.join(room, "alice on the go")
    await bob.join(room, "bob")
    await carol.join(room, "carol")
    await dave.join(room, "dave")
    everyone = [alice, alice2, bob, carol, dave]
    await settled(everyone)
    for u in everyone:
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
            assert m.find(recipient_list_tag) is None, "the recipient list leaked"
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
    await settled(everyone)
    for u in everyone:
        await u.expect_none(lambda s: s.tag == q(CLIENT, "message") and body(s) in texts,
                            "a second copy of a message")

    # Presence goes the same way: dave leaves, everyone else hears it once.
    dave.presence(f"{room}/dave", ptype="unavailable")
    for u in everyone[:-1]:
        p = await u.presence_from(f"{room}/dave", "dave leaving")
        assert p.get("type") == "unavailable"
        assert p.get("to") == u.client.boundjid.full
        assert p.find(recipient_list_tag) is None, "the recipient list leaked"
        assert q(MUC_USER, "x") in [c.tag for c in p]
        assert 110 not in statuses(p)
    await settled(everyone[:-1])
    for u in everyone[:-1]:
        await u.expect_none(lambda s: s.tag == q(CLIENT, "presence") and
                            s.get("from") == f"{room}/dave", "dave leaving twice")
