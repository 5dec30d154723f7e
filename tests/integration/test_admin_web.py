"""The admin web against a real PostgreSQL: one-time sign-in links from the command
line, Raven (Ucam WebAuth 3) against a test WLS with its own key pair, the trusted front
proxy, sessions that sign-out and revocation end, room managers who see only their rooms, the
directory search, and the audit trail naming the signed-in user."""
from __future__ import annotations

import http.client
import json
import re
import subprocess
from urllib.parse import quote, urlsplit

import pytest

from harness import (DIRECTORY_DOMAIN, DIRECTORY_SECRET, Commonroom, CommonroomConfig,
                     commonroom_bin, free_port, run_dir, wait_until)
from pg_support import Cluster, migrated_database, psql
from wls_support import TestWls

PROXY_SECRET = "proxy-shared-s3cret"


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


class Site:
    def __init__(self, pg, directory, wls, with_directory=False, before_start=None):
        self.uri = migrated_database(pg, directory)
        if before_start:
            before_start(self.uri)
        self.wls = wls
        key = wls.write_public_key(directory / "wls-901.pem")
        secret = directory / "proxy-secret"
        secret.write_text(PROXY_SECRET + "\n")
        secret.chmod(0o600)
        # With [directory] the service holds its in-memory people index, which the directory
        # page then searches (no XMPP server is needed: the link just keeps retrying).
        self.config = CommonroomConfig(
            link_port=free_port(), muc=None,
            directory=(DIRECTORY_DOMAIN, DIRECTORY_SECRET) if with_directory else None,
            database_uri=self.uri)
        self.base = f"http://127.0.0.1:{self.config.admin_port}"
        self.config.extra = {"admin-web": {
            "raven_url": "https://wls.invalid/auth/authenticate.html",
            "raven_keys": f"901={key}",
            "raven_skew_seconds": "30",
            "proxy_user_header": "X-Remote-User",
            "proxy_addresses": "127.0.0.1",
            "proxy_secret_header": "X-Proxy-Secret",
            "proxy_secret_file": str(secret),
        }}
        self.proc = Commonroom(directory, self.config).start()
        self.ini = self.proc.config_path
        # 200, or 503 while a configured link has no XMPP server to reach.
        wait_until(lambda: self.request("GET", "/healthz")[0] in (200, 503), 15)

    def cli(self, *args):
        return subprocess.run([str(commonroom_bin()), "--config", str(self.ini), *args],
                              capture_output=True, text=True, timeout=60)

    def request(self, method, path, cookie=None, body=None, headers=None, source="127.0.0.1"):
        conn = http.client.HTTPConnection("127.0.0.1", self.config.admin_port, timeout=10,
                                          source_address=(source, 0))
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = f"commonroom_session={cookie}"
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, r.read().decode(), r
        except OSError:
            return 0, "", None
        finally:
            conn.close()

    def sign_in_with_link(self, user):
        out = self.cli("admin", "login-link", user)
        assert out.returncode == 0, out.stderr
        link = out.stdout.strip()
        assert link.startswith(self.base + "/auth/link?token=")
        return self.follow_sign_in(urlsplit(link).path + "?" + urlsplit(link).query)

    def follow_sign_in(self, path, **kw):
        status, body, r = self.request("GET", path, **kw)
        cookie = None
        if r is not None and r.getheader("Set-Cookie"):
            cookie = re.match(r"commonroom_session=([0-9a-f]{64});", r.getheader("Set-Cookie"))[1]
        return status, body, cookie, r

    def raven(self, response, **kw):
        return self.follow_sign_in("/auth/raven?WLS-Response=" + quote(response, safe=""), **kw)

    @property
    def raven_url(self):
        return self.base + "/auth/raven"

    def stop(self):
        self.proc.stop()


@pytest.fixture()
def site(pg, request):
    s = Site(pg, run_dir("admin-web-" + request.node.name[:40]), TestWls())
    for args in (["ada", "admin"], ["rita", "room-manager", "inst:TRIN"], ["aud", "auditor"]):
        out = s.cli("admin", "grant", *args)
        assert out.returncode == 0, out.stderr
    yield s
    s.stop()


def csrf_of(page):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]


def test_a_login_link_signs_in_once_and_sign_out_ends_the_session(site):
    status, body, cookie, r = site.sign_in_with_link("ada")
    assert status == 200 and cookie, body
    set_cookie = r.getheader("Set-Cookie")
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert "Secure" not in set_cookie  # plain http on loopback here
    status, page, _ = site.request("GET", "/", cookie)
    assert status == 200 and "Signed in as <strong>ada</strong>" in page
    # The session id is not in the database, only its hash.
    assert psql(site.uri, f"SELECT count(*) FROM admin_sessions WHERE id_sha256 = '{cookie}'") == "0"

    status, body, _ = site.request("POST", "/sign-out", cookie, body="csrf=" + csrf_of(page))
    assert status == 302
    assert site.request("GET", "/", cookie)[0] == 302
    actions = psql(site.uri, "SELECT actor || ' ' || action FROM audit ORDER BY id").splitlines()
    assert "ada admin.sign_in" in actions and "ada admin.sign_out" in actions
    assert any(a.startswith("cli:") and a.endswith(" admin.grant") for a in actions)


def test_a_login_link_works_only_once(site):
    out = site.cli("admin", "login-link", "ada")
    path = urlsplit(out.stdout.strip())
    assert site.follow_sign_in(path.path + "?" + path.query)[0] == 200
    status, body, cookie, _ = site.follow_sign_in(path.path + "?" + path.query)
    assert status == 403 and cookie is None
    assert "used already" in body


def test_someone_without_a_role_gets_no_session(site):
    out = site.cli("admin", "login-link", "nobody1")
    assert "no admin web role" in out.stderr
    path = urlsplit(out.stdout.strip())
    status, body, cookie, _ = site.follow_sign_in(path.path + "?" + path.query)
    assert status == 403 and cookie is None
    assert "commonroom admin grant nobody1" in body


def test_revoking_a_role_ends_the_users_sessions(site):
    _, _, cookie, _ = site.sign_in_with_link("aud")
    assert site.request("GET", "/audit", cookie)[0] == 200
    assert site.cli("admin", "revoke", "aud", "auditor").returncode == 0
    assert site.request("GET", "/audit", cookie)[0] == 302
    listing = site.cli("admin", "list").stdout
    assert "ada admin" in listing and "rita room-manager inst:TRIN" in listing
    assert "aud" not in listing


def test_raven_redirects_to_the_wls_with_ver_url_desc_params(site):
    status, _, r = site.request("GET", "/auth/raven?next=/rooms")
    assert status == 302
    location = r.getheader("Location")
    assert location.startswith("https://wls.invalid/auth/authenticate.html?ver=3&url=")
    assert "url=" + quote(site.raven_url, safe="") in location
    assert "&desc=" in location and "&params=%2Frooms" in location


def test_raven_signs_in_with_a_good_response_and_refuses_its_replay(site):
    response = site.wls.response(site.raven_url, "ada", params="/rooms")
    status, body, cookie, _ = site.raven(response)
    assert status == 200 and cookie, body
    assert 'url=&#x2F;rooms"' in body  # back where the user was going
    assert site.request("GET", "/rooms", cookie)[0] == 200
    status, body, cookie, _ = site.raven(response)
    assert status == 403 and cookie is None
    assert "used already" in body


@pytest.mark.parametrize("case, message", [
    ("bad_signature", "signature does not verify"),
    ("unknown_kid", "key &quot;77&quot;"),
    ("stale", "too far from this server"),
    ("wrong_url", "made for another address"),
    ("cancelled", "cancelled at Raven"),
])
def test_raven_refuses_bad_responses_with_a_clear_page(site, case, message):
    wls = site.wls
    if case == "bad_signature":
        response = wls.response(site.raven_url, "ada", key=TestWls().key)
    elif case == "unknown_kid":
        response = wls.response(site.raven_url, "ada", kid="77")
    elif case == "stale":
        response = wls.response(site.raven_url, "ada", issue=TestWls.stale())
    elif case == "wrong_url":
        response = wls.response("http://elsewhere.example/auth/raven", "ada")
    else:
        response = wls.response(site.raven_url, "", status="410")
    status, body, cookie, _ = site.raven(response)
    assert status == 403 and cookie is None
    assert "Raven sign-in refused" in body and message in body, body
    # Tampering with a good response breaks its signature too.
    if case == "bad_signature":
        good = wls.response(site.raven_url, "rita")
        status, body, cookie, _ = site.raven(good.replace("!rita!", "!ada!"))
        assert status == 403 and "signature does not verify" in body


def test_the_proxy_header_counts_only_from_its_address_with_its_secret(site):
    headers = {"X-Remote-User": "ada", "X-Proxy-Secret": PROXY_SECRET}
    status, _, cookie, _ = site.follow_sign_in("/auth/proxy", headers=headers)
    assert status == 200 and cookie
    # Proxies may send e-mail-like ids in any case; roles are granted in lower case.
    assert site.cli("admin", "grant", "jo@cam.ac.uk", "auditor").returncode == 0
    status, _, jo, _ = site.follow_sign_in(
        "/auth/proxy", headers={"X-Remote-User": "Jo@CAM.ac.uk", "X-Proxy-Secret": PROXY_SECRET})
    assert status == 200 and site.request("GET", "/audit", jo)[0] == 200
    status, body, cookie, _ = site.follow_sign_in(
        "/auth/proxy", headers={"X-Remote-User": "ada", "X-Proxy-Secret": "guess"})
    assert status == 403 and cookie is None and "Single sign-on refused" in body
    status, _, cookie, _ = site.follow_sign_in("/auth/proxy", headers={"X-Remote-User": "ada"})
    assert status == 403 and cookie is None
    # Right secret, but from another address than the proxy's.
    status, _, cookie, _ = site.follow_sign_in("/auth/proxy", headers=headers, source="127.0.0.2")
    assert status == 403 and cookie is None


def add_room(uri, jid, name, linked):
    config = json.dumps({"name": name, "public_room": True, "persistent": True,
                         "linked": linked}).replace("'", "''")
    psql(uri, "INSERT INTO rooms (jid, config, occupant_id_secret, created_at, created_by)"
              f" VALUES ('{jid}', '{config}'::jsonb, 's', now(), 'crispin@cam.example')")


def test_a_room_manager_sees_only_their_colleges_rooms_and_the_directory(site):
    add_room(site.uri, "trinity@conference.cam.example", "Trinity <b>JCR</b>", ["inst:TRIN"])
    add_room(site.uri, "kings@conference.cam.example", "King's bar", ["inst:KINGS"])
    psql(site.uri, "INSERT INTO directory_people (uid, jid, display_name, name_folded)"
                   " VALUES ('spqr1', 'spqr1@cam.example', 'Sam Quentin', 'sam quentin')")
    _, _, rita, _ = site.sign_in_with_link("rita")
    status, page, _ = site.request("GET", "/rooms", rita)
    assert status == 200
    assert "trinity@conference.cam.example" in page and "Trinity &lt;b&gt;JCR&lt;&#x2F;b&gt;" in page
    assert "kings@conference.cam.example" not in page
    assert site.request("GET", "/rooms/kings@conference.cam.example", rita)[0] == 404
    psql(site.uri, "INSERT INTO room_registration_requests (room, jid, nick, requested_at,"
                   " notified_at) VALUES ('trinity@conference.cam.example', 'fresher@cam.example',"
                   " 'Fresher', now(), now())")
    status, page, _ = site.request("GET", "/rooms/trinity@conference.cam.example", rita)
    assert status == 200 and "Waiting for approval" in page and "fresher@cam.example" in page
    assert site.request("GET", "/audit", rita)[0] == 403

    _, _, ada, _ = site.sign_in_with_link("ada")
    page = site.request("GET", "/rooms?q=king", ada)[1]
    assert "kings@conference.cam.example" in page and "trinity@" not in page
    page = site.request("GET", "/directory?q=quent", ada)[1]
    assert "Sam Quentin" in page and 'href="/directory/spqr1"' in page
    assert "spqr1@cam.example" in site.request("GET", "/directory/spqr1", ada)[1]
    assert "admin.sign_in" in site.request("GET", "/audit", ada)[1]

    psql(site.uri, "INSERT INTO directory_sync_runs (kind, started_at, finished_at, status,"
                   " people_seen, error) VALUES ('full', now(), now(), 'failed', 12,"
                   " 'ldaps://lookup: <timeout>');"
                   "INSERT INTO directory_opt_outs (uid, note) VALUES ('xyz9', 'asked by mail')")
    page = site.request("GET", "/directory/sync", rita)[1]
    assert "lookup: &lt;timeout&gt;" in page and "xyz9" in page and "asked by mail" in page


def test_keyset_paging_walks_every_room(site):
    values = ",".join(f"('r{i:04d}@conference.cam.example', '{{}}'::jsonb, 's', now())"
                      for i in range(120))
    psql(site.uri, f"INSERT INTO rooms (jid, config, occupant_id_secret, created_at) VALUES {values}")
    _, _, ada, _ = site.sign_in_with_link("ada")
    seen, path = [], "/rooms"
    while path:
        page = site.request("GET", path, ada)[1]
        seen += re.findall(r'<a href="/rooms/[^"]+">(r\d{4}@conference\.cam\.example)</a>', page)
        nxt = re.search(r'<a href="(/rooms\?q=[^"]*after=[^"]+)">Next page</a>', page)
        path = nxt[1].replace("&amp;", "&") if nxt else None
    assert seen == [f"r{i:04d}@conference.cam.example" for i in range(120)]


def walk(site, cookie, path):
    seen = []
    while path:
        page = site.request("GET", path, cookie)[1]
        seen += re.findall(r'<a href="/rooms/[^"]+">(r\d{4})@conference\.cam\.example</a>', page)
        nxt = re.search(r'<a href="(/rooms\?q=[^"]*)">Next page</a>', page)
        path = nxt[1].replace("&amp;", "&") if nxt else None
    return seen


def test_rooms_sort_by_name_and_by_last_message_and_page_through_all(site):
    # 120 rooms named in reverse of their address; rooms 0..79 have messages, room i's
    # newest i minutes old (so r0000 is the most recent), the rest have none.
    values = ",".join(f"('r{i:04d}@conference.cam.example',"
                      f" jsonb_build_object('name', 'Room {199 - i:03d}'), 's', now())"
                      for i in range(120))
    psql(site.uri, f"INSERT INTO rooms (jid, config, occupant_id_secret, created_at) VALUES {values}")
    events = ("INSERT INTO room_events (event_id, room, occurred_at, kind) SELECT"
              " 'e' || i || '-' || k, 'r' || lpad(i::text, 4, '0') || '@conference.cam.example',"
              " now() - (i || ' minutes')::interval - (k || ' hours')::interval, 'groupchat'"
              " FROM generate_series(0, 79) i, generate_series(0, 2) k")
    psql(site.uri, events)
    # Written here by hand, not by the log writer, which adds the figures the pages read as
    # it inserts (tests/integration/test_event_log.py): an operator recounts them.
    psql(site.uri, "SELECT room_traffic_rebuild()")
    _, _, ada, _ = site.sign_in_with_link("ada")
    by_name = walk(site, ada, "/rooms?sort=name")
    assert by_name == [f"r{i:04d}" for i in reversed(range(120))]
    by_activity = walk(site, ada, "/rooms?sort=activity")
    assert by_activity == [f"r{i:04d}" for i in range(120)]
    # The dashboard's messages per hour: 80 rooms x 3 messages, an hour apart each.
    page = site.request("GET", "/", ada)[1]
    assert "Room messages in the last 24 hours (240 in all)" in page, page
    hours = psql(site.uri, "SELECT sum(messages) FROM room_message_hours")
    assert hours == "240"


def test_with_the_directory_service_the_search_uses_its_people_index(pg, request):
    def people(uri):
        psql(uri, "INSERT INTO directory_people (uid, jid, display_name, sn, given_name, mail,"
                  " institutions, name_folded, mail_folded) VALUES"
                  " ('spqr1', 'spqr1@cam.example', 'Sam Quentin', 'Quentin', 'Sam',"
                  "  'spqr1@cam.ac.uk', '{TRIN}', 'sam quentin', 'spqr1@cam.ac.uk'),"
                  " ('xyz9', 'xyz9@cam.example', 'Quentin <i>Blake</i>', 'Blake', 'Quentin',"
                  "  'qb@cam.ac.uk', '{KINGS}', 'quentin blake', 'qb@cam.ac.uk')")
    s = Site(pg, run_dir("admin-web-index"), TestWls(), with_directory=True, before_start=people)
    try:
        assert s.cli("admin", "grant", "ada", "admin").returncode == 0
        _, _, ada, _ = s.sign_in_with_link("ada")

        def found():
            page = s.request("GET", "/directory?q=quentin", ada)[1]
            return "Sam Quentin" in page and page

        page = wait_until(found, 15, what="the directory page to find Sam Quentin")
        assert "Quentin &lt;i&gt;Blake&lt;&#x2F;i&gt;" in page
        assert "xyz9@cam.example" in page and "KINGS" in page
        # A CRSid finds its person too, and a mail address searches mail.
        assert "Sam Quentin" in s.request("GET", "/directory?q=spqr1", ada)[1]
        assert "xyz9@cam.example" in s.request("GET", "/directory?q=qb%40cam", ada)[1]
        # The index, not PostgreSQL, answered: a row written behind the sync's back (the data
        # version unchanged) is not in it until the next reload.
        psql(s.uri, "INSERT INTO directory_people (uid, jid, display_name, name_folded) VALUES"
                    " ('zed1', 'zed1@cam.example', 'Quentin Zed', 'quentin zed')")
        assert "Quentin Zed" not in s.request("GET", "/directory?q=quentin", ada)[1]
    finally:
        s.stop()


def test_an_opt_out_typed_in_capitals_is_stored_and_audited_as_the_crsid(site):
    _, _, ada, _ = site.sign_in_with_link("ada")
    csrf = csrf_of(site.request("GET", "/directory/sync", ada)[1])
    status, _, r = site.request("POST", "/directory/opt-outs", ada,
                                body="uid=+XYZ7+&note=ticket+9&change=out&csrf=" + csrf)
    assert status == 303 and r.getheader("Location") == "/directory/sync?done=opted-out&uid=xyz7"
    assert psql(site.uri, "SELECT uid FROM directory_opt_outs") == "xyz7"
    # One person's trail reads the same however their CRSid was typed.
    assert psql(site.uri, "SELECT object || '|' || (detail->>'typed') || '|' FROM audit"
                          " WHERE action = 'directory.opt_out'") == "xyz7| XYZ7 |"
