"""Directory search end to end: people in a real slapd, synced into a real PostgreSQL by
`commonroom directory sync`, loaded by `commonroom run`, searched by a slixmpp client (its
XEP-0055 plugin, XEP-0004 forms and XEP-0059 RSM) logged in to a real Prosody.

The tests share one set of servers and run in file order.
"""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The shared harness lives beside the integration tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import (DIRECTORY_DOMAIN, SOURCE_DIR, Commonroom, CommonroomConfig, HostServer,
                     commonroom_bin, disco_features, disco_identities, environment, free_port,
                     run_dir, xmpp_session)

SCRIPTS = SOURCE_DIR / "scripts"
TEST_PLUGINS = Path(__file__).resolve().parent / "prosody"
CARRIED = "urn:commonroom:test:carried"
BASE = "o=University of Cambridge,dc=cam,dc=ac,dc=uk"
SEARCH = "jabber:iq:search"
RSM = "http://jabber.org/protocol/rsm"
SMITHS = 30
PLUGINS = ("xep_0030", "xep_0004", "xep_0055", "xep_0059")


def person(uid: str, given: str, sn: str, *, cn: list[str] | None = None, aff: str = "student",
           insts: tuple[str, ...] = ()) -> str:
    lines = [f"dn: uid={uid},ou=people,{BASE}", "objectClass: inetOrgPerson",
             "objectClass: camLookupPerson", f"uid: {uid}"]
    lines += [f"cn: {c}" for c in (cn or [f"{given} {sn}"])]
    lines += [f"sn: {sn}", f"givenName: {given}", f"displayName: {given} {sn}",
              f"mail: {uid}@cam.ac.uk", f"misAffiliation: {aff}"]
    lines += [f"instID: {i}" for i in insts]
    return "\n".join(lines) + "\n\n"


def directory_ldif() -> str:
    out = [f"dn: {BASE}\nobjectClass: organization\no: University of Cambridge\n\n"]
    for ou in ("people", "insts", "groups"):
        out.append(f"dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n\n")
    for inst, name in (("TRIN", "Trinity College"), ("KINGS", "King's College"),
                       ("CST", "Department of Computer Science and Technology")):
        out.append(f"dn: instID={inst},ou=insts,{BASE}\nobjectClass: camLookupInstitution\n"
                   f"instID: {inst}\nou: {name}\n\n")
    # alice and bob are also the XMPP accounts the tests log in with.
    out.append(person("alice", "Alice", "Brown", aff="staff", insts=("CST", "TRIN")))
    out.append(person("bob", "Bob", "Brown", insts=("KINGS",)))
    out.append(person("jg101", "José", "García", aff="staff", insts=("TRIN",)))
    out.append(person("sk202", "Søren", "Kierkegård", aff="staff"))
    out.append(person("ww303", "Wei", "Wang", cn=["Wei Wang", "王伟"]))
    out.append(person("mo404", "Mary Ann", "O'Brien", insts=("TRIN",)))
    for i in range(SMITHS):
        out.append(person(f"sm{i:03d}", f"Sam{i:03d}", "Smith", insts=("KINGS",)))
    return "".join(out)


class Env:
    def __init__(self, root: Path):
        self.root = root
        self.pg_dir = root / "pg"
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / "postgres.sh"), "start",
                              str(self.pg_dir), str(free_port())],
                             env={**os.environ, "PG_FAST": "1"}, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        self.pg_uri = re.search(r"PG_URI=(\S+)", out.stdout).group(1)
        self.ldif = root / "people.ldif"
        self.ldif.write_text(directory_ldif(), encoding="utf-8")
        self.ldap_dir = root / "slapd"
        self.ldap_port = free_port()
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "start",
                              str(self.ldap_dir), str(self.ldap_port), str(self.ldif)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        # Prosody with commonroom's module on the directory (as scripts/lib/prosody.sh loads it
        # on every component), stream management, and a handler that marks one session's
        # answers (tests/e2e/prosody/mod_test_mark_carried.lua).
        extra = root / "extra.cfg.lua"
        extra.write_text('VirtualHost "cam.example"\n'
                         '  modules_enabled = { "smacks", "test_mark_carried" }\n')
        extra.chmod(0o644)
        with environment({"PROSODY_PLUGIN_DIR": str(TEST_PLUGINS),
                          "PROSODY_EXTRA_CONFIG": str(extra)}):
            self.host = HostServer("prosody", root).start()
        self.config = CommonroomConfig(
            link_port=self.host.component_port, muc=None, database_uri=self.pg_uri,
            extra={
                "ldap": {"uri": f"ldap://127.0.0.1:{self.ldap_port}",
                         "jid_template": "{uid}@cam.example", "schedule": "false"},
                # The poll is only a backstop: at 10 minutes, every change these tests see
                # after the start comes through NOTIFY commonroom_directory.
                "directory": {"refresh_seconds": "600", "rate_limit": "0"},
            })
        self.cr = Commonroom(root, self.config)
        self.config_path = root / "commonroom.ini"
        self.config_path.write_text(self.config.render())
        self.config_path.chmod(0o600)
        self.cli("migrate")
        self.cli("directory", "sync", "--full")
        self.cr.start()
        self.cr.wait_for_log(rf"directory search: {6 + SMITHS} people loaded", timeout=30)
        self.cr.wait_connected([DIRECTORY_DOMAIN])

    def cli(self, *args: str) -> str:
        p = subprocess.run([str(commonroom_bin()), "--config", str(self.config_path), *args],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"commonroom {' '.join(args)}: {p.stdout}{p.stderr}"
        return p.stdout

    def session(self, body, user: str = "alice", password: str = "alicepw", resource: str = "",
                plugins: tuple[str, ...] = PLUGINS):
        jid = f"{user}@cam.example" + (f"/{resource}" if resource else "")
        return xmpp_session(self.host.c2s_port, jid, password, body, plugins=plugins)

    def stop(self) -> None:
        self.cr.stop()
        self.host.stop()
        subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "stop", str(self.ldap_dir)])
        subprocess.run(["bash", str(SCRIPTS / "lib" / "postgres.sh"), "stop", str(self.pg_dir)])


@pytest.fixture(scope="module")
def env():
    e = Env(run_dir("directory-search"))
    yield e
    e.stop()


# ------------------------------------------------------------------------------ helpers

def _register_rsm_on_search():
    from slixmpp.plugins.xep_0055.stanza import Search
    from slixmpp.plugins.xep_0059.stanza import Set
    from slixmpp.xmlstream import register_stanza_plugin
    register_stanza_plugin(Search, Set)


async def legacy_search(client, fields: dict[str, str], rsm: dict[str, str] | None = None):
    """Sends a legacy search; returns (items as dicts, the result's rsm dict or None)."""
    from slixmpp.xmlstream import ET
    _register_rsm_on_search()
    iq = client.make_iq_set(ito=DIRECTORY_DOMAIN)
    query = iq["search"]
    for name, value in fields.items():
        ET.SubElement(query.xml, f"{{{SEARCH}}}{name}").text = value
    if rsm is not None:
        for k, v in rsm.items():
            query["rsm"][k] = v
        if "before" in rsm and rsm["before"] == "":
            ET.SubElement(query["rsm"].xml, f"{{{RSM}}}before")
    result = await iq.send(timeout=10)
    items = []
    for item in result["search"].xml.findall(f"{{{SEARCH}}}item"):
        entry = {"jid": item.get("jid")}
        for child in item:
            entry[child.tag.split("}")[1]] = child.text or ""
        items.append(entry)
    return items, _rsm_of(result)


def _rsm_of(result):
    if result["search"].xml.find(f"{{{RSM}}}set") is None:
        return None
    s = result["search"]["rsm"]
    return {"first": s["first"], "first_index": s["first_index"], "last": s["last"],
            "count": s["count"]}


async def form_search(client, values: dict[str, str], rsm: dict[str, str] | None = None):
    """Sends a form search the way the XEP-0055 plugin builds it; returns (reported vars,
    items as dicts, title, rsm)."""
    _register_rsm_on_search()
    iq = client["xep_0055"].make_search_iq(ito=DIRECTORY_DOMAIN)
    form = iq["search"]["form"]
    for var, value in values.items():
        form.add_field(var, value=value)
    if rsm is not None:
        for k, v in rsm.items():
            iq["search"]["rsm"][k] = v
    result = await iq.send(timeout=10)
    x = result["search"]["form"]
    reported = list(x.get_reported().keys())
    items = [dict(item) for item in x.get_items()]  # var -> value(s)
    return reported, items, x["title"], _rsm_of(result)


def error_of(exc) -> tuple[str, str, str]:
    err = exc.iq["error"]
    return err["type"], err["condition"], err["text"]


# ------------------------------------------------------------------------------ tests

def test_disco_shows_a_directory_with_search_and_paging(env):
    async def body(client):
        return (await disco_identities(client, DIRECTORY_DOMAIN),
                await disco_features(client, DIRECTORY_DOMAIN))
    identities, features = env.session(body)
    assert ("directory", "user") in [(i[0], i[1]) for i in identities]
    assert SEARCH in features
    assert RSM in features


def test_search_fields_offer_legacy_fields_and_a_form(env):
    async def body(client):
        iq = client.make_iq_get(ito=DIRECTORY_DOMAIN)
        iq.enable("search")
        result = await iq.send(timeout=10)
        q = result["search"]
        legacy = [c.tag.split("}")[1] for c in q.xml if c.tag.startswith(f"{{{SEARCH}}}")]
        form = q["form"]
        return legacy, form["type"], list(form.get_fields().keys()), \
            [o["value"] for o in form.get_fields()["institution"]["options"]]
    legacy, ftype, fields, institutions = env.session(body)
    assert legacy == ["instructions", "first", "last", "nick", "email"]
    assert ftype == "form"
    assert fields == ["FORM_TYPE", "name", "first", "last", "crsid", "email", "institution",
                      "affiliation"]
    assert institutions == ["any", "CST", "KINGS", "TRIN"]


def test_legacy_search_finds_people_without_their_accents(env):
    async def body(client):
        return (await legacy_search(client, {"last": "garcia"}),
                await legacy_search(client, {"first": "soren"}),
                await legacy_search(client, {"nick": "ww3"}),
                await legacy_search(client, {"last": "Montague"}))
    (garcia, _), (soren, _), (wang, _), (nobody, rsm) = env.session(body)
    assert garcia == [{"jid": "jg101@cam.example", "first": "José", "last": "García",
                       "nick": "jg101", "email": "jg101@cam.ac.uk"}]
    assert [p["jid"] for p in soren] == ["sk202@cam.example"]
    assert [p["jid"] for p in wang] == ["ww303@cam.example"]
    assert nobody == [] and rsm is None


def test_form_search_answers_with_a_result_form_jid_first(env):
    async def body(client):
        return (await form_search(client, {"name": "jose"}),
                await form_search(client, {"name": "王伟"}),
                await form_search(client, {"name": "brown alice"}),
                await form_search(client, {"name": "obrien"}),
                await form_search(client, {"last": "brown", "affiliation": "student"}),
                await form_search(client, {"name": "ar", "institution": "TRIN"}))
    (reported, jose, title, _), (_, wang, _, _), (_, alice, _, _), (_, obrien, _, _), \
        (_, students, _, _), (_, trin, _, _) = env.session(body)
    assert reported[0] == "jid"
    assert reported == ["jid", "name", "email", "institution", "affiliation"]
    assert [p["jid"] for p in jose] == ["jg101@cam.example"]
    assert jose[0]["name"] == "José García"
    assert jose[0]["institution"] in ("Trinity College", ["Trinity College"])
    assert title == "1 person found"
    assert [p["jid"] for p in wang] == ["ww303@cam.example"]
    assert [p["jid"] for p in alice] == ["alice@cam.example"]
    assert [p["jid"] for p in obrien] == ["mo404@cam.example"]
    assert [p["jid"] for p in students] == ["bob@cam.example"]
    # Two letters inside words, within one college: GARcía and MARy Ann O'Brien are at
    # Trinity; Alice Brown is too, but has no "ar".
    assert [p["jid"] for p in trin] == ["jg101@cam.example", "mo404@cam.example"]


def test_rsm_pages_through_a_form_search(env):
    async def body(client):
        pages = []
        after = None
        for _ in range(5):
            rsm = {"max": "12"}
            if after:
                rsm["after"] = after
            _, items, _, info = await form_search(client, {"last": "smith"}, rsm)
            pages.append(([p["jid"].split("@")[0] for p in items], info))
            if not items:
                break
            after = info["last"]
        return pages
    pages = env.session(body)
    uids = [u for page, _ in pages for u in page]
    assert uids == [f"sm{i:03d}" for i in range(SMITHS)]
    sizes = [len(page) for page, _ in pages]
    assert sizes == [12, 12, 6, 0]
    first, second = pages[0][1], pages[1][1]
    assert (first["first"], first["first_index"], first["last"], first["count"]) == \
        ("sm000", "0", "sm011", "30")
    assert (second["first"], second["first_index"]) == ("sm012", "12")
    assert pages[3][1]["count"] == "30" and pages[3][1]["first"] == ""


def test_a_search_without_rsm_gets_the_default_page_and_is_told_there_is_more(env):
    async def body(client):
        return await form_search(client, {"last": "smith"})
    _, items, title, info = env.session(body)
    assert [p["jid"] for p in items] == [f"sm{i:03d}@cam.example" for i in range(20)]
    assert title == f"{SMITHS} people found; showing 1-20"
    assert info["count"] == str(SMITHS) and info["last"] == "sm019"


def test_prosody_carries_a_page_of_people_whole_even_when_a_handler_changes_it(env):
    # Decision 0084: with commonroom's module a large answer crosses the link as one text
    # that Prosody writes to the client as it came. A handler on the client's host sees no
    # children in it (mod_test_mark_carried.lua counts them); when that handler adds one,
    # the client still gets the whole page, and the handler's child after it. Both sessions
    # use stream management, whose queue keeps a copy of every answer it sends.
    env.cr.wait_for_log("the host server carries large answers", timeout=10)

    async def body(client):
        iq = client["xep_0055"].make_search_iq(ito=DIRECTORY_DOMAIN)
        iq["search"]["form"].add_field("last", value="smith")
        page = await iq.send(timeout=10)
        seen = page.xml.find(f"{{{CARRIED}}}seen")
        items = [dict(item) for item in page["search"]["form"].get_items()]
        return ([p["jid"] for p in items], items[0], page["search"]["form"]["title"],
                None if seen is None else seen.get("children"), client["xep_0198"].enabled_in)

    plugins = PLUGINS + ("xep_0198",)
    smiths = [f"sm{i:03d}@cam.example" for i in range(20)]
    for resource in ("marked", "plain"):
        jids, first, title, seen, managed = env.session(body, resource=resource,
                                                        plugins=plugins)
        assert managed, "the session should use stream management (mod_smacks)"
        assert jids == smiths, resource
        assert first["name"] == "Sam000 Smith" and first["email"] == "sm000@cam.ac.uk"
        assert title == f"{SMITHS} people found; showing 1-20"
        if resource == "marked":
            assert seen == "0", "the handler saw the carried answer's content as elements"
        else:
            assert seen is None


def test_rsm_last_page_and_backwards_in_a_legacy_search(env):
    async def body(client):
        last = await legacy_search(client, {"last": "smith"}, {"max": "10", "before": ""})
        prev = await legacy_search(client, {"last": "smith"},
                                   {"max": "10", "before": last[1]["first"]})
        count = await legacy_search(client, {"last": "smith"}, {"max": "0"})
        return last, prev, count
    (last_items, last_rsm), (prev_items, prev_rsm), (count_items, count_rsm) = env.session(body)
    assert [p["nick"] for p in last_items] == [f"sm{i:03d}" for i in range(20, 30)]
    assert last_rsm["first_index"] == "20" and last_rsm["count"] == "30"
    assert [p["nick"] for p in prev_items] == [f"sm{i:03d}" for i in range(10, 20)]
    assert prev_rsm["first_index"] == "10"
    assert count_items == [] and count_rsm["count"] == "30"


def test_one_letter_search_is_refused_with_a_reason(env):
    from slixmpp.exceptions import IqError

    async def body(client):
        try:
            await legacy_search(client, {"last": "b"})
        except IqError as e:
            return error_of(e)
        return None
    assert env.session(body) == ("modify", "not-acceptable",
                                 "Type at least 2 letters of a name, CRSid or email address")


def test_a_synced_change_is_searchable_without_a_restart(env):
    subprocess.run(["ldapadd", "-x", "-H", f"ldap://127.0.0.1:{env.ldap_port}", "-D",
                    f"cn=admin,{BASE}", "-w", "commonroom-ldap-admin"],
                   input=person("rm500", "Romeo", "Montague"), text=True, capture_output=True,
                   check=True)
    mark = env.cr.log_mark()
    env.cli("directory", "sync", "--full")
    env.cr.wait_for_log(rf"directory search: {7 + SMITHS} people loaded", after=mark, timeout=15)

    async def body(client):
        return await legacy_search(client, {"last": "montague"})
    items, _ = env.session(body)
    assert [p["jid"] for p in items] == ["rm500@cam.example"]


async def found_within(client, last: str, uid_jid: str, want: bool, deadline_s: float) -> float:
    """Searches for `last` over and over until `uid_jid` is (want=True) or is not in the
    result, or `deadline_s` passes; returns the seconds it took (raises when it never did).
    Each round is a real search through Prosody; nothing sleeps to synchronise."""
    start = time.monotonic()
    while True:
        items, _ = await legacy_search(client, {"last": last})
        if (uid_jid in [p["jid"] for p in items]) == want:
            return time.monotonic() - start
        if time.monotonic() - start > deadline_s:
            raise AssertionError(f"{uid_jid} still {'missing from' if want else 'in'} the "
                                 f"results after {deadline_s} s: {items}")
        await asyncio.sleep(0.01)  # pace the searches (rate_limit is off); not a wait for state


def test_an_opt_out_is_gone_from_search_within_a_second_and_an_opt_in_after_its_sync(env):
    # "opted out of the directory; removed now": searching over XMPP must agree at once,
    # with the index's poll 10 minutes away (refresh_seconds = 600).
    timings = {}

    async def body(client):
        items, _ = await legacy_search(client, {"last": "kierkegard"})
        assert [p["jid"] for p in items] == ["sk202@cam.example"]
        said = await asyncio.to_thread(env.cli, "directory", "opt-out", "sk202")
        assert "removed now" in said, said
        timings["opt_out"] = await found_within(client, "kierkegard", "sk202@cam.example",
                                                want=False, deadline_s=5)
        # Opting back in restores them with the next full sync, and that is searchable at
        # once too.
        await asyncio.to_thread(env.cli, "directory", "opt-in", "sk202")
        await asyncio.to_thread(env.cli, "directory", "sync", "--full")
        timings["opt_in_sync"] = await found_within(client, "kierkegard", "sk202@cam.example",
                                                    want=True, deadline_s=5)

    env.session(body)
    print(f"opt-out to not found: {timings['opt_out'] * 1000:.0f} ms; "
          f"sync after opt-in to found: {timings['opt_in_sync'] * 1000:.0f} ms")
    assert timings["opt_out"] < 1.0, timings
    assert timings["opt_in_sync"] < 1.0, timings


def test_the_admin_web_opts_people_out_and_syncs_now(env):
    # The admin web's opt-out takes the command line's path: the running index drops the
    # person at once. Its "Sync now" runs the same sync, whose result the sync page shows.
    from types import SimpleNamespace
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_admin_web_rooms import Web
    web = Web(SimpleNamespace(commonroom=SimpleNamespace(config=env.config,
                                                         config_path=env.config_path)))
    web.get("/directory/sync")
    timings = {}

    async def body(client):
        items, _ = await legacy_search(client, {"last": "kierkegard"})
        assert [p["jid"] for p in items] == ["sk202@cam.example"]
        status, _, headers = await asyncio.to_thread(
            web.post, "/directory/opt-outs", uid="SK202", note="asked by e-mail", change="out")
        # Typed in capitals: the page it leads to names the CRSid as stored.
        assert status == 303 and headers["Location"] == "/directory/sync?done=opted-out&uid=sk202"
        timings["opt_out"] = await found_within(client, "kierkegard", "sk202@cam.example",
                                                want=False, deadline_s=5)
        status, page = await asyncio.to_thread(web.get, "/directory/sync?done=opted-out&uid=sk202")
        assert "sk202 is out of the directory now" in page and "asked by e-mail" in page
        status, _, _ = await asyncio.to_thread(web.post, "/directory/opt-outs", uid="sk202",
                                               change="in")
        assert status == 303
        status, _, headers = await asyncio.to_thread(web.post, "/directory/sync", kind="full")
        assert status == 303 and headers["Location"] == "/directory/sync?started=full"
        timings["opt_in_sync"] = await found_within(client, "kierkegard", "sk202@cam.example",
                                                    want=True, deadline_s=15)

    env.session(body)
    print(f"web opt-out to not found: {timings['opt_out'] * 1000:.0f} ms")
    assert timings["opt_out"] < 1.0, timings
    # The run the web started is on the sync page with its counts once it ends.
    deadline = time.monotonic() + 15
    while True:
        _, page = web.get("/directory/sync")
        if "A sync started here is running now." not in page:
            break
        assert time.monotonic() < deadline, "the sync never finished"
        time.sleep(0.1)
    first_run = re.search(r"<tbody>\s*<tr><td>(\w+)</td><td>[^<]*</td><td>[^<]*</td><td>(\w+)</td>",
                          page)
    assert first_run and first_run.groups() == ("full", "ok"), page
    from pg_support import psql
    audit = psql(env.pg_uri, "SELECT actor || ' ' || action || ' ' || object FROM audit"
                             " WHERE action LIKE 'directory.%' ORDER BY id").splitlines()
    assert audit == ["ops directory.opt_out sk202", "ops directory.opt_in sk202",
                     "ops directory.sync directory"], audit
