"""The admin web's abuse workspace against a real PostgreSQL: search, context and evidence
export under a case reference through HTTP, service-wide bans and legal holds from the web,
every step in the audit trail with the signed-in user, CSRF refused, and the abuse role
required (docs/abuse-handling.md). The room log is the one test_abuse_workspace.py loads."""
from __future__ import annotations

import hashlib
import html
import http.client
import io
import json
import re
import signal
import tarfile
from urllib.parse import urlencode

import pytest

from harness import run_dir
from pg_support import Cluster, psql
from test_abuse_workspace import ALICE, EVENTS, KEYS, LOBBY, MALLORY, MOD, PHYSICS, load, occupant_id
from test_admin_web import Site, csrf_of
from wls_support import TestWls


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


@pytest.fixture()
def site(pg, request):
    s = Site(pg, run_dir("admin-web-abuse-" + request.node.name[:30]), TestWls())
    for room, key in KEYS.items():
        psql(s.uri, "INSERT INTO rooms (jid, config, occupant_id_secret, created_at)"
                    f" VALUES ('{room}', '{{}}', '{key}', now())")
    load(s.uri, EVENTS)
    for args in (["abe", "abuse"], ["rita", "room-manager", "inst:TRIN"], ["aud", "auditor"]):
        assert s.cli("admin", "grant", *args).returncode == 0
    s.abe = s.sign_in_with_link("abe")[2]
    yield s
    s.stop()


def found(page):
    """Event ids of the results or the timeline, in page order."""
    return re.findall(r'context\?case=[^"&]*&amp;event=([^"&]+)"', page)


def search(site, case="CASE-1", **filters):
    status, page, _ = site.request("GET", "/abuse?" + urlencode({"case": case, **filters}),
                                   site.abe)
    assert status == 200, page
    return found(page), page


def test_search_combinations_through_the_web(site):
    # Words + user: both must hold (the Openfire failure).
    assert search(site, words="cretin", user=MALLORY)[0] == ["e14", "e03"]
    assert search(site, words="cretin", user=ALICE)[0] == ["e04"]
    assert search(site, words="CAFE")[0] == ["e12", "e11", "e06", "e03"]
    # A room typed in capitals, two rooms and a user typed in capitals, separated by spaces.
    assert search(site, room="LOBBY@Conference.cam.example", words="cafe")[0] == ["e06", "e03"]
    assert search(site, room=f"{LOBBY} {PHYSICS}", user="Mallory@CAM.example")[0] == [
        "e14", "e11", "e06", "e03"]
    assert search(site, nick="mal2")[0] == ["e06"]
    assert search(site, nick="mal2", kinds="all")[0] == ["e09", "e06", "e05"]
    assert search(site, user=MALLORY, **{"from": "2026-11-25", "to": "2026-11-26"})[0] == [
        "e14", "e11"]
    ids, page = search(site, room=LOBBY, occupant_id=occupant_id(LOBBY, MALLORY))
    assert ids == ["e06", "e03"]
    assert f"is <strong>{MALLORY}</strong>" in page
    # The retracted message is shown with its original text and who removed it.
    assert "Tu es un CRÉTIN, va au Café" in page and "Retracted</span> by mod@cam.example" in page
    # Refusals say why, and record nothing.
    before = psql(site.uri, "SELECT count(*) FROM audit WHERE action = 'log.search'")
    status, page, _ = site.request("GET", "/abuse?case=C&from=last+tuesday", site.abe)
    assert status == 400 and "is not a time" in page
    status, page, _ = site.request("GET", "/abuse?words=cafe", site.abe)
    assert status == 400 and "case reference first" in page
    assert psql(site.uri, "SELECT count(*) FROM audit WHERE action = 'log.search'") == before
    rows = psql(site.uri, "SELECT DISTINCT actor || ' ' || object FROM audit"
                          " WHERE action = 'log.search'").splitlines()
    assert rows == ["abe CASE-1"]


def test_keyset_pages_through_the_web(site):
    many = [(f"p{i:03d}", PHYSICS, f"ps{i:03d}", f"2026-11-27 10:00:{i // 10:02d}Z", "groupchat",
             ALICE + "/phone", "alice", None, f"page word {i}", None, None) for i in range(120)]
    load(site.uri, many)
    seen, path = [], "/abuse?" + urlencode({"case": "PAGES", "words": "page"})
    while path:
        page = site.request("GET", path, site.abe)[1]
        seen += found(page)
        nxt = re.search(r'<a href="([^"]+)">Older results</a>', page)
        path = html.unescape(nxt[1]) if nxt else None
    expected = [row[0] for row in sorted(many, key=lambda e: (e[3], e[0]), reverse=True)]
    assert seen == [e for e in expected]  # 50 + 50 + 20, newest first, no repeats
    assert psql(site.uri, "SELECT count(*) FROM audit WHERE action = 'log.search'"
                          " AND object = 'PAGES'") == "3"


def test_context_with_retracted_original_and_stable_links(site):
    status, page, _ = site.request(
        "GET", "/abuse/context?case=CASE-2&event=e04&before=3&after=4", site.abe)
    assert status == 200, page
    assert re.findall(r'<td class="when">(2026-11-2\d [\d:.]+)</td>', page)[0] == \
        "2026-11-24 09:59:00.000000"
    rows = re.findall(r'<tr class="([^"]*)"><td class="when">', page)
    assert len(rows) == 8 and rows[3] == "anchor"
    assert "retracted" in rows[2]
    assert "Tu es un CRÉTIN, va au Café" in page and f"by {MOD}&#x2F;desk" in page
    assert "changed nick from mal to mal2" in page
    assert "removed mallory@cam.example from the room (kick)" in page
    # The stable links reproduce the view: by stanza-id, and the room at that time.
    links = [html.unescape(x) for x in re.findall(r"<code>(http[^<]+)</code>", page)]
    assert [link.split("/abuse/context?")[1] for link in links] == [
        "event=e04", f"stanza_id=s04&room={LOBBY}", f"room={LOBBY}&at=2026-11-24T10:02:00.000000Z"]
    for link in links[1:]:
        path = "/abuse/context?" + link.split("?")[1]
        status, page, _ = site.request("GET", path, site.abe)
        assert status == 200 and "Which case is this for?" in page  # asks, shows nothing
        status, page, _ = site.request("GET", path + "&case=CASE-2&before=1&after=1", site.abe)
        assert status == 200 and "please stop, cretin is a rude word" in page
    audit = psql(site.uri, "SELECT actor, object, detail->>'results', detail->>'room' FROM audit"
                           " WHERE action = 'log.context' ORDER BY id").splitlines()
    assert audit == [f"abe|CASE-2|8|{LOBBY}", f"abe|CASE-2|3|{LOBBY}", f"abe|CASE-2|2|{LOBBY}"]


def test_export_download_matches_its_manifest_and_the_audit_row(site):
    page = site.request("GET", "/abuse?case=CASE-3&user=" + MALLORY, site.abe)[1]
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                           page.split('action="/abuse/export"')[1].split("</form>")[0]))
    assert form["user"] == MALLORY and form["case"] == "CASE-3"
    # Bytes, not text: the harness's request() decodes bodies.
    conn = http.client.HTTPConnection("127.0.0.1", site.config.admin_port, timeout=10)
    conn.request("POST", "/abuse/export", body=urlencode({k: html.unescape(v) for k, v in form.items()}),
                 headers={"Cookie": f"commonroom_session={site.abe}",
                          "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    assert r.status == 200, raw[:500]
    assert r.getheader("Content-Type") == "application/x-tar"
    assert re.fullmatch(r'attachment; filename="evidence-CASE-3-[0-9a-f]{12}\.tar"',
                        r.getheader("Content-Disposition"))
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        files = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    prefix = "evidence-CASE-3/"
    manifest = json.loads(files[prefix + "manifest.json"])
    assert manifest["case"] == "CASE-3" and manifest["exported_by"] == "abe"
    assert manifest["query"]["users"] == [MALLORY] and manifest["messages"] == 5
    for f in manifest["files"]:
        assert hashlib.sha256(files[prefix + f["name"]]).hexdigest() == f["sha256"], f["name"]
    messages = json.loads(files[prefix + "messages.json"])
    assert [m["event_id"] for m in messages] == ["e03", "e06", "e11", "e14", "e13"]
    rows = [json.loads(x) for x in psql(
        site.uri, "SELECT detail FROM audit WHERE action = 'log.export' ORDER BY id").splitlines()]
    assert len(rows) == 1 and rows[0]["case"] == "CASE-3" and rows[0]["results"] == 5
    assert rows[0]["archive_sha256"] == hashlib.sha256(raw).hexdigest()
    assert rows[0]["manifest_sha256"] == hashlib.sha256(files[prefix + "manifest.json"]).hexdigest()


def test_changes_need_the_csrf_token_and_record_nothing_without_it(site):
    before = psql(site.uri, "SELECT count(*) FROM audit")
    for path, body in [("/abuse/export", {"case": "C", "user": MALLORY}),
                       ("/abuse/bans/place", {"subject": MALLORY, "reason": "x"}),
                       ("/abuse/holds/place", {"kind": "user", "subject": MALLORY, "reason": "x"}),
                       ("/abuse/holds/preview", {"kind": "user", "subject": MALLORY, "reason": "x"})]:
        for csrf in (None, "0" * 64):
            form = dict(body, **({"csrf": csrf} if csrf else {}))
            status, page, _ = site.request("POST", path, site.abe, body=urlencode(form))
            assert status == 403 and "CSRF" in page, path
    assert psql(site.uri, "SELECT count(*) FROM audit") == before
    assert psql(site.uri, "SELECT count(*) FROM service_bans") == "0"
    assert psql(site.uri, "SELECT count(*) FROM legal_holds") == "0"


def test_only_admin_and_abuse_staff_reach_the_workspace(site):
    _, _, rita, _ = site.sign_in_with_link("rita")
    _, _, aud, _ = site.sign_in_with_link("aud")
    csrf = {c: csrf_of(site.request("GET", "/", c)[1]) for c in (rita, aud)}
    for cookie in (rita, aud):
        for path in ("/abuse", "/abuse?case=C&words=cafe", "/abuse/context?case=C&event=e03",
                     "/abuse/bans", "/abuse/holds"):
            status, page, _ = site.request("GET", path, cookie)
            assert status == 403 and "do not include this page" in page, path
        for path in ("/abuse/export", "/abuse/bans/place", "/abuse/holds/place"):
            body = urlencode({"csrf": csrf[cookie], "case": "C", "user": MALLORY,
                              "subject": MALLORY, "reason": "x", "kind": "user"})
            assert site.request("POST", path, cookie, body=body)[0] == 403, path
        assert "/abuse" not in site.request("GET", "/", cookie)[1]
    assert psql(site.uri, "SELECT count(*) FROM audit WHERE action LIKE 'log.%'") == "0"
    assert psql(site.uri, "SELECT count(*) FROM service_bans") == "0"


def test_bans_from_the_web_use_the_command_lines_store_and_audit(site):
    csrf = csrf_of(site.request("GET", "/abuse/bans", site.abe)[1])
    status, _, r = site.request("POST", "/abuse/bans/place", site.abe, body=urlencode({
        "csrf": csrf, "subject": "Mallory@CAM.example", "reason": "harassment <b>", "days": "",
        "case": "CASE-5"}))
    assert status == 303
    page = site.request("GET", r.getheader("Location"), site.abe)[1]
    assert "mallory@cam.example is banned from every room" in page
    assert "harassment &lt;b&gt;" in page and "Lift ban on mallory@cam.example" in page
    # The same rows as `commonroom ban place`: the command line lists it.
    assert "mallory@cam.example since" in site.cli("ban", "list").stdout
    status, page, _ = site.request("POST", "/abuse/bans/place", site.abe, body=urlencode({
        "csrf": csrf, "subject": MALLORY, "reason": "again"}))
    assert status == 409 and "already banned" in page and 'value="again"' in page
    # (Refusing to ban one of the service's own domains needs [muc]: the browser test shows it.)
    status, _, r = site.request("POST", "/abuse/bans/lift", site.abe, body=urlencode({
        "csrf": csrf, "subject": MALLORY, "case": "CASE-5"}))
    assert status == 303
    page = site.request("GET", r.getheader("Location"), site.abe)[1]
    assert "The ban on mallory@cam.example is lifted" in page and "Nobody is banned." in page
    assert re.search(r"<td>mallory@cam.example</td><td>harassment &lt;b&gt;</td>.*"
                     r" by abe</td>", page, re.S)
    assert psql(site.uri, "SELECT actor, action, object, detail->>'case' FROM audit"
                          " WHERE action LIKE 'ban.%' ORDER BY id").splitlines() == [
        f"abe|ban.place|{MALLORY}|CASE-5", f"abe|ban.lift|{MALLORY}|CASE-5"]


def test_holds_preview_then_place_then_release(site):
    csrf = csrf_of(site.request("GET", "/abuse/holds", site.abe)[1])
    status, page, _ = site.request("POST", "/abuse/holds/preview", site.abe, body=urlencode({
        "csrf": csrf, "kind": "user", "subject": "MALLORY@cam.example", "reason": "complaint",
        "minutes": "1", "case": "CASE-6"}))
    assert status == 200, page
    # Her 8 events in the lobby (e01, e03, e05, e06, e08 about her, e09) and the other rooms,
    # plus the lobby's events within a minute of them.
    own = int(psql(site.uri, f"SELECT count(*) FROM room_events WHERE actor_bare_jid = '{MALLORY}'"
                             f" OR split_part(target, '/', 1) = '{MALLORY}'"))
    assert re.search(rf"would keep <strong>\d+ logged event\(s\) \({own} by or about them", page)
    assert "You typed MALLORY@cam.example; the log writes it as mallory@cam.example" in page
    assert psql(site.uri, "SELECT count(*) FROM legal_holds") == "0"  # a preview places nothing
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                           page.split('action="/abuse/holds/place"')[1]))
    status, _, r = site.request("POST", "/abuse/holds/place", site.abe,
                                body=urlencode({k: html.unescape(v) for k, v in form.items()}))
    assert status == 303
    page = site.request("GET", r.getheader("Location"), site.abe)[1]
    assert "The hold on user mallory@cam.example is placed. It keeps" in page
    assert "WARNING" not in page
    # A hold on a JID nobody used warns, before and after.
    status, page, _ = site.request("POST", "/abuse/holds/preview", site.abe, body=urlencode({
        "csrf": csrf, "kind": "room", "subject": "typo@conference.cam.example", "reason": "r"}))
    assert "This hold would keep nothing" in page
    status, _, r = site.request("POST", "/abuse/holds/place", site.abe, body=urlencode({
        "csrf": csrf, "kind": "room", "subject": "typo@conference.cam.example", "reason": "r"}))
    page = site.request("GET", r.getheader("Location"), site.abe)[1]
    assert "WARNING: that is nothing" in page and '<span class="bad">nothing</span>' in page
    status, _, r = site.request("POST", "/abuse/holds/release", site.abe, body=urlencode({
        "csrf": csrf, "kind": "user", "subject": MALLORY, "case": "CASE-6"}))
    assert status == 303
    page = site.request("GET", r.getheader("Location"), site.abe)[1]
    assert "The hold on user mallory@cam.example is released" in page
    assert "by abe</td>" in page  # in the history
    assert "typo@conference.cam.example" in site.cli("hold", "list").stdout
    assert psql(site.uri, "SELECT actor, action, object, coalesce(detail->>'case', '-') FROM audit"
                          " WHERE action LIKE 'retention.hold.%' ORDER BY id").splitlines() == [
        f"abe|retention.hold.place|{MALLORY}|CASE-6",
        "abe|retention.hold.place|typo@conference.cam.example|-",
        f"abe|retention.hold.release|{MALLORY}|CASE-6"]


def test_auditors_see_each_step_of_a_case(site):
    search(site, case="CASE-7", words="cafe")
    site.request("GET", "/abuse/context?case=CASE-7&event=e03", site.abe)
    csrf = csrf_of(site.request("GET", "/abuse/bans", site.abe)[1])
    site.request("POST", "/abuse/bans/place", site.abe,
                 body=urlencode({"csrf": csrf, "subject": MALLORY, "reason": "r", "case": "CASE-7"}))
    _, _, aud, _ = site.sign_in_with_link("aud")
    status, page, _ = site.request("GET", "/audit?case=CASE-7", aud)
    assert status == 200
    rows = re.findall(r'<tr><td class="when">[\d:TZ-]+</td><td>(\w+)</td><td>([\w.]+)</td>'
                      r'<td class="nowrap"><a [^>]+>CASE-7</a>'
                      r"</td><td>(.*?)</td><td>(\d*)</td>", page)
    assert [(a, b, d) for a, b, _, d in rows] == [("abe", "ban.place", ""),
                                                    ("abe", "log.context", "10"),
                                                    ("abe", "log.search", "4")]
    assert "<code>words: cafe</code>" in rows[2][2]
    assert "<code>event_id: e03</code>" in rows[1][2]


def test_a_reloaded_policy_is_what_the_policy_page_shows_and_the_ban_check_uses(site):
    """SIGHUP (systemctl reload) applies a new [policy]: /policy shows it at once, and the
    abuse workspace refuses to ban a domain that has just become one of the service's own."""
    csrf = csrf_of(site.request("GET", "/abuse/bans", site.abe)[1])
    page = site.request("GET", "/policy", site.abe)[1]
    assert "<td>local_domains</td><td>(none)</td>" in page

    ini = site.proc.config_path
    ini.write_text(ini.read_text() + "\n[policy]\nlocal_domains = cam.example, cl.cam.example\n")
    mark = site.proc.log_mark()
    site.proc.signal(signal.SIGHUP)
    site.proc.wait_for_log(r"reload: applied \[policy\] local_domains", after=mark)

    page = site.request("GET", "/policy", site.abe)[1]
    assert "<td>local_domains</td><td>cam.example, cl.cam.example</td>" in page
    status, page, _ = site.request("POST", "/abuse/bans/place", site.abe, body=urlencode({
        "csrf": csrf, "subject": "cl.cam.example", "reason": "spam", "case": "CASE-9"}))
    assert status == 409 and "one of this service&#39;s own domains" in page, page[-2000:]
    assert psql(site.uri, "SELECT count(*) FROM service_bans") == "0"
