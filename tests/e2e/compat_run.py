"""The compatibility suite's tests, shared by test_clients_prosody.py and
test_clients_ejabberd.py (each sets HOST and imports these): every (stack, flow), the
20 rounds reusing one room name, and the client differences of issue 10.

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
