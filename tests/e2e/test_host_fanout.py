"""Fan-out on the host (decision 0033): with commonroom's Prosody module
(deploy/prosody/mod_commonroom_fanout.lua) a room's message crosses the component link once
and Prosody copies it to each occupant; without the module commonroom sends one stanza per
recipient as before. Either way every occupant's session - several of one user's among them,
one with a resource that needs escaping - gets each message and presence exactly once, with
its own 'to' and the same 'from', id, stanza-id and occupant-id. Nobody but the component
can make Prosody fan out. The module also runs under the global settings
deploy/prosody-component.cfg.lua recommends: the garbage collector's (decision 0072), which
Prosody must accept, and Nagle's algorithm off (decision 0088), which must reach the sockets
of Prosody's clients and of commonroom's link.
An operator may reload or unload the module on one component while commonroom stays
connected: the rooms keep working throughout, and the other component keeps its module.
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from host_fanout_support import SID, every_session_gets_each_stanza_once, is_message
from rooms_support import (CLIENT, DATA, MUC_DOMAIN, MUC_OWNER, USERS, XMPP_DOMAIN,
                           Commonroom, CommonroomConfig, HostServer, User, item, q, run, run_dir,
                           statuses)
from harness import DIRECTORY_DOMAIN
from harness import environment  # after rooms_support, which puts the harness on the path

FANOUT = "urn:commonroom:fanout:0"
DEPLOY_SNIPPET = Path(__file__).resolve().parents[2] / "deploy" / "prosody-component.cfg.lua"
TEST_PLUGINS = Path(__file__).resolve().parent / "prosody"
ONE_COPY = "urn:commonroom:test:one-copy"


def recommended_global_options() -> list[str]:
    """The snippet's gc and network_settings lines, as an operator copies them into
    Prosody's global section."""
    snippet = DEPLOY_SNIPPET.read_text().splitlines()
    options = []
    for key in ("gc", "network_settings"):
        lines = [l for l in snippet if re.match(key + r"\s*=", l)]
        assert len(lines) == 1, f"deploy/prosody-component.cfg.lua should set {key} once"
        options += lines
    return options


def prosody_tcp_nodelay(prosody: HostServer) -> list[int]:
    """TCP_NODELAY of every connected TCP socket Prosody holds, read from a copy of each
    descriptor (pidfd_getfd): its clients' connections and commonroom's link."""
    pid = int((prosody.dir / "prosody.pid").read_text().split()[0])
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    flags = []
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                    continue
            except FileNotFoundError:
                continue  # closed meanwhile
            fd = libc.syscall(438, pidfd, int(name), 0)  # pidfd_getfd (438 on every arch)
            if fd < 0:
                err = ctypes.get_errno()
                if err == errno.EPERM:  # not root and not allowed to trace Prosody
                    pytest.skip("cannot read Prosody's sockets (pidfd_getfd: not permitted)")
                continue  # EBADF: closed meanwhile
            with socket.socket(fileno=fd) as s:
                tcp = s.family in (socket.AF_INET, socket.AF_INET6) and s.type == socket.SOCK_STREAM
                if not tcp:
                    continue
                try:
                    s.getpeername()
                except OSError:
                    continue  # a listening socket
                flags.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    finally:
        os.close(pidfd)
    return flags


@pytest.fixture(scope="module", params=["module", "no-module", "module-recommended-settings"])
def servers(request):
    with_module = request.param != "no-module"
    directory = run_dir(f"host-fanout-{request.param}")
    env = {"PROSODY_FANOUT": "on" if with_module else "off",
           "PROSODY_PLUGIN_DIR": str(TEST_PLUGINS)}
    # A third-party-like handler that changes one recipient's copy (test_a_copy_changed_...).
    extra_config = (f'VirtualHost "{XMPP_DOMAIN}"\n'
                    '  modules_enabled = { "test_change_one_copy" }\n')
    if request.param == "module-recommended-settings":
        # the global section
        extra_config += 'Host "*"\n' + "\n".join(recommended_global_options()) + "\n"
    extra = directory / "extra.cfg.lua"
    extra.write_text(extra_config)
    extra.chmod(0o644)
    env["PROSODY_EXTRA_CONFIG"] = str(extra)
    with environment(env):
        prosody = HostServer("prosody", directory, components={MUC_DOMAIN: "muc-s3cret"},
                             users=dict(USERS)).start()
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
        # Prosody logs a setting it refuses and carries on with its default.
        log = (prosody.dir / "prosody.log").read_text()
        assert "Failed to apply GC configuration" not in log, log
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


def test_a_copy_changed_for_one_recipient_is_sent_as_changed(servers):
    # The module serializes a fan-out once and sends each copy as that text with its own
    # 'to'. A handler that changes one recipient's copy (a third-party module on
    # message/full, tests/e2e/prosody/mod_test_change_one_copy.lua) must see that change
    # reach that recipient, and nobody else; the copies after it are as sent.
    with_module, prosody, commonroom = servers
    room = f"one-copy-{'on' if with_module else 'off'}@{MUC_DOMAIN}"

    async def conversation():
        alice = await User("alice", prosody.c2s_port).connect()
        changed = await User("bob", prosody.c2s_port, resource="changed").connect()
        bob = await User("bob", prosody.c2s_port).connect()
        carol = await User("carol", prosody.c2s_port).connect()
        await alice.create(room, "alice")
        await changed.join(room, "bob's other")
        await bob.join(room, "bob")
        await carol.join(room, "carol")
        everyone = [alice, changed, bob, carol]
        for u in everyone:
            await u.barrier()
        for i in range(3):
            text = f"one copy changed {i}"
            carol.message(room, text)
            for u in everyone:
                m = await u.expect(is_message(text), f"'{text}'")
                what = ET.tostring(m, encoding="unicode")
                assert m.get("to") == u.client.boundjid.full, what
                if u is changed:
                    assert m.get("changed") == "yes", what
                    assert m.find(q(ONE_COPY, "changed")) is not None, what
                else:
                    assert m.get("changed") is None, what
                    assert m.find(q(ONE_COPY, "changed")) is None, what
                assert m.find(q(SID, "stanza-id")) is not None, what

    run(conversation, timeout=60)


def test_a_rooms_configuration_form_arrives_whole_carried_or_not(servers):
    # Decision 0084: with the module a large single answer (a room's configuration form,
    # ~40 fields) crosses the link as one text that Prosody writes to the client as it came;
    # without it, as XML. Either way the owner gets every field with its value.
    with_module, prosody, commonroom = servers
    room = f"carried-{'on' if with_module else 'off'}@{MUC_DOMAIN}"
    carries = f"{MUC_DOMAIN}: the host server carries large answers"
    if with_module:
        commonroom.wait_for_log(re.escape(carries), timeout=10)
    else:
        assert carries not in commonroom.log_text()

    async def conversation():
        alice = await User("alice", prosody.c2s_port).connect()
        await alice.create(room, "alice", {"muc#roomconfig_roomname": "Carried & <kept>"})
        query = await alice.iq(room, "get", ET.Element(q(MUC_OWNER, "query")))
        form = query.find(q(DATA, "x"))
        assert form is not None, ET.tostring(query, encoding="unicode")
        fields = {f.get("var"): [v.text for v in f.findall(q(DATA, "value"))]
                  for f in form.findall(q(DATA, "field"))}
        assert len(ET.tostring(query)) > 1024, "the form should be large enough to carry"
        assert fields["muc#roomconfig_roomname"] == ["Carried & <kept>"], fields
        assert fields["FORM_TYPE"] == ["http://jabber.org/protocol/muc#roomconfig"], fields
        assert len(fields) >= 15, fields

    run(conversation, timeout=30)


def test_a_newcomers_roster_arrives_whole_batched_or_not(servers):
    # Decision 0086: with the module a newcomer's roster (one presence per occupant) crosses
    # the link as one text, and Prosody routes each presence on its own; without it, one
    # stanza each. Either way the newcomer gets every occupant's presence once, with its
    # item and occupant-id, and its own presence (110) after them.
    with_module, prosody, commonroom = servers
    room = f"roster-{'on' if with_module else 'off'}@{MUC_DOMAIN}"

    async def conversation():
        alice = await User("alice", prosody.c2s_port).connect()
        await alice.create(room, "alice")
        others = []
        for name, nick in (("bob", "bob"), ("carol", "carol & <co>"), ("dave", "dave's")):
            u = await User(name, prosody.c2s_port).connect()
            await u.join(room, nick)
            others.append(nick)
        newcomer = await User("alice", prosody.c2s_port, resource="newcomer").connect()
        await newcomer.join(room, "alice again")
        await newcomer.barrier()
        roster = [s for s in newcomer.inbox
                  if s.tag == q(CLIENT, "presence") and s.get("from", "").startswith(room + "/")]
        nicks = [s.get("from")[len(room) + 1:] for s in roster]
        assert sorted(nicks) == sorted(["alice", *others]), nicks
        for s in roster:
            what = ET.tostring(s, encoding="unicode")
            assert s.get("to") == newcomer.client.boundjid.full, what
            assert item(s) is not None, what
            assert item(s).get("role") in ("participant", "moderator"), what
            assert s.find(q("urn:xmpp:occupant-id:0", "occupant-id")) is not None, what
            assert 110 not in statuses(s), what

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


def test_the_recommended_settings_send_every_write_at_once(servers):
    # Decision 0088: with Nagle's algorithm on (Prosody 0.12's default) a small write waits
    # for the acknowledgement of the one before, which a reading client's kernel delays up
    # to 40 ms: in a busy room messages arrived tens of milliseconds late (measured by
    # bench/muc_e2e.py). The snippet's network_settings must reach every connection Prosody
    # accepts: a client's, and commonroom's link (where it has to pass a stanza on without
    # waiting for commonroom's acknowledgement).
    _, prosody, _ = servers
    recommended = "network_settings" in (prosody.dir / "prosody.cfg.lua").read_text()
    with socket.create_connection(("127.0.0.1", prosody.c2s_port), timeout=10) as client:
        client.sendall(f"<?xml version='1.0'?><stream:stream to='{XMPP_DOMAIN}' version='1.0' "
                       "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                       .encode())
        assert b"<stream:stream" in client.recv(4096)  # accepted and answering
        flags = prosody_tcp_nodelay(prosody)
    assert len(flags) >= 2, f"expected this client and commonroom's link, found {flags}"
    assert flags == [1 if recommended else 0] * len(flags), flags


def test_prosody_reads_the_link_64_kib_at_a_time_with_the_module(servers):
    # Decision 0081: the module raises the link's read size from Prosody's 4 KiB, so that a
    # busy turn of Prosody's loop takes several fan-outs and each occupant gets them in one
    # send. Its effect is measured by bench/muc_e2e.py --syscalls; here, that it is applied
    # to commonroom's link once commonroom has authenticated (and never without the module).
    with_module, prosody, commonroom = servers
    log = (prosody.dir / "prosody.log").read_text()
    applied = re.findall(r"Reading commonroom's link (\d+) bytes at a time", log)
    if with_module:
        assert applied == ["65536"], log
    else:
        assert applied == [], log


def test_the_module_reloaded_then_unloaded_on_the_rooms_component_while_connected():
    # As the deploy snippet sets it up, both of commonroom's components have the module,
    # and one set of util.stanza wrappers serves both. An operator reloads it on the rooms'
    # component (an upgrade), then unloads it there, with commonroom connected: every
    # session still gets each message once and a configuration form whole - after the
    # unload Prosody passes the fan-outs and carried answers back and commonroom sends them
    # per recipient and as XML (decisions 0033, 0084) - and the directory's component keeps
    # its module.
    directory = run_dir("host-fanout-reload")
    prosody = HostServer("prosody", directory, users=dict(USERS)).start()
    config = CommonroomConfig(link_port=prosody.component_port,
                              unlogged_rooms_for_development=True,
                              extra={"policy": {"message_burst": "50"}})
    commonroom = Commonroom(directory, config).start()

    async def rooms_work(phase: str):
        await every_session_gets_each_stanza_once(prosody.c2s_port, f"{phase}@{MUC_DOMAIN}",
                                                  q(FANOUT, "fanout"))
        alice = await User("alice", prosody.c2s_port, resource=phase).connect()
        room = f"{phase}-form@{MUC_DOMAIN}"
        await alice.create(room, "alice", {"muc#roomconfig_roomname": f"{phase} & <kept>"})
        query = await alice.iq(room, "get", ET.Element(q(MUC_OWNER, "query")))
        fields = {f.get("var"): [v.text for v in f.findall(q(DATA, "value"))]
                  for f in query.find(q(DATA, "x")).findall(q(DATA, "field"))}
        assert fields["muc#roomconfig_roomname"] == [f"{phase} & <kept>"], fields
        assert len(fields) >= 15, fields
        alice.close()

    try:
        commonroom.wait_connected([MUC_DOMAIN, DIRECTORY_DOMAIN])
        for domain in (MUC_DOMAIN, DIRECTORY_DOMAIN):
            commonroom.wait_for_log(re.escape(f"{domain}: the host server carries large answers"),
                                    timeout=10)
        run(lambda: rooms_work("before"), timeout=60)

        answer = prosody.shell("module", "reload", "commonroom_fanout", MUC_DOMAIN)
        assert "Module reloaded on 1 host" in answer, answer
        run(lambda: rooms_work("reloaded"), timeout=60)

        answer = prosody.shell("module", "unload", "commonroom_fanout", MUC_DOMAIN)
        assert "Module unloaded from 1 host" in answer, answer
        run(lambda: rooms_work("unloaded"), timeout=60)
        log = commonroom.log_text()
        assert "passed a fan-out request back" in log, log[-3000:]
        assert "no fan-out module on the host server" in log, log[-3000:]
        loaded = prosody.shell("module", "list", DIRECTORY_DOMAIN)
        assert "commonroom_fanout" in loaded, loaded
        prosody_log = prosody.log_text()
        assert "Traceback" not in prosody_log and "Error" not in prosody_log.replace(
            "error_log", ""), prosody_log[-3000:]
    finally:
        try:
            assert commonroom.stop() == 0
        finally:
            prosody.stop()
