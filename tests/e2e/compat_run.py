"""The compatibility suite's tests, shared by test_clients_prosody.py and
test_clients_ejabberd.py (each sets HOST and imports these): every (stack, flow), the
20 rounds reusing one room name, and the client differences found so far.

Each test runs its conversation on a fresh asyncio loop and records its outcome in
Results, written to <build>/compat-results/<host>.json when the module ends.
"""
from __future__ import annotations

import asyncio
import time
import traceback

import pytest

import compat_aioxmpp
import compat_nbxmpp
import compat_slixmpp
from compat_flows import FLOWS, Env
from compat_support import Results, Servers

STACKS = {"slixmpp": compat_slixmpp, "aioxmpp": compat_aioxmpp, "nbxmpp": compat_nbxmpp}
CASES = [(s, f) for s in STACKS for f in FLOWS if f not in STACKS[s].NOT_OFFERED]


def run(coro_fn, timeout: float = 45):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(coro_fn(), timeout))
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio.set_event_loop(None)
        loop.close()


def make_fixtures(host: str):
    @pytest.fixture(scope="module")
    def servers():
        started = time.monotonic()
        s = Servers(host).start()
        results = Results(host)
        for stack, mod in STACKS.items():
            for flow, why in mod.NOT_OFFERED.items():
                results.record(stack, flow, "not offered", why)
            results.by_stanza.setdefault(stack, {}).update(getattr(mod, "BY_STANZA", {}))
        s.results = results
        yield s
        try:
            s.stop()
        finally:
            versions = {name: mod.version() for name, mod in STACKS.items()}
            results.write(versions, time.monotonic() - started)
    return servers


def drive(servers, stack: str, flow: str, body) -> None:
    """Runs one stack's conversation and records what happened."""
    mod = STACKS[stack]
    started = time.monotonic()

    async def conversation():
        env = Env(mod.Client, servers.host.c2s_port, stack, flow_tag(flow))
        try:
            await body(env)
        finally:
            await env.close()
    try:
        run(conversation)
    except BaseException as e:  # noqa: BLE001 - recorded, then re-raised
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        servers.results.record(stack, flow, "fail", detail, time.monotonic() - started)
        raise
    servers.results.record(stack, flow, "pass", "", time.monotonic() - started)


def flow_tag(flow: str) -> str:
    return "".join(ch for ch in flow if ch.isalnum())[:12] or "flow"


@pytest.mark.parametrize("stack,flow", CASES, ids=[f"{s}-{flow_tag(f)}" for s, f in CASES])
def test_flow(servers, stack, flow):
    drive(servers, stack, flow, FLOWS[flow])


# ------------------------------------------------------------------ one room name, 20 times

ROUNDS = 20
LEAVES = ("occupant JID", "bare room JID", "disconnect", "error presence")


async def reused_room_round(env, round_: int) -> None:
    """One short room life under the same name: a fresh room (201), nobody else in it, a
    message, everyone leaves (this round's way), and the room is gone with no ghost."""
    from compat_flows import gone_from, left, room_gone
    from compat_support import MUC_DOMAIN, is_message, is_presence, statuses, text_of
    room = f"reused@{MUC_DOMAIN}"
    how = LEAVES[round_ % len(LEAVES)]
    alice = await env.user("alice")
    bob = await env.user("bob")
    me = await alice.create_instant(room, "alice")
    assert 201 in statuses(me), f"round {round_}: the room was not new"
    await bob.join(room, "bob")
    roster = {s.get("from").split("/", 1)[1] for s in bob.take_all(
        lambda s: is_presence(s, ptype="available") and
        (s.get("from") or "").startswith(room + "/"))}
    # The self-presence may already be taken by join(); nobody but alice may be there.
    assert roster - {"bob"} == {"alice"}, f"round {round_}: occupants {roster}"
    await bob.say(room, f"round {round_}")
    await alice.expect(lambda s: is_message(s, f"{room}/bob", "groupchat") and
                       text_of(s, "body") == f"round {round_}", "bob's message")
    if how == "occupant JID":
        await bob.leave(room, "bob")
    elif how == "bare room JID":
        await bob.leave_bare(room)
    elif how == "disconnect":
        await bob.disconnect()
    else:
        await bob.error_presence(room, "bob")
    await gone_from(alice, room, "bob", {333} if how == "error presence" else set())
    await left(alice, room, "alice")
    await room_gone(alice, room)


@pytest.mark.parametrize("round_", range(ROUNDS), ids=[f"round{i:02d}" for i in range(ROUNDS)])
def test_reused_room_name(servers, round_):
    stack = list(STACKS)[round_ % len(STACKS)]
    label = f"{round_:02d} {stack}, leave by {LEAVES[round_ % len(LEAVES)]}"
    mod = STACKS[stack]
    started = time.monotonic()

    async def conversation():
        env = Env(mod.Client, servers.host.c2s_port, stack, "reuse")
        try:
            await reused_room_round(env, round_)
        finally:
            await env.close()
    try:
        run(conversation)
    except BaseException as e:  # noqa: BLE001 - recorded, then re-raised
        servers.results.record_round(label, "fail", str(e).splitlines()[0] if str(e) else
                                     type(e).__name__, time.monotonic() - started)
        raise
    servers.results.record_round(label, "pass", "", time.monotonic() - started)


# ------------------------------------------------------------------ how clients differ
# What the engine does with what real clients send beyond the spec's examples;
# the decisions are docs/decisions/0016-client-differences.md. Sent through slixmpp's
# stanza API; each case records what a user sees.

async def _difference(env, case: str) -> str:
    from compat_flows import left
    from compat_support import (DELAY, StanzaError, MUC_DOMAIN, child, error_condition, is_message,
                                is_presence, statuses)
    room = f"diff-{case}@{MUC_DOMAIN}"
    alice = await env.user("alice")
    bob = await env.user("bob")
    await alice.create_instant(room, "alice")

    async def outcome(nick: str) -> str:
        s = await bob.expect(lambda s: is_presence(s) and (s.get("from") or "").startswith(
            room + "/") and (s.get("type") == "error" or 110 in statuses(s)),
            "an answer to the presence", timeout=4)
        if s.get("type") == "error":
            return f"refused: {error_condition(s)}"
        if s.get("type") == "unavailable":
            return f"removed, status {sorted(statuses(s))}"
        return f"joined as {s.get('from').split('/', 1)[1][:40]!r}"

    if case == "no-x":
        bob.x.send_presence(pto=f"{room}/bob")  # no <x/>: a client out of sync
        return await outcome("bob")
    if case == "password-history":
        await alice.configure(room, {"muc#roomconfig_passwordprotectedroom": True,
                                     "muc#roomconfig_roomsecret": "s3cret"})
        for i in range(3):
            await alice.say(room, f"before {i}")
            await alice.expect(lambda s, i=i: is_message(s, f"{room}/alice") and
                               f"before {i}" in (s.findtext("{jabber:client}body") or ""),
                               "echo")
        await bob.join(room, "bob", history={"maxstanzas": 1}, password="s3cret")
        await bob.settled(room)
        got = bob.take_all(lambda s: is_message(s, f"{room}/alice") and
                           child(s, DELAY, "delay") is not None)
        return f"joined, {len(got)} history message(s)"
    if case == "slash":
        bob.x["xep_0045"].join_muc(room, "bob/laptop")
        text = await outcome("bob/laptop")
        if text.startswith("joined"):
            seen = await alice.expect(lambda s: is_presence(s, f"{room}/bob/laptop"),
                                      "bob/laptop's presence")
            text += f"; others see {seen.get('from').split('/', 1)[1]!r}"
        return text
    if case == "long-nick":
        results = []
        for n in (64, 65, 1023):
            nick = "n" * n
            try:
                await bob.join(room, nick)
                results.append(f"{n} bytes: joined")
                await left(bob, room, nick)
            except StanzaError as e:
                results.append(f"{n} bytes: refused, {e.condition}")
        return "; ".join(results)
    if case == "second-session":
        await bob.join(room, "bob")
        bob2 = await env.user("bob", resource="phone")
        bob2.x["xep_0045"].join_muc(room, "robert")
        s = await bob2.expect(lambda s: is_presence(s) and (s.get("from") or "").startswith(
            room + "/") and (s.get("type") == "error" or 110 in statuses(s)), "an answer")
        if s.get("type") == "error":
            return f"second nick refused: {error_condition(s)}"
        return f"second session joined as {s.get('from').split('/', 1)[1]!r}"
    if case == "moderate-0":
        from compat_support import SID, children
        await bob.join(room, "bob")
        await bob.say(room, "regrettable")
        seen = await alice.expect(lambda s: is_message(s, f"{room}/bob", "groupchat"),
                                  "bob's message")
        sid = [c.get("id") for c in children(seen, SID, "stanza-id")][0]
        from slixmpp import JID
        try:
            await alice._iq(alice.x["xep_0425"].moderate(JID(room), sid, "off topic"))
            return "accepted"
        except StanzaError as e:
            return f"refused: {e.condition}"
    raise AssertionError(case)


DIFFERENCES = {
    "no-x": "presence without `<x/>` from a non-occupant (a client out of sync)",
    "password-history": "join with `<password/>` and `<history maxstanzas='1'/>` at once",
    "slash": "nick with a resource-like slash (bob/laptop)",
    "long-nick": "long nicks (64, 65 and 1023 bytes)",
    "second-session": "a second session of the same user joins with another nick",
    "moderate-0": "moderated retraction as slixmpp 1.8's and nbxmpp 4.2's own calls send "
                  "it (`urn:xmpp:message-moderate:0` in a fastening)",
}


@pytest.mark.parametrize("case", DIFFERENCES)
def test_client_difference(servers, case):
    observed = {}

    async def conversation():
        env = Env(compat_slixmpp.Client, servers.host.c2s_port, "slixmpp", "diff")
        try:
            observed["text"] = await _difference(env, case)
        finally:
            await env.close()
    run(conversation)
    servers.results.record_difference(DIFFERENCES[case], observed["text"])
    print(case, "->", observed["text"])
