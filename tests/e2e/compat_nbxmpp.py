"""The nbxmpp stack (Gajim's library, GLib main loop — not Python asyncio): rooms through
its MUC module (request_config → the form filled with nbxmpp's dataforms and submitted
as get_purged() → set_config, set_role, set_affiliation, get_affiliation, set_subject,
invite, request_voice), MAM (make_query with RSM), Ping, Discovery. nbxmpp has no join
call (Gajim builds its own presences), so joins, nick changes and leaves are presences
built with nbxmpp.Presence.

nbxmpp runs on its own thread's GLib main loop; every call into it is scheduled there
with GLib.idle_add, and its callbacks hand results to the test's asyncio loop, so the
flows wait on stanzas, never on timers."""
from __future__ import annotations

import asyncio
import logging
import threading
import xml.etree.ElementTree as ET
from typing import Optional

from compat_support import (DATA, DIRECTORY_DOMAIN, RSM, SEARCH, XMPP_DOMAIN, BaseClient,
                            StanzaError, child, children, is_presence, statuses)

logging.getLogger("nbxmpp").setLevel(logging.CRITICAL)

BY_STANZA = {
    "registration": "the Register module refuses the room's muc#register form; an Iq "
                    "with the form read and filled by nbxmpp's dataforms",
    "roles + affiliation lists": "no role-list call; an nbxmpp Iq",
    "leave (error presence)": "an nbxmpp Presence of type error",
    "directory (legacy fields)": "nbxmpp 4.2 has no XEP-0055 module; an nbxmpp Iq",
    "directory (data form)": "nbxmpp 4.2 has no XEP-0055 module; an nbxmpp Iq with the "
                             "form read and filled by nbxmpp's dataforms",
    "directory (RSM paging)": "nbxmpp 4.2 has no XEP-0055 module; an nbxmpp Iq",
}

NOT_OFFERED: dict[str, str] = {}

_glib_thread: Optional[threading.Thread] = None


def _ensure_glib() -> None:
    """One GLib main loop thread for the process: nbxmpp's sockets live there."""
    global _glib_thread
    if _glib_thread is not None and _glib_thread.is_alive():
        return
    from gi.repository import GLib
    loop = GLib.MainLoop()
    _glib_thread = threading.Thread(target=loop.run, name="glib-nbxmpp", daemon=True)
    _glib_thread.start()


def _condition(e) -> str:
    return getattr(e, "condition", None) or str(e)


class Client(BaseClient):
    stack = "nbxmpp"

    def __init__(self, name: str, port: int, resource: str):
        super().__init__(name, port, resource)
        _ensure_glib()
        self.c = None
        self._connected: Optional[asyncio.Future] = None
        self._gone: Optional[asyncio.Future] = None
        self.mam_results: list[tuple] = []

    # --------------------------------------------------------------- thread hand-over

    def _resolve(self, fut: asyncio.Future, value=None, error=None) -> None:
        def apply():
            if fut.done():
                return
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(value)
        self._loop.call_soon_threadsafe(apply)

    async def _glib(self, fn):
        """Runs fn() on the GLib thread; returns its value."""
        from gi.repository import GLib
        fut = self._loop.create_future()

        def run():
            try:
                self._resolve(fut, fn())
            except BaseException as e:  # noqa: BLE001 - handed to the awaiting test
                self._resolve(fut, error=e)
            return False
        GLib.idle_add(run)
        return await asyncio.wait_for(fut, 6)

    async def _task(self, start):
        """Starts an nbxmpp task on the GLib thread; returns task.finish() or raises
        StanzaError with the reply's condition."""
        from gi.repository import GLib
        fut = self._loop.create_future()

        def done(task):
            try:
                self._resolve(fut, task.finish())
            except Exception as e:  # noqa: BLE001
                self._resolve(fut, error=StanzaError(_condition(e), str(e)))

        def run():
            try:
                start().add_done_callback(done, weak=False)
            except BaseException as e:  # noqa: BLE001
                self._resolve(fut, error=e)
            return False
        GLib.idle_add(run)
        return await asyncio.wait_for(fut, 6)

    def _send(self, stanza) -> None:
        from gi.repository import GLib
        GLib.idle_add(lambda: (self.c.send_stanza(stanza), False)[1])

    async def _send_synced(self, stanza) -> None:
        await self._glib(lambda: self.c.send_stanza(stanza))

    # --------------------------------------------------------------- session

    async def connect(self):
        self._connected = self._loop.create_future()
        self._gone = self._loop.create_future()

        def build():
            from nbxmpp.const import ConnectionProtocol, ConnectionType
            from nbxmpp.structs import StanzaHandler
            from nbxmpp.client import Client as NbClient
            c = NbClient()
            c.set_domain(XMPP_DOMAIN)
            c.set_username(self.name)
            c.set_password(self.password)
            c.set_resource(self.jid.split("/", 1)[1])
            c.set_custom_host(f"127.0.0.1:{self.port}", ConnectionProtocol.TCP,
                              ConnectionType.START_TLS)
            c.set_connection_types([ConnectionType.START_TLS])
            c.set_ignore_tls_errors(True)
            c.set_sm_disabled(True)
            c.subscribe("connected", lambda *_: self._resolve(self._connected, True))
            c.subscribe("connection-failed", lambda *_: self._resolve(
                self._connected, error=AssertionError(f"nbxmpp login failed: {c.get_error()}")))
            c.subscribe("disconnected", lambda *_: self._resolve(self._gone, True))
            for kind in ("message", "presence"):
                c.register_handler(StanzaHandler(name=kind, callback=self._on_stanza,
                                                 priority=1))
            self.c = c
            c.connect()
        await self._glib(build)
        await asyncio.wait_for(self._connected, 15)
        import nbxmpp
        await self._send_synced(nbxmpp.Presence())

    def _on_stanza(self, _client, stanza, properties) -> None:
        mam = getattr(properties, "mam", None)
        if mam is not None:
            # nbxmpp hands handlers the archived message unwrapped, its result id and
            # query id in properties.mam.
            entry = (mam.query_id, mam.id, stanza.getBody())
            self._loop.call_soon_threadsafe(self.mam_results.append, entry)
            return
        el = ET.fromstring(str(stanza))
        self._loop.call_soon_threadsafe(self._received, el)

    async def close(self):
        if self.c is not None and not self._gone.done():
            await self._glib(lambda: self.c.disconnect())
            await asyncio.wait_for(self._gone, 5)

    async def disconnect(self):
        await self.close()

    # --------------------------------------------------------------- disco

    async def disco_info(self, jid):
        info = await self._task(lambda: self.c.get_module("Discovery").disco_info(jid))
        return ET.fromstring(str(info.stanza.getQuery()))

    async def disco_items(self, jid):
        items = await self._task(lambda: self.c.get_module("Discovery").disco_items(jid))
        return [str(i.jid) for i in items.items]

    # --------------------------------------------------------------- rooms

    async def join(self, room, nick, history=None, password=None):
        import nbxmpp
        from nbxmpp.namespaces import Namespace
        p = nbxmpp.Presence(to=f"{room}/{nick}")
        x = p.setTag("x", namespace=Namespace.MUC)
        if history is not None:
            attrs = {}
            for k, v in history.items():
                attrs[k] = v.strftime("%Y-%m-%dT%H:%M:%SZ") if k == "since" else str(v)
            x.setTag("history", attrs)
        if password is not None:
            x.setTagData("password", password)
        self._send(p)
        from compat_support import error_condition
        reply = await self.expect(lambda s: is_presence(s, f"{room}/{nick}") and
                                  (s.get("type") == "error" or 110 in statuses(s)),
                                  "its self-presence")
        if reply.get("type") == "error":
            raise StanzaError(error_condition(reply), ET.tostring(reply, encoding="unicode"))
        return reply

    async def create_instant(self, room, nick):
        me = await self.join(room, nick)
        await self.configure(room, {})
        return me

    async def configure(self, room, values):
        # request_config, fill in the nbxmpp form, submit it purged of empty fields.
        result = await self._task(lambda: self.c.get_module("MUC").request_config(room))
        form = result.form
        for var, value in values.items():
            form[var].value = value
        purged = form.get_purged()
        await self._task(lambda: self.c.get_module("MUC").set_config(room, purged))

    async def say(self, room, text):
        import nbxmpp
        self._send(nbxmpp.Message(to=room, body=text, typ="groupchat"))

    async def pm(self, room, nick, text):
        import nbxmpp
        from nbxmpp.namespaces import Namespace
        m = nbxmpp.Message(to=f"{room}/{nick}", body=text, typ="chat")
        m.setTag("x", namespace=Namespace.MUC_USER)  # XEP-0045 §7.5's marker of a MUC PM
        self._send(m)

    async def change_nick(self, room, old, new):
        import nbxmpp
        self._send(nbxmpp.Presence(to=f"{room}/{new}"))

    async def set_subject(self, room, subject):
        await self._glib(lambda: self.c.get_module("MUC").set_subject(room, subject))

    async def kick(self, room, nick, reason):
        await self._task(lambda: self.c.get_module("MUC").set_role(room, nick, "none", reason))

    async def set_role(self, room, nick, role):
        await self._task(lambda: self.c.get_module("MUC").set_role(room, nick, role))

    async def set_affiliation(self, room, jid, affiliation, reason=""):
        users = {jid: {"affiliation": affiliation, **({"reason": reason} if reason else {})}}
        await self._task(lambda: self.c.get_module("MUC").set_affiliation(room, users))

    async def affiliation_list(self, room, affiliation):
        r = await self._task(lambda: self.c.get_module("MUC").get_affiliation(room,
                                                                               affiliation))
        return [str(j) for j in r.users]

    async def role_list(self, room, role):
        # No role-list call in the MUC module: an Iq built with nbxmpp's protocol classes.
        import nbxmpp
        from nbxmpp.namespaces import Namespace
        iq = nbxmpp.Iq("get", Namespace.MUC_ADMIN, to=room)
        iq.getQuery().addChild("item", attrs={"role": role})
        reply = await self._iq(iq)
        return [i.get("nick") for i in reply.iter() if i.tag.endswith("}item")]

    async def _iq(self, iq) -> ET.Element:
        from gi.repository import GLib
        fut = self._loop.create_future()

        def on_reply(_client, stanza, *_):
            el = ET.fromstring(str(stanza))
            if el.get("type") == "error":
                from compat_support import error_condition
                self._resolve(fut, error=StanzaError(error_condition(el), str(stanza)))
            else:
                self._resolve(fut, el)

        GLib.idle_add(lambda: (self.c.send_stanza(iq, callback=on_reply), False)[1])
        return await asyncio.wait_for(fut, 6)

    async def leave(self, room, nick):
        import nbxmpp
        self._send(nbxmpp.Presence(to=f"{room}/{nick}", typ="unavailable"))

    async def leave_bare(self, room):
        import nbxmpp
        self._send(nbxmpp.Presence(to=room, typ="unavailable"))

    async def error_presence(self, room, nick):
        import nbxmpp
        from nbxmpp.protocol import ERR_SERVICE_UNAVAILABLE
        p = nbxmpp.Presence(to=f"{room}/{nick}", typ="error")
        p.setError(ERR_SERVICE_UNAVAILABLE)
        self._send(p)

    async def invite_mediated(self, room, jid, reason):
        from nbxmpp.const import InviteType
        await self._glib(lambda: self.c.get_module("MUC").invite(room, jid, None, reason,
                                                                 type_=InviteType.MEDIATED))

    async def invite_direct(self, room, jid, reason):
        from nbxmpp.const import InviteType
        await self._glib(lambda: self.c.get_module("MUC").invite(room, jid, None, reason,
                                                                 type_=InviteType.DIRECT))

    async def request_voice(self, room):
        await self._glib(lambda: self.c.get_module("MUC").request_voice(room))

    async def register(self, room, nick):
        # nbxmpp's Register module takes only FORM_TYPE jabber:iq:register forms and
        # refuses the room's muc#register form ("invalid register response"), so the
        # request is an Iq of nbxmpp's, the form read and filled with its dataforms.
        import nbxmpp
        from nbxmpp.modules.dataforms import extend_form
        from nbxmpp.namespaces import Namespace
        from nbxmpp.simplexml import NodeBuilder
        reply = await self._iq(nbxmpp.Iq("get", Namespace.REGISTER, to=room))
        x = [c for c in reply.iter() if c.tag == "{jabber:x:data}x"][0]
        form = extend_form(node=NodeBuilder(ET.tostring(x, encoding="unicode")).getDom())
        form["muc#register_roomnick"].value = nick
        form.type_ = "submit"
        iq = nbxmpp.Iq("set", Namespace.REGISTER, to=room)
        iq.getQuery().addChild(node=form.get_purged())
        await self._iq(iq)

    async def mam_page(self, room, max_, after):
        # Results arrive as messages before the iq's <fin/>; collect them by queryid.
        import uuid
        qid = uuid.uuid4().hex[:10]
        r = await self._task(lambda: self.c.get_module("MAM").make_query(
            room, queryid=qid, after=after, max_=max_))
        page = [(rid, body) for q, rid, body in self.mam_results if q == qid]
        return page, r.rsm.last, r.complete

    async def self_ping(self, room, nick) -> Optional[str]:
        try:
            await self._task(lambda: self.c.get_module("Ping").ping(f"{room}/{nick}"))
            return None
        except StanzaError as e:
            return e.condition

    async def retract(self, room, stanza_id, reason):
        # nbxmpp 4.2's own call (XEP-0425 0.2, in a fastening), as Gajim 1.7 sends it.
        from nbxmpp.protocol import JID
        await self._task(lambda: self.c.get_module("Moderation").send_retract_request(
            JID.from_string(room), stanza_id, reason))

    # --------------------------------------------------------------- directory (XEP-0055)

    async def search_legacy(self, fields, rsm=None):
        import nbxmpp
        from nbxmpp.namespaces import Namespace
        iq = nbxmpp.Iq("set", Namespace.SEARCH, to=DIRECTORY_DOMAIN)
        query = iq.getQuery()
        for name, value in fields.items():
            query.setTagData(name, value)
        if rsm:
            s = query.addChild("set", namespace=Namespace.RSM)
            for k, v in rsm.items():
                s.setTagData(k, v)
        reply = await self._iq(iq)
        q = child(reply, SEARCH, "query")
        jids = [i.get("jid") for i in children(q, SEARCH, "item")]
        s = child(q, RSM, "set")
        if s is None:
            return jids, None
        return jids, {"count": child(s, RSM, "count").text, "last": child(s, RSM, "last").text}

    async def search_form(self, values):
        import nbxmpp
        from nbxmpp.modules.dataforms import extend_form
        from nbxmpp.namespaces import Namespace
        from nbxmpp.simplexml import NodeBuilder
        offered = await self._iq(nbxmpp.Iq("get", Namespace.SEARCH, to=DIRECTORY_DOMAIN))
        x = child(child(offered, SEARCH, "query"), DATA, "x")
        form = extend_form(node=NodeBuilder(ET.tostring(x, encoding="unicode")).getDom())
        for var, value in values.items():
            form[var].value = value
        form.type_ = "submit"
        iq = nbxmpp.Iq("set", Namespace.SEARCH, to=DIRECTORY_DOMAIN)
        iq.getQuery().addChild(node=form.get_purged())
        reply = await self._iq(iq)
        result = child(child(reply, SEARCH, "query"), DATA, "x")
        jids = []
        for item in children(result, DATA, "item"):
            for f in children(item, DATA, "field"):
                if f.get("var") == "jid":
                    jids.append(child(f, DATA, "value").text)
        return jids


def version() -> str:
    import nbxmpp
    return nbxmpp.__version__
