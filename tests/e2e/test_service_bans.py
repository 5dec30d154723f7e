"""Service-wide bans end to end: abuse staff ban a user or a whole domain with
`commonroom ban place`; the running service hears of it through PostgreSQL at once, removes
the banned from every room they are in with status 301 (their clients and everyone else's
see it), refuses them every room afterwards, and `ban lift` lets them back. Real PostgreSQL,
real Prosody, real slixmpp clients, the real command line.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from rooms_support import (MUC_DOMAIN, MUC_USER, XMPP_DOMAIN, Servers, StanzaError, User,
                           commonroom_bin, item, psql, q, run, statuses)
from pg_support import psql_eventually  # noqa: E402


@pytest.fixture(scope="module")
def servers():
    s = Servers("service-bans-e2e").start()
    yield s
    s.stop()


def ban(servers, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(commonroom_bin()), "--config", str(servers.commonroom.config_path),
                           "ban", *args], capture_output=True, text=True, timeout=30)


async def ban_async(servers, *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(ban, servers, *args)


def xml(stanza: ET.Element) -> str:
    return ET.tostring(stanza, encoding="unicode")


async def removal(user: User, occupant: str, what: str) -> ET.Element:
    return await user.expect(lambda s: s.get("from") == occupant and
                             s.get("type") == "unavailable", what, timeout=5)


def test_a_ban_removes_the_user_from_every_room_at_once_and_keeps_them_out(servers):
    lounge, study = f"lounge@{MUC_DOMAIN}", f"study@{MUC_DOMAIN}"
    bob_jid = f"bob@{XMPP_DOMAIN}"

    async def body_():
        alice = await User("alice", servers.prosody.c2s_port).connect()
        bob = await User("bob", servers.prosody.c2s_port).connect()
        carol = await User("carol", servers.prosody.c2s_port).connect()
        await alice.create(lounge, "alice")
        await carol.create(study, "carol")
        await bob.join(lounge, "bob")
        await bob.join(study, "bobby")

        started = time.monotonic()
        done = await ban_async(servers, "place", "Bob@CAM.example", "--reason",
                               "harassment report 42", "--by", "abuse-team")
        assert done.returncode == 0, done.stderr
        assert f"{bob_jid} is banned from every room until lifted" in done.stdout, done.stdout

        for room, nick in ((lounge, "bob"), (study, "bobby")):
            gone = await removal(bob, f"{room}/{nick}", "the service-wide ban")
            assert gone.get("type") == "unavailable" and {110, 301} <= statuses(gone), xml(gone)
            assert item(gone).get("affiliation") == "outcast", xml(gone)
            assert item(gone).findtext(q(MUC_USER, "reason")) == "harassment report 42"
        elapsed = time.monotonic() - started
        seen = await removal(alice, f"{lounge}/bob", "bob removed from the lounge")
        assert statuses(seen) == {301}, xml(seen)
        seen = await removal(carol, f"{study}/bobby", "bob removed from the study")
        assert statuses(seen) == {301}, xml(seen)
        # "At once": the command and the removal together, well under a poll interval.
        assert elapsed < 3, f"removal took {elapsed:.2f} s"

        for room in (lounge, study, f"newroom@{MUC_DOMAIN}"):
            with pytest.raises(StanzaError) as refused:
                await bob.join(room, "bob")
            assert refused.value.condition == "forbidden", refused.value
            assert "banned from this service: harassment report 42" in xml(refused.value.stanza)

        listed = await ban_async(servers, "list")
        assert listed.returncode == 0 and bob_jid in listed.stdout, listed
        assert "abuse-team" in listed.stdout and "harassment report 42" in listed.stdout

        lifted = await ban_async(servers, "lift", bob_jid, "--by", "abuse-team")
        assert lifted.returncode == 0, lifted.stderr
        # The lift reaches the service through the same notification; retry briefly.
        deadline = time.monotonic() + 5
        while True:
            try:
                await bob.join(lounge, "bob")
                break
            except StanzaError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    run(body_)

    # Abuse staff find the ban in the room log (both rooms) and the audit trail.
    events = psql_eventually(servers.db_uri,
                             "SELECT room, target, body, detail FROM room_events WHERE kind = 'ban'"
                             " AND detail->>'scope' = 'service' ORDER BY room",
                             lambda v: len(v.strip().splitlines()) >= 2)
    rows = [line.split("|") for line in events.strip().splitlines()]
    assert [r[0] for r in rows] == [lounge, study], events
    assert all(r[1] == bob_jid and r[2] == "harassment report 42" for r in rows), events
    assert json.loads(rows[0][3])["by"] == "abuse-team"
    audit = psql(servers.db_uri,
                 "SELECT action, actor, object FROM audit WHERE action LIKE 'ban.%' ORDER BY id")
    assert audit.strip().splitlines() == [f"ban.place|abuse-team|{bob_jid}",
                                          f"ban.lift|abuse-team|{bob_jid}"], audit


def test_a_domain_ban_covers_every_user_of_the_domain(servers):
    # The local domain is refused without --force: it would lock everyone out.
    refused = ban(servers, "place", XMPP_DOMAIN, "--reason", "oops", "--by", "abuse-team")
    assert refused.returncode == 1, refused
    assert "is a local domain" in refused.stderr and "--force" in refused.stderr

    room = f"domainban@{MUC_DOMAIN}"

    async def body_():
        alice = await User("alice", servers.prosody.c2s_port).connect()
        dave = await User("dave", servers.prosody.c2s_port).connect()
        await alice.create(room, "alice")
        await dave.join(room, "dave")
        done = await ban_async(servers, "place", XMPP_DOMAIN, "--force", "--reason", "drill",
                               "--by", "abuse-team", "--days", "1")
        assert done.returncode == 0, done.stderr
        assert "until 20" in done.stdout, done.stdout  # an expiry date is shown
        for user, nick in ((alice, "alice"), (dave, "dave")):
            gone = await removal(user, f"{room}/{nick}", "the domain ban")
            assert {110, 301} <= statuses(gone), xml(gone)
        lifted = await ban_async(servers, "lift", XMPP_DOMAIN, "--by", "abuse-team")
        assert lifted.returncode == 0, lifted.stderr

    run(body_)


def test_the_command_line_refuses_what_it_cannot_ban(servers):
    full = ban(servers, "place", f"bob@{XMPP_DOMAIN}/phone", "--reason", "x", "--by", "me")
    assert full.returncode == 2 and "has a resource" in full.stderr, full
    bad = ban(servers, "place", "bob@", "--reason", "x", "--by", "me")
    assert bad.returncode == 2 and "is not a JID or domain" in bad.stderr, bad
    no_reason = ban(servers, "place", "eve@evil.example", "--by", "me")
    assert no_reason.returncode == 2 and "--reason is required" in no_reason.stderr, no_reason
    days = ban(servers, "place", "eve@evil.example", "--reason", "x", "--by", "me",
               "--days", "soon")
    assert days.returncode == 2 and "--days needs a whole number" in days.stderr, days
    assert ban(servers, "place", "eve@evil.example", "--reason", "spam", "--by", "me") \
        .returncode == 0
    twice = ban(servers, "place", "EVE@evil.example", "--reason", "spam", "--by", "me")
    assert twice.returncode == 1 and "already banned" in twice.stderr, twice
    not_banned = ban(servers, "lift", "nobody@evil.example", "--by", "me")
    assert not_banned.returncode == 1 and "is not banned" in not_banned.stderr, not_banned
    assert ban(servers, "lift", "eve@evil.example", "--by", "me").returncode == 0


def test_bans_keep_working_after_postgresql_restarts(servers):
    room = f"afterrestart@{MUC_DOMAIN}"
    mark = servers.commonroom.log_mark()
    servers.pg.crash()
    time.sleep(1.0)
    servers.pg.start()

    async def body_():
        alice = await User("alice", servers.prosody.c2s_port).connect()
        carol = await User("carol", servers.prosody.c2s_port).connect()
        await alice.create(room, "alice")
        await carol.join(room, "carol")
        done = await ban_async(servers, "place", f"carol@{XMPP_DOMAIN}", "--reason", "spam",
                               "--by", "abuse-team")
        assert done.returncode == 0, done.stderr
        # The watcher reconnects with backoff (at most a few seconds after PostgreSQL is
        # back) and reloads everything it may have missed while it was away.
        gone = await carol.expect(lambda s: s.get("from") == f"{room}/carol" and
                                  s.get("type") == "unavailable", "the ban after the restart",
                                  timeout=20)
        assert {110, 301} <= statuses(gone), xml(gone)

    run(body_, timeout=60)
    assert "service-wide bans: cannot read PostgreSQL" in servers.commonroom.log_text()[mark:] \
        or "service-wide bans: PostgreSQL is back" in servers.commonroom.log_text()[mark:]
