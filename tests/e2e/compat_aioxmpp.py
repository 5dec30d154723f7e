"""The aioxmpp stack: rooms through its MUC service (aioxmpp.muc.MUCClient and Room: join
with History, ConfigurationForm.render_reply, set_nick, set_topic, muc_set_role,
set_affiliation, get_affiliated, invite, muc_request_voice, Room.leave — which leaves by
the bare room JID), disco through aioxmpp.DiscoClient, ping through aioxmpp.ping. It logs
in with STARTTLS (certificates not verified: the test servers' are self-signed).

What aioxmpp 0.13 has no API for, or cannot parse, is listed in NOT_OFFERED; XEP-0055
search is declared as an IQ payload XSO, aioxmpp's way of adding a protocol. Received
stanzas are recorded from its inbound filters, serialised back to XML (aioxmpp.misc knows
XEP-0359; an XSO below teaches it XEP-0421 so occupant-ids survive parsing)."""
from __future__ import annotations

import asyncio
import logging
import xml.etree.ElementTree as ET
from typing import Optional

from compat_support import (DIRECTORY_DOMAIN, MAM, OCCUPANT_ID, SEARCH, BaseClient,
                            StanzaError, child, is_presence, statuses, text_of)

logging.getLogger("aioxmpp").setLevel(logging.CRITICAL)

BY_STANZA = {
    "roles + affiliation lists": "no role-list call; an IQ with aioxmpp's own AdminQuery XSO",
    "leave (occupant JID)": "Room.leave() uses the bare room JID; a Presence to the "
                            "occupant JID",
    "leave (error presence)": "a Presence of type error built with aioxmpp's classes",
    "directory (legacy fields)": "no XEP-0055 API in aioxmpp 0.13; an IQ whose payload is "
                                 "an XSO declared with aioxmpp.xso",
    "directory (RSM paging)": "no XEP-0055 API; the same XSO carrying aioxmpp.rsm's "
                              "ResultSetMetadata",
    "registration": "aioxmpp.ibr registers accounts with a server before login; its Query "
                    "XSO, given a data-form child, carries the room's muc#register form",
    "moderated retraction": "no XEP-0424/0425 API in aioxmpp 0.13; the :1 request and the "
                            "room's retraction declared as XSOs",
    "MAM + RSM paging": "no XEP-0313 API in aioxmpp 0.13; query, result and fin declared "
                        "as XSOs, with aioxmpp.misc.Forwarded and aioxmpp.rsm",
}

NOT_OFFERED = {
    "directory (data form)": "aioxmpp 0.13's forms.Data refuses a result form with the "
                             "FORM_TYPE field beside `<reported/>` (as XEP-0055's own "
                             "example sends it): 'field in report result'",
}

_XSOS_REGISTERED = False
SEARCH_QUERY = None
MAM_QUERY = None
MODERATE_IQ = None
MODERATE = "urn:xmpp:message-moderate:1"
RETRACT = "urn:xmpp:message-retract:1"


def _register_xsos():
    global _XSOS_REGISTERED
    if _XSOS_REGISTERED:
        return
    import aioxmpp
    import aioxmpp.xso as xso

    class OccupantId(xso.XSO):
        TAG = (OCCUPANT_ID, "occupant-id")
        id_ = xso.Attr("id")

    import aioxmpp.misc  # noqa: F401 - registers XEP-0359 stanza-id on Message
    aioxmpp.Message.compat_occupant_id = xso.Child([OccupantId])
    aioxmpp.Presence.compat_occupant_id = xso.Child([OccupantId])

    # XEP-0055 as aioxmpp's framework declares a protocol: a payload class for the IQ.
    import aioxmpp.forms
    import aioxmpp.rsm.xso

    class SearchItem(xso.XSO):
        TAG = (SEARCH, "item")
        UNKNOWN_CHILD_POLICY = xso.UnknownChildPolicy.DROP
        jid = xso.Attr("jid")

    @aioxmpp.IQ.as_payload_class
    class SearchQuery(xso.XSO):
        TAG = (SEARCH, "query")
        UNKNOWN_CHILD_POLICY = xso.UnknownChildPolicy.DROP
        first = xso.ChildText((SEARCH, "first"), default=None)
        last = xso.ChildText((SEARCH, "last"), default=None)
        items = xso.ChildList([SearchItem])
        data = xso.Child([aioxmpp.forms.Data])
        rsm = xso.Child([aioxmpp.rsm.xso.ResultSetMetadata])

    # XEP-0313 the same way: the query and <fin/> as IQ payloads, <result/> on Message.
    import aioxmpp.misc

    @aioxmpp.IQ.as_payload_class
    class MamQuery(xso.XSO):
        TAG = (MAM, "query")
        UNKNOWN_CHILD_POLICY = xso.UnknownChildPolicy.DROP
        queryid = xso.Attr("queryid", default=None)
        rsm = xso.Child([aioxmpp.rsm.xso.ResultSetMetadata])

    @aioxmpp.IQ.as_payload_class
    class MamFin(xso.XSO):
        TAG = (MAM, "fin")
        UNKNOWN_CHILD_POLICY = xso.UnknownChildPolicy.DROP
        complete = xso.Attr("complete", type_=xso.Bool(), default=False)
        rsm = xso.Child([aioxmpp.rsm.xso.ResultSetMetadata])

    class MamResult(xso.XSO):
        TAG = (MAM, "result")
        queryid = xso.Attr("queryid", default=None)
        id_ = xso.Attr("id")
        forwarded = xso.Child([aioxmpp.misc.Forwarded])

    aioxmpp.Message.compat_mam_result = xso.Child([MamResult])

    # XEP-0077 with a room: aioxmpp.ibr's Query, taught to carry a data form.
    import aioxmpp.ibr
    aioxmpp.ibr.Query.compat_data = xso.Child([aioxmpp.forms.Data])

    # XEP-0425 (:1) request, and the XEP-0424 retraction the room sends everyone.
    @aioxmpp.IQ.as_payload_class
    class Moderate(xso.XSO):
        TAG = (MODERATE, "moderate")
        id_ = xso.Attr("id")
        retract = xso.ChildFlag((RETRACT, "retract"))
        reason = xso.ChildText((MODERATE, "reason"), default=None)

    class Moderated(xso.XSO):
        TAG = (MODERATE, "moderated")
        UNKNOWN_CHILD_POLICY = xso.UnknownChildPolicy.DROP
        by = xso.Attr("by", default=None)

    class Retract(xso.XSO):
        TAG = (RETRACT, "retract")
        UNKNOWN_CHILD_POLICY = xso.UnknownChildPolicy.DROP
        id_ = xso.Attr("id", default=None)
        moderated = xso.Child([Moderated])

    aioxmpp.Message.compat_retract = xso.Child([Retract])

    global SEARCH_QUERY, MAM_QUERY, MODERATE_IQ
    MODERATE_IQ = Moderate
    SEARCH_QUERY = SearchQuery
    MAM_QUERY = MamQuery
    _XSOS_REGISTERED = True


def _to_et(stanza) -> ET.Element:
    import aioxmpp.xml
    return ET.fromstring(aioxmpp.xml.serialize_single_xso(stanza))


def _condition(e) -> str:
    cond = getattr(e, "condition", None)
    value = getattr(cond, "value", cond)
    return value[1] if isinstance(value, tuple) else str(value)


class Client(BaseClient):
    stack = "aioxmpp"

    def __init__(self, name: str, port: int, resource: str):
        super().__init__(name, port, resource)
        import aioxmpp
        import aioxmpp.connector
        _register_xsos()
        self.client = aioxmpp.PresenceManagedClient(
            aioxmpp.JID.fromstr(self.jid),
            aioxmpp.make_security_layer(self.password, no_verify=True),
            override_peer=[("127.0.0.1", port, aioxmpp.connector.STARTTLSConnector())],
            logger=logging.getLogger("aioxmpp.compat"))
        self.muc = self.client.summon(aioxmpp.MUCClient)
        self.disco = self.client.summon(aioxmpp.DiscoClient)
        self.rooms = {}

    async def connect(self):
        stream = self.client.stream

        def record(stanza):
            self._received(_to_et(stanza))
            return stanza
        stream.app_inbound_message_filter.register(record, 0)
        stream.app_inbound_presence_filter.register(record, 0)
        # A PresenceManagedClient connects when its presence becomes available (its
        # connected() context manager is deprecated for that in 0.13).
        import aioxmpp
        established = self.client.on_stream_established.future()
        failed = self.client.on_failure.future()
        self.client.presence = aioxmpp.PresenceState(True)
        done, _ = await asyncio.wait([established, failed], timeout=15,
                                     return_when=asyncio.FIRST_COMPLETED)
        if established not in done:
            why = failed.exception() if failed.done() else "no stream within 15 s"
            raise AssertionError(f"aioxmpp login failed: {why}")

    async def close(self):
        if self.client.running:
            self.client.stop()
            stopped = self.client.on_stopped.future()
            await asyncio.wait_for(stopped, 5)

    async def disconnect(self):
        await self.close()

    def _j(self, s: str):
        import aioxmpp
        return aioxmpp.JID.fromstr(s)

    async def _send(self, coro):
        import aioxmpp.errors
        try:
            return await asyncio.wait_for(coro, 6)
        except aioxmpp.errors.XMPPError as e:
            raise StanzaError(_condition(e), str(e)) from None

    async def disco_info(self, jid):
        info = await self._send(self.disco.query_info(self._j(jid), require_fresh=True))
        return _to_et(info)

    async def disco_items(self, jid):
        items = await self._send(self.disco.query_items(self._j(jid), require_fresh=True))
        return [str(i.jid) for i in items.items]

    async def join(self, room, nick, history=None, password=None):
        import aioxmpp.errors
        import aioxmpp.muc
        h = None
        if history is not None:
            h = aioxmpp.muc.xso.History(**history)
        r, fut = self.muc.join(self._j(room), nick, history=h, password=password,
                               autorejoin=False)
        try:
            await asyncio.wait_for(fut, 6)
        except aioxmpp.errors.XMPPError as e:
            raise StanzaError(_condition(e), str(e)) from None
        self.rooms[room] = r
        return await self.expect(lambda s: is_presence(s, f"{room}/{nick}") and
                                 110 in statuses(s), "its self-presence")

    async def create_instant(self, room, nick):
        me = await self.join(room, nick)
        await self.configure(room, {})
        return me

    async def configure(self, room, values):
        import aioxmpp.muc
        form = aioxmpp.muc.ConfigurationForm.from_xso(
            await self._send(self.muc.get_room_config(self._j(room))))
        for var, value in values.items():
            getattr(form, var.split("_", 1)[1]).value = value
        await self._send(self.muc.set_room_config(self._j(room), form.render_reply()))

    async def say(self, room, text):
        import aioxmpp
        msg = aioxmpp.Message(type_=aioxmpp.MessageType.GROUPCHAT)
        msg.body[None] = text
        await self.rooms[room].send_message(msg)

    async def pm(self, room, nick, text):
        import aioxmpp
        msg = aioxmpp.Message(type_=aioxmpp.MessageType.CHAT, to=self._j(f"{room}/{nick}"))
        msg.body[None] = text
        await self.client.send(msg)

    async def change_nick(self, room, old, new):
        await self._send(self.rooms[room].set_nick(new))

    async def set_subject(self, room, subject):
        await self.rooms[room].set_topic({None: subject})

    async def kick(self, room, nick, reason):
        await self._send(self.rooms[room].muc_set_role(nick, "none", reason=reason))

    async def set_role(self, room, nick, role):
        await self._send(self.rooms[room].muc_set_role(nick, role))

    async def set_affiliation(self, room, jid, affiliation, reason=""):
        await self._send(self.muc.set_affiliation(self._j(room), self._j(jid), affiliation,
                                                  reason=reason or None))

    async def affiliation_list(self, room, affiliation):
        return [str(j) for j in await self._send(self.muc.get_affiliated(self._j(room),
                                                                         affiliation))]

    async def role_list(self, room, role):
        # No role-list call in the service; its own admin XSOs make the request.
        import aioxmpp
        from aioxmpp.muc import xso as muc_xso
        req = aioxmpp.IQ(type_=aioxmpp.IQType.GET, to=self._j(room))
        req.payload = muc_xso.AdminQuery(items=[muc_xso.AdminItem(role=role)])
        resp = await self._send(self.client.send(req))
        return [i.nick for i in resp.items]

    async def leave(self, room, nick):
        # Room.leave() uses the bare room JID; leaving by the occupant JID, as most
        # clients do, goes through the client's presence API.
        import aioxmpp
        exited = self.rooms[room].on_exit.future()
        await self.client.send(aioxmpp.Presence(type_=aioxmpp.PresenceType.UNAVAILABLE,
                                                to=self._j(f"{room}/{nick}")))
        # The Room sees its self-presence go and forgets the room, so a later join is new.
        await asyncio.wait_for(exited, 6)

    async def leave_bare(self, room):
        # aioxmpp's own leave: unavailable to the bare room JID, then waits for the room.
        await asyncio.wait_for(self.rooms[room].leave(), 6)

    async def error_presence(self, room, nick):
        import aioxmpp
        p = aioxmpp.Presence(type_=aioxmpp.PresenceType.ERROR, to=self._j(f"{room}/{nick}"))
        p.error = aioxmpp.stanza.Error(condition=aioxmpp.ErrorCondition.SERVICE_UNAVAILABLE,
                                       type_=aioxmpp.ErrorType.CANCEL)
        await self.client.send(p)

    async def invite_mediated(self, room, jid, reason):
        import aioxmpp.im
        await self.rooms[room].invite(self._j(jid), reason,
                                      mode=aioxmpp.im.InviteMode.MEDIATED)

    async def invite_direct(self, room, jid, reason):
        import aioxmpp.im
        await self.rooms[room].invite(self._j(jid), reason, mode=aioxmpp.im.InviteMode.DIRECT)

    async def request_voice(self, room):
        await self.rooms[room].muc_request_voice()

    async def self_ping(self, room, nick) -> Optional[str]:
        import aioxmpp.errors
        import aioxmpp.ping
        try:
            await asyncio.wait_for(aioxmpp.ping.ping(self.client, self._j(f"{room}/{nick}")), 6)
            return None
        except aioxmpp.errors.XMPPError as e:
            return _condition(e)




    # --------------------------------------------------------------- registration, moderation

    async def register(self, room, nick):
        import aioxmpp
        import aioxmpp.forms
        import aioxmpp.ibr
        offered = await self._send(self.client.send(aioxmpp.IQ(
            type_=aioxmpp.IQType.GET, to=self._j(room), payload=aioxmpp.ibr.Query())))
        submit = aioxmpp.forms.Data(aioxmpp.forms.DataType.SUBMIT)
        for f in offered.compat_data.fields:
            if f.var == "FORM_TYPE":
                submit.fields.append(aioxmpp.forms.Field(
                    var="FORM_TYPE", type_=aioxmpp.forms.FieldType.HIDDEN, values=f.values))
        submit.fields.append(aioxmpp.forms.Field(var="muc#register_roomnick", values=[nick]))
        q = aioxmpp.ibr.Query()
        q.compat_data = submit
        await self._send(self.client.send(aioxmpp.IQ(type_=aioxmpp.IQType.SET,
                                                     to=self._j(room), payload=q)))

    async def retract(self, room, stanza_id, reason):
        import aioxmpp
        m = MODERATE_IQ()
        m.id_, m.retract, m.reason = stanza_id, True, reason
        await self._send(self.client.send(aioxmpp.IQ(type_=aioxmpp.IQType.SET,
                                                     to=self._j(room), payload=m)))

    # --------------------------------------------------------------- archive (XEP-0313)

    async def mam_page(self, room, max_, after):
        import uuid

        import aioxmpp
        import aioxmpp.rsm.xso
        q = MAM_QUERY()
        q.queryid = uuid.uuid4().hex[:10]
        q.rsm = aioxmpp.rsm.xso.ResultSetMetadata()
        q.rsm.max_ = max_
        if after:
            q.rsm.after = aioxmpp.rsm.xso.After()
            q.rsm.after.value = after
        fin = await self._send(self.client.send(
            aioxmpp.IQ(type_=aioxmpp.IQType.SET, to=self._j(room), payload=q)))
        # The results came before the iq's answer, through the inbound message filter.
        page = []
        for m in self.take_all(lambda s: (r := child(s, MAM, "result")) is not None and
                               r.get("queryid") == q.queryid):
            r = child(m, MAM, "result")
            inner = [e for e in r.iter() if e.tag.endswith("}message")][0]
            page.append((r.get("id"), text_of(inner, "body")))
        return page, fin.rsm.last.value if fin.rsm and fin.rsm.last else None, fin.complete

    # --------------------------------------------------------------- directory (XEP-0055)

    async def _search(self, query):
        import aioxmpp
        iq = aioxmpp.IQ(type_=aioxmpp.IQType.SET, to=self._j(DIRECTORY_DOMAIN), payload=query)
        return await self._send(self.client.send(iq))

    async def search_legacy(self, fields, rsm=None):
        import aioxmpp.rsm.xso
        q = SEARCH_QUERY()
        q.first, q.last = fields.get("first"), fields.get("last")
        if rsm:
            q.rsm = aioxmpp.rsm.xso.ResultSetMetadata()
            q.rsm.max_ = int(rsm["max"])
            if "after" in rsm:
                q.rsm.after = aioxmpp.rsm.xso.After()
                q.rsm.after.value = rsm["after"]
        reply = await self._search(q)
        jids = [i.jid for i in reply.items]
        if reply.rsm is None:
            return jids, None
        return jids, {"count": reply.rsm.count, "last": reply.rsm.last.value}


def version() -> str:
    import aioxmpp
    return aioxmpp.__version__
