"""Room changes from the admin web reach occupants at once: a service admin signed
in to the admin web edits a room's configuration, kicks, bans and destroys, and slixmpp
clients in the room through Prosody see each change exactly as if an owner had made it over
XMPP. Every change is audited with the signed-in user as the actor."""
from __future__ import annotations

import asyncio
import http.client
import re
import subprocess
from urllib.parse import urlencode, urlsplit

import pytest

from rooms_support import (CLIENT, MUC_DOMAIN, MUC_USER, XMPP_DOMAIN, Servers, StanzaError, User,
                           commonroom_bin, psql, q, run, statuses)
from pg_support import psql_eventually  # noqa: E402

ROOM = f"jcr@{MUC_DOMAIN}"


@pytest.fixture(scope="module")
def servers():
    s = Servers("admin-web-rooms-e2e",
                extra={"policy": {"persistent_creators": f"alice@{XMPP_DOMAIN}"}}).start()
    yield s
    s.stop()


class Web:
    """The admin web as one signed-in browser would use it (cookie + CSRF token)."""

    def __init__(self, servers, user="ops"):
        self.port = servers.commonroom.config.admin_port
        cli = [str(commonroom_bin()), "--config", str(servers.commonroom.config_path), "admin"]
        subprocess.run(cli + ["grant", user, "admin"], check=True, capture_output=True, timeout=30)
        link = urlsplit(subprocess.run(cli + ["login-link", user], check=True, capture_output=True,
                                       text=True, timeout=30).stdout.strip())
        status, _, headers = self.request("GET", link.path + "?" + link.query)
        assert status == 200
        self.cookie = headers["Set-Cookie"].split(";")[0]
        self.csrf = None

    def request(self, method, path, form=None, cookie=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        return r.status, text, dict(r.getheaders())

    def get(self, path):
        status, text, _ = self.request("GET", path, cookie=self.cookie)
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', text)
        if m:
            self.csrf = m[1]
        return status, text

    def post(self, path, **form):
        form.setdefault("csrf", self.csrf)
        return self.request("POST", path, form=form, cookie=self.cookie)

    async def aget(self, path):
        return await asyncio.to_thread(self.get, path)

    async def apost(self, path, **form):
        return await asyncio.to_thread(self.post, path, **form)


def test_admin_web_changes_reach_occupants_at_once(servers):
    web = Web(servers)
    # A principal with an '@' (as a single sign-on proxy may send) still acts as one JID.
    jo = Web(servers, "jo@cam.ac.uk")

    async def body_():
        alice = await User("alice", servers.prosody.c2s_port).connect()
        bob = await User("bob", servers.prosody.c2s_port).connect()
        carol = await User("carol", servers.prosody.c2s_port).connect()
        await alice.create(ROOM, "alice", {"muc#roomconfig_persistentroom": "1",
                                           "muc#roomconfig_roomname": "JCR"})
        await bob.join(ROOM, "bob<script>")

        # The room page shows who is in the room now, with their real JIDs.
        status, page = await web.aget(f"/rooms/{ROOM}")
        assert status == 200, page
        assert f"alice@{XMPP_DOMAIN}" in page and f"bob@{XMPP_DOMAIN}" in page
        assert "bob&lt;script&gt;" in page and "<script>" not in page

        # The dashboard counts what is open now; the policy page shows the effective rules.
        status, page = await web.aget("/")
        assert "Now: 1 open room(s) (0 temporary), 2 occupant(s)." in page
        status, page = await web.aget("/policy")
        assert status == 200 and f"alice@{XMPP_DOMAIN}" in page

        # Without the session's CSRF token nothing changes.
        status, _, _ = await asyncio.to_thread(
            web.request, "POST", f"/rooms/{ROOM}/configure", {"muc#roomconfig_roomname": "Hacked"},
            web.cookie)
        assert status == 403

        # A configuration change: occupants get the status 104 notice.
        status, _, headers = await web.apost(f"/rooms/{ROOM}/configure",
                                             **{"muc#roomconfig_roomname": "Junior Common Room",
                                                "muc#roomconfig_membersonly": "0",
                                                "muc#roomconfig_publicroom": "1",
                                                "muc#roomconfig_moderatedroom": "0"})
        assert status == 303 and headers["Location"].endswith("?done=configure")
        notice = await bob.expect(lambda s: s.tag == q(CLIENT, "message") and
                                  s.get("from") == ROOM and 104 in statuses(s),
                                  "the configuration change notice", timeout=5)
        assert notice is not None
        status, page = await web.aget(f"/rooms/{ROOM}?done=configure")
        assert "The configuration is saved;" in page and "Junior Common Room" in page

        # A ban: carol may no longer enter.
        await jo.aget(f"/rooms/{ROOM}")
        status, _, _ = await jo.apost(f"/rooms/{ROOM}/affiliation", jid=f"carol@{XMPP_DOMAIN}",
                                       affiliation="outcast", reason="spam")
        assert status == 303
        with pytest.raises(StanzaError):
            await carol.join(ROOM, "carol")

        # A kick: bob is removed with 307 and the reason.
        status, _, _ = await web.apost(f"/rooms/{ROOM}/kick", nick="bob<script>",
                                       reason="calm down")
        assert status == 303
        gone = await bob.expect(lambda s: s.tag == q(CLIENT, "presence") and
                                s.get("type") == "unavailable" and 307 in statuses(s),
                                "the kick", timeout=5)
        reason = gone.find(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'item')}/{q(MUC_USER, 'reason')}")
        assert reason is not None and reason.text == "calm down"

        # A refused change says why (no such occupant).
        status, _, _ = await web.apost(f"/rooms/{ROOM}/kick", nick="nobody", reason="x")
        assert status == 409

        # Destroy: alice is told, with the reason, and the room is gone.
        status, _, headers = await web.apost(f"/rooms/{ROOM}/destroy", reason="closing for summer")
        assert status == 303 and "/rooms?destroyed=" in headers["Location"]
        destroyed = await alice.expect(lambda s: s.tag == q(CLIENT, "presence") and
                                       s.get("type") == "unavailable" and
                                       s.find(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'destroy')}")
                                       is not None, "the destruction", timeout=5)
        why = destroyed.find(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'destroy')}/{q(MUC_USER, 'reason')}")
        assert why is not None and why.text == "closing for summer"

    run(body_)
    status, _ = web.get(f"/rooms/{ROOM}")
    assert status == 404
    actions = psql(servers.db_uri, "SELECT actor || ' ' || action || ' ' || (detail->>'ok')"
                                   " FROM audit WHERE action LIKE 'room.%' ORDER BY id").splitlines()
    assert actions == ["ops room.configure true", "jo@cam.ac.uk room.affiliation true",
                       "ops room.kick true", "ops room.kick false", "ops room.destroy true"]
    # The room's own log names the admin web user as the actor of the destruction.
    actor = psql_eventually(servers.db_uri, f"SELECT actor_jid FROM room_events WHERE room = "
                            f"'{ROOM}' AND kind = 'room_destroyed'", lambda v: v != "")
    assert actor.startswith(f"ops@admin-web.{MUC_DOMAIN}")


def test_a_temporary_room_is_listed_and_can_be_destroyed(servers):
    web = Web(servers)
    popup = f"popup@{MUC_DOMAIN}"

    async def body_():
        dave = await User("dave", servers.prosody.c2s_port).connect()
        await dave.create(popup, "dave")
        status, page = await web.aget("/rooms")
        assert "Temporary rooms open now" in page and popup in page
        status, page = await web.aget(f"/rooms/{popup}")
        assert status == 200 and "A temporary room" in page and f"dave@{XMPP_DOMAIN}" in page
        status, _, _ = await web.apost(f"/rooms/{popup}/destroy", reason="spam room")
        assert status == 303
        await dave.expect(lambda s: s.tag == q(CLIENT, "presence") and
                          s.get("type") == "unavailable" and
                          s.find(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'destroy')}") is not None,
                          "the destruction", timeout=5)

    run(body_)
    status, _ = web.get(f"/rooms/{popup}")
    assert status == 404
