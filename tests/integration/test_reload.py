"""Reload on SIGHUP against a real Prosody and PostgreSQL: a lowered [policy] limit is
enforced on the next message without a restart, a new log level takes effect, a change
that needs a restart is named in the log, and a broken file is refused with the running
configuration kept."""
from __future__ import annotations

import asyncio
import signal
import xml.etree.ElementTree as ET

import pytest

from harness import (MUC_DOMAIN, USERS, XMPP_DOMAIN, Commonroom, CommonroomConfig, HostServer,
                     run_coroutine, run_dir)
from pg_support import Cluster, migrated_database

ROOM = f"reload@{MUC_DOMAIN}"
MUC_NS = "http://jabber.org/protocol/muc"


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def prosody():
    server = HostServer("prosody", run_dir("reload-host"), components={MUC_DOMAIN: "s3cret"})
    server.start()
    yield server
    server.stop()


async def connect(port):
    import slixmpp
    client = slixmpp.ClientXMPP(f"alice@{XMPP_DOMAIN}/reload", USERS["alice"])
    client.connect(("127.0.0.1", port), disable_starttls=True)
    await client.wait_until("session_start", timeout=15)
    client.send_presence()
    return client


async def join_new_room(client):
    joined = asyncio.get_running_loop().create_future()

    def on_presence(p):
        if str(p["from"]) == f"{ROOM}/alice" and not joined.done():
            joined.set_result(p)

    client.add_event_handler("presence", on_presence)
    presence = client.make_presence(pto=f"{ROOM}/alice")
    presence.append(ET.Element(f"{{{MUC_NS}}}x"))
    presence.send()
    await asyncio.wait_for(joined, 10)
    iq = client.make_iq_set(ito=ROOM)
    query = ET.Element(f"{{{MUC_NS}#owner}}query")
    ET.SubElement(query, "{jabber:x:data}x", type="submit")
    iq.append(query)
    await iq.send(timeout=10)


async def say(client, size: int) -> str:
    """Sends a groupchat message of `size` bytes; 'echoed' or the error text."""
    answer = asyncio.get_running_loop().create_future()
    body = "x" * size

    def on_message(msg):
        if answer.done() or msg["from"].bare != ROOM:
            return
        if msg["type"] == "error":
            answer.set_result("error: " + (msg["error"]["text"] or msg["error"]["condition"]))
        elif msg["type"] == "groupchat" and msg["body"] == body:
            answer.set_result("echoed")

    client.add_event_handler("message", on_message)
    try:
        client.send_message(mto=ROOM, mbody=body, mtype="groupchat")
        return await asyncio.wait_for(answer, 10)
    finally:
        client.del_event_handler("message", on_message)


def test_sighup_applies_policy_names_restart_keys_and_refuses_a_broken_file(pg, prosody):
    directory = run_dir("reload")
    uri = migrated_database(pg, directory)
    config = CommonroomConfig(link_port=prosody.component_port, muc=(MUC_DOMAIN, "s3cret"),
                              directory=None, database_uri=uri,
                              extra={"abuse-log": {"journal_dir": str(directory / "journal")},
                                     "policy": {"messages_per_minute": "0",
                                                "max_message_bytes": "1000"}})
    service = Commonroom(directory, config).start()
    try:
        service.wait_connected([MUC_DOMAIN])

        def rewrite(**policy):
            config.extra["policy"].update(policy)
            service.config_path.write_text(config.render())

        async def scenario():
            alice = await connect(prosody.c2s_port)
            try:
                await join_new_room(alice)
                assert await say(alice, 500) == "echoed"

                # A lower limit and a new admin web port: the first is applied at once,
                # the second is named as waiting for a restart.
                mark = service.log_mark()
                rewrite(max_message_bytes="200")
                text = service.config_path.read_text().replace(
                    f"listen = 127.0.0.1:{config.admin_port}",
                    f"listen = 127.0.0.1:{config.admin_port + 1}")
                service.config_path.write_text(text)
                service.signal(signal.SIGHUP)
                service.wait_for_log(r"reload: applied \[policy\] max_message_bytes", after=mark)
                service.wait_for_log(r"only take effect after a restart: \[admin-web\] listen",
                                     after=mark)
                refused = await say(alice, 500)
                assert refused.startswith("error: ") and "200 bytes" in refused, refused
                assert await say(alice, 150) == "echoed"

                # A broken file: refused, the error logged, the running limit kept.
                mark = service.log_mark()
                rewrite(max_message_bytes="lots")
                service.signal(signal.SIGHUP)
                lines = service.wait_for_log(r"reload refused: .* has 1 error\(s\); still "
                                             r"running with the configuration loaded before",
                                             after=mark)
                assert lines
                service.wait_for_log(r"\[policy\] max_message_bytes", after=mark)
                assert service.running()
                assert "200 bytes" in await say(alice, 500)
                assert await say(alice, 150) == "echoed"

                # Fixed again, with the limit raised and the old admin web port back (the
                # one still in effect): applied, and nothing waits for a restart any more.
                mark = service.log_mark()
                rewrite(max_message_bytes="2000")
                service.signal(signal.SIGHUP)
                service.wait_for_log(r"reload: applied \[policy\] max_message_bytes", after=mark)
                assert await say(alice, 1500) == "echoed"
                with open(service.log_path, "rb") as log:
                    log.seek(mark)
                    assert b"after a restart" not in log.read()

                # Log levels: at warning, the reload's own information lines after the new
                # level took effect go quiet while its warning about a restart-only change
                # still shows.
                mark = service.log_mark()
                config.level = "warning"
                config.link_host = "localhost"
                rewrite()
                service.signal(signal.SIGHUP)
                service.wait_for_log(r"only take effect after a restart: \[links\] host",
                                     after=mark)
                with open(service.log_path, "rb") as log:
                    log.seek(mark)
                    text = log.read().decode()
                informational = [line for line in text.splitlines()
                                 if " Information " in line and "reload: re-reading" not in line]
                assert informational == [], text
            finally:
                alice.abort()

        run_coroutine(scenario())
        assert service.running()
    finally:
        assert service.stop() == 0
