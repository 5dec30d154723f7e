"""The slixmpp stack (poezio's library): every flow through its plugins — xep_0045 for
rooms (join_muc_wait, get_room_config → form.reply() → set_room_config, as poezio does),
xep_0249, xep_0077, xep_0313 with xep_0059, xep_0199 (self-ping as poezio does it),
xep_0425 and xep_0055."""
from __future__ import annotations

import logging
from typing import Optional

from compat_support import DIRECTORY_DOMAIN, BaseClient, StanzaError, error_condition

logging.getLogger("slixmpp").setLevel(logging.ERROR)

PLUGINS = ("xep_0030", "xep_0004", "xep_0045", "xep_0059", "xep_0055", "xep_0077",
           "xep_0082", "xep_0199", "xep_0249", "xep_0313", "xep_0359", "xep_0421",
           "xep_0425")


def _error(e) -> StanzaError:
    return StanzaError(e.iq["error"]["condition"], str(e.iq))


class Client(BaseClient):
    stack = "slixmpp"

    def __init__(self, name: str, port: int, resource: str):
        super().__init__(name, port, resource)
        import slixmpp
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath
        self.x = slixmpp.ClientXMPP(self.jid, self.password)
        for p in PLUGINS:
            self.x.register_plugin(p)
        for kind in ("message", "presence"):
            self.x.register_handler(Callback(f"compat-{kind}",
                                             MatchXPath(f"{{jabber:client}}{kind}"),
                                             lambda st: self._received(st.xml)))

    async def connect(self):
        self.x.connect(("127.0.0.1", self.port), disable_starttls=True)
        await self.x.wait_until("session_start", timeout=15)
        self.x.send_presence()

    async def close(self):
        self.x.abort()

    async def disconnect(self):
        await self.x.disconnect(wait=2)

    async def _iq(self, coro):
        from slixmpp.exceptions import IqError
        try:
            return await coro
        except IqError as e:
            raise _error(e) from None

    async def disco_info(self, jid):
        r = await self._iq(self.x["xep_0030"].get_info(jid=jid, cached=False, timeout=5))
        return r["disco_info"].xml

    async def disco_items(self, jid):
        r = await self._iq(self.x["xep_0030"].get_items(jid=jid, timeout=5))
        return [str(i[0]) for i in r["disco_items"]["items"]]

    async def join(self, room, nick, history=None, password=None):
        from slixmpp.exceptions import PresenceError
        h = history or {}
        try:
            pres, _subject, _occupants, _history = await self.x["xep_0045"].join_muc_wait(
                room, nick, password=password, maxchars=h.get("maxchars"),
                maxstanzas=h.get("maxstanzas"), seconds=h.get("seconds"),
                since=h.get("since"), timeout=6)
        except PresenceError as e:
            raise StanzaError(error_condition(e.presence.xml), str(e.presence)) from None
        return pres.xml

    async def create_instant(self, room, nick):
        me = await self.join(room, nick)
        # An instant room (XEP-0045 10.1.2): an empty submit form accepts the defaults.
        from slixmpp.plugins.xep_0004 import Form
        await self._iq(self.x["xep_0045"].set_room_config(room, Form()))
        return me

    async def configure(self, room, values):
        # poezio's /configure: the room's form, answered in place, every field kept.
        form = await self._iq(self.x["xep_0045"].get_room_config(room))
        form.reply()
        for var, value in values.items():
            form.field[var]["value"] = value
        await self._iq(self.x["xep_0045"].set_room_config(room, form))

    async def say(self, room, text):
        self.x.send_message(mto=room, mbody=text, mtype="groupchat")

    async def pm(self, room, nick, text):
        self.x.send_message(mto=f"{room}/{nick}", mbody=text, mtype="chat")

    async def change_nick(self, room, old, new):
        self.x.send_presence(pto=f"{room}/{new}")

    async def set_subject(self, room, subject):
        self.x["xep_0045"].set_subject(room, subject)

    async def kick(self, room, nick, reason):
        await self._iq(self.x["xep_0045"].set_role(room, nick, "none", reason=reason))

    async def set_role(self, room, nick, role):
        await self._iq(self.x["xep_0045"].set_role(room, nick, role))

    async def set_affiliation(self, room, jid, affiliation, reason=""):
        await self._iq(self.x["xep_0045"].set_affiliation(room, affiliation, jid=jid,
                                                          reason=reason))

    async def affiliation_list(self, room, affiliation):
        return [str(j) for j in await self._iq(
            self.x["xep_0045"].get_affiliation_list(room, affiliation))]

    async def role_list(self, room, role):
        return await self._iq(self.x["xep_0045"].get_roles_list(room, role))

    async def leave(self, room, nick):
        self.x["xep_0045"].leave_muc(room, nick)

    async def leave_bare(self, room):
        # The plugin always leaves by the occupant JID; this is aioxmpp's way, sent by hand.
        self.x.send_presence(pto=room, ptype="unavailable")

    async def error_presence(self, room, nick):
        p = self.x.make_presence(pto=f"{room}/{nick}", ptype="error")
        p["error"]["type"] = "cancel"
        p["error"]["condition"] = "service-unavailable"
        p.send()

    async def invite_mediated(self, room, jid, reason):
        self.x["xep_0045"].invite(room, jid, reason)

    async def invite_direct(self, room, jid, reason):
        self.x["xep_0249"].send_invitation(jid, room, reason=reason)

    async def request_voice(self, room):
        self.x["xep_0045"].request_voice(room, "participant")

    async def register(self, room, nick):
        iq = await self._iq(self.x["xep_0077"].get_registration(jid=room, timeout=5))
        form = iq["register"]["form"]
        form.reply()
        form.field["muc#register_roomnick"]["value"] = nick
        set_iq = self.x.make_iq_set(ito=room)
        set_iq["register"].append(form)
        await self._iq(set_iq.send(timeout=5))

    async def mam_page(self, room, max_, after):
        rsm = {"max": max_}
        if after:
            rsm["after"] = after
        result = await self._iq(self.x["xep_0313"].retrieve(jid=room, rsm=rsm, timeout=5))
        page = [(m["mam_result"]["id"], m["mam_result"]["forwarded"]["stanza"]["body"])
                for m in result["mam"]["results"]]
        fin = result["mam_fin"]
        return page, fin["rsm"]["last"], fin.xml.get("complete") in ("true", "1")

    async def self_ping(self, room, nick) -> Optional[str]:
        from slixmpp.exceptions import IqError
        try:
            await self.x["xep_0199"].send_ping(f"{room}/{nick}", timeout=5)
            return None
        except IqError as e:
            return e.iq["error"]["condition"]

    async def search_legacy(self, fields, rsm=None):
        from slixmpp.plugins.xep_0055.stanza import Search
        from slixmpp.plugins.xep_0059.stanza import Set
        from slixmpp.xmlstream import ET, register_stanza_plugin
        register_stanza_plugin(Search, Set)
        iq = self.x.make_iq_set(ito=DIRECTORY_DOMAIN)
        query = iq["search"]
        for name, value in fields.items():
            ET.SubElement(query.xml, f"{{jabber:iq:search}}{name}").text = value
        for k, v in (rsm or {}).items():
            query["rsm"][k] = v
        result = await self._iq(iq.send(timeout=10))
        jids = [i.get("jid") for i in result["search"].xml.findall("{jabber:iq:search}item")]
        if result["search"].xml.find("{http://jabber.org/protocol/rsm}set") is None:
            return jids, None
        s = result["search"]["rsm"]
        return jids, {"count": s["count"], "last": s["last"]}

    async def search_form(self, values):
        # The plugin's way (as the directory tests use it): make_search_iq brings the
        # submit form and its FORM_TYPE; the test fills in the fields.
        q = self.x["xep_0055"].make_search_iq(ito=DIRECTORY_DOMAIN)
        form = q["search"]["form"]
        form["type"] = "submit"
        for var, value in values.items():
            form.add_field(var, value=value)
        result = await self._iq(q.send(timeout=10))
        return [str(item["jid"]) for item in result["search"]["form"].get_items()]

    async def retract(self, room, stanza_id, reason):
        # slixmpp 1.8's own call (XEP-0425 0.2, in a fastening), as poezio sends it.
        from slixmpp import JID
        await self._iq(self.x["xep_0425"].moderate(JID(room), stanza_id, reason, timeout=5))


NOT_OFFERED: dict[str, str] = {}
# Flows where the driver builds (part of) the request with slixmpp's stanza classes.
BY_STANZA = {
    "leave (bare room JID)": "the xep_0045 plugin leaves by the occupant JID; "
                             "send_presence to the bare room JID",
    "leave (error presence)": "make_presence(ptype='error') with an error condition",
}


def version() -> str:
    import slixmpp
    return slixmpp.__version__
