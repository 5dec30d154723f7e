#!/usr/bin/python3
"""Directory search latency as a client sees it: commonroom through each host server against
ejabberd's own LDAP-backed search, same queries, same machine load.

Logs in to ejabberd (and, with --prosody-port, also to Prosody) and sends the same XEP-0055
form searches, round robin, to:
  - commonroom's directory through ejabberd (e.g. directory.cam.example), fields
    name/first/last/crsid/email;
  - ejabberd's own vCard search on LDAP (mod_vcard, db_type ldap; e.g. vjud.cam.example),
    fields displayName/givenName/sn/%u/mail (ejabberd's LDAP attribute names; ejabberd's
    form has no FORM_TYPE, and a submitted one would become an LDAP filter term);
  - commonroom's directory through Prosody. Prosody has no LDAP-backed search of its own,
    so its peer is ejabberd's figure from the same rounds.
Prints p50/p99 per query and target, items and reply bytes, the ratio peer/commonroom, and
the measuring client's own CPU per search beside them (it must not be the bottleneck).

Three clients:
  --client slixmpp (default): slixmpp parses every reply into stanza objects and reads the
      items with its xep_0004 plugin, as a bot or script would;
  --client raw: a minimal XMPP client on an asyncio socket that only finds the end of each
      reply;
  --client bare: the same on a blocking socket with no event loop, so the figures are the
      host's and the service's time with almost no client work (raw spends 0.4-0.8 ms).
--cpu name=PID,... also runs each target alone for --cpu-rounds rounds and prints the CPU
each of those processes (the hosts, commonroom, slapd) spent per search: where the time goes.

    /usr/bin/python3 bench/directory_search_client.py --port C2S --jid bench@cam.example \
        --password pw --commonroom directory.cam.example --peer vjud.cam.example \
        [--prosody-port C2S2] [--client raw] [--rounds R] [--json F]

Run by bench/directory_vs_ejabberd.sh; needs the system python (slixmpp).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

# (label, {commonroom field: value}); every query is one ejabberd can express.
QUERIES = [
    ("2 letters 'an'", {"name": "an"}),
    ("2 letters 'ar'", {"name": "ar"}),
    ("2 letters 'zh'", {"name": "zh"}),
    ("2 letters 'ow'", {"name": "ow"}),
    ("2 letters 'qu'", {"name": "qu"}),
    ("3 letters 'ann'", {"name": "ann"}),
    ("3 letters 'son'", {"name": "son"}),
    ("prefix 'bro'", {"name": "bro"}),
    ("surname 'smith'", {"name": "smith"}),
    ("surname 'garcia'", {"name": "garcia"}),
    ("given 'jose'", {"name": "jose"}),
    ("accented 'Søren'", {"name": "Søren"}),
    ("substring 'ezi' (long tail)", {"name": "ezi"}),
    ("first 'emma' last 'wilson'", {"first": "emma", "last": "wilson"}),
    ("last 'an'", {"last": "an"}),
    ("crsid 'ab1'", {"crsid": "ab1"}),
    ("email 'cam.ac'", {"email": "cam.ac"}),
    ("email 'alice.brown'", {"email": "alice.brown"}),
    ("miss 'qqxz'", {"name": "qqxz"}),
    ("long word 'richardson'", {"name": "richardson"}),
]
PEER_VARS = {"name": "displayName", "first": "givenName", "last": "sn", "crsid": "%u",
             "email": "mail"}
SEARCH = "jabber:iq:search"
DATA = "jabber:x:data"
RSM = "http://jabber.org/protocol/rsm"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def search_payload(fields: dict[str, str], form_type: bool, rsm_max: int | None) -> str:
    parts = [f"<query xmlns='{SEARCH}'><x xmlns='{DATA}' type='submit'>"]
    if form_type:
        parts.append(f"<field var='FORM_TYPE' type='hidden'><value>{SEARCH}</value></field>")
    for var, value in fields.items():
        parts.append(f"<field var={quoteattr(var)}><value>{escape(value)}</value></field>")
    parts.append("</x>")
    if rsm_max is not None:
        parts.append(f"<set xmlns='{RSM}'><max>{rsm_max}</max></set>")
    parts.append("</query>")
    return "".join(parts)


class RawClient:
    """Just enough XMPP to log in (SASL PLAIN, no TLS: loopback test servers) and time
    iq round trips; a reply is only searched for its end, never parsed."""

    def __init__(self, port: int, jid: str, password: str):
        self.port, self.jid, self.password = port, jid, password
        self.buf = b""
        self.n = 0

    async def _read_until(self, pattern: re.Pattern) -> re.Match:
        while True:
            m = pattern.search(self.buf)
            if m:
                return m
            chunk = await self.reader.read(1 << 16)
            if not chunk:
                raise ConnectionError(f"stream closed; last bytes {self.buf[-300:]!r}")
            self.buf += chunk

    async def _open_stream(self, domain: str):
        self.buf = b""
        self.writer.write(
            f"<?xml version='1.0'?><stream:stream to='{domain}' xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>".encode())
        await self._read_until(re.compile(rb"</stream:features>|<stream:features/>"))
        self.buf = b""

    async def _open_socket(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def connect(self):
        local, domain = self.jid.split("@")
        await self._open_socket()
        await self._open_stream(domain)
        token = base64.b64encode(f"\0{local}\0{self.password}".encode()).decode()
        self.writer.write(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                          f"{token}</auth>".encode())
        m = await self._read_until(re.compile(rb"<success[^>]*?(/>|>.*?</success>)|<failure",
                                              re.S))
        if m.group(0).startswith(b"<failure"):
            raise AssertionError(f"login as {self.jid} failed")
        await self._open_stream(domain)
        self.writer.write(b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:"
                          b"xmpp-bind'><resource>bench</resource></bind></iq>")
        await self._read_until(re.compile(rb"</iq>"))
        self.buf = b""

    async def search(self, to: str, payload: str, kind: str = "set"):
        self.n += 1
        rid = f"q{self.n}"
        end = re.compile(rb"<iq[^>]*\bid=['\"]" + rid.encode() + rb"['\"][^>]*>.*?</iq>", re.S)
        self.writer.write(f"<iq type='{kind}' id='{rid}' to='{to}'>{payload}</iq>".encode())
        m = await self._read_until(end)
        reply = m.group(0)
        self.buf = self.buf[m.end():]
        if b"type='error'" in reply[:200] or b'type="error"' in reply[:200]:
            raise AssertionError(f"search to {to} failed: {reply[:400]!r}")
        items = len(re.findall(rb"<item[ >]", reply))
        return items, len(reply)

    async def close(self):
        self.writer.write(b"</stream:stream>")
        self.writer.close()


class BareClient(RawClient):
    """The raw client's protocol on a blocking socket, with no event loop: what is left of
    the measured time is the hosts' and the services'. asyncio's stream reads and the raw
    client's regular expressions cost it 0.4-0.8 ms of CPU per search, the same for every
    target, which is a third of a 1.4 ms search and pulls every ratio towards 1."""

    def __init__(self, port: int, jid: str, password: str):
        super().__init__(port, jid, password)
        self.sock = None

    async def _open_socket(self):
        import socket
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.sock

        class Reader:
            async def read(self, n):
                return sock.recv(n)

        class Writer:
            def write(self, data):
                sock.sendall(data)

            def close(self):
                sock.close()

        self.reader, self.writer = Reader(), Writer()

    async def search(self, to: str, payload: str, kind: str = "set"):
        # Every reply ends with "</iq>" and only one iq is outstanding: read until the
        # buffer ends with it, then check the id once (no pattern over the whole reply).
        self.n += 1
        rid = f"q{self.n}".encode()
        sock = self.sock
        sock.sendall(f"<iq type='{kind}' id='".encode() + rid + f"' to='{to}'>".encode()
                     + payload.encode() + b"</iq>")
        chunks = [self.buf] if self.buf else []
        while True:
            chunk = sock.recv(1 << 17)
            if not chunk:
                raise ConnectionError("stream closed")
            chunks.append(chunk)
            if chunk.endswith(b"</iq>") or chunk.endswith(b"/>"):
                data = b"".join(chunks)
                at = max(data.rfind(b"id='" + rid + b"'"), data.rfind(b'id="' + rid + b'"'))
                start = data.rfind(b"<iq", 0, at) if at >= 0 else -1
                if start >= 0:
                    reply = data[start:]
                    head = reply[:reply.find(b">") + 1]
                    if reply.endswith(b"</iq>") or head.endswith(b"/>"):
                        break
                chunks = [data]
        self.buf = b""
        if b"type='error'" in head or b'type="error"' in head:
            raise AssertionError(f"search to {to} failed: {reply[:400]!r}")
        return reply.count(b"<item>") + reply.count(b"<item "), len(reply)


class SlixClient:
    """slixmpp, as a bot or script uses it: the reply becomes stanza objects and the form's
    items are read through the xep_0004 plugin."""

    def __init__(self, port: int, jid: str, password: str):
        import slixmpp
        # With LDAP among its auth methods ejabberd can only offer SASL PLAIN; connect
        # without TLS (loopback, throwaway accounts), so let slixmpp use PLAIN in the clear.
        from slixmpp.features.feature_mechanisms.mechanisms import FeatureMechanisms
        FeatureMechanisms.default_config["unencrypted_plain"] = True
        from slixmpp.xmlstream import ET
        self.ET = ET
        self.port = port
        self.x = slixmpp.ClientXMPP(jid, password)
        for p in ("xep_0030", "xep_0004", "xep_0059"):
            self.x.register_plugin(p)
        # A searching client, not a search service: by default the plugin answers every iq
        # with a search payload, results included, with a result of its own - traffic the
        # host must route, and with Nagle on the client's socket the next search waits
        # for the host's delayed ACK of it (40 ms through Prosody).
        self.x.register_plugin("xep_0055", {"provide_search": False})

    async def connect(self):
        started = asyncio.get_running_loop().create_future()

        def on_start(_e):
            if not started.done():
                started.set_result(None)

        def on_fail(_e):
            if not started.done():
                started.set_exception(AssertionError("login failed"))

        self.x.add_event_handler("session_start", on_start)
        self.x.add_event_handler("failed_auth", on_fail)
        self.x.connect(("127.0.0.1", self.port), disable_starttls=True)
        await asyncio.wait_for(started, 60)

    async def search(self, to: str, payload: str):
        iq = self.x.make_iq_set(ito=to)
        iq.append(self.ET.fromstring(payload))
        result = await iq.send(timeout=120)
        items = result["search"]["form"].get_items()
        if not items:  # legacy items, when a form was not used
            items = result["search"].xml.findall(f"{{{SEARCH}}}item")
        return len(items), len(str(result).encode())

    async def close(self):
        done = self.x.disconnect()
        try:
            await asyncio.wait_for(done, 5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(args) -> dict:
    make = {"raw": RawClient, "bare": BareClient, "slixmpp": SlixClient}[args.client]
    ejabberd = make(args.port, args.jid, args.password)
    await ejabberd.connect()
    prosody = None
    if args.prosody_port:
        prosody = make(args.prosody_port, args.jid, args.password)
        await prosody.connect()

    # (name, connection, service, peer vars?)
    targets = [("commonroom via ejabberd", ejabberd, args.commonroom, False),
               ("ejabberd mod_vcard+LDAP", ejabberd, args.peer, True)]
    if prosody:
        targets.append(("commonroom via Prosody", prosody, args.commonroom, False))

    def payload_for(fields, peer: bool) -> str:
        if peer:
            return search_payload({PEER_VARS[k]: v for k, v in fields.items()}, False, None)
        return search_payload(fields, True, args.rsm_max)

    out = {}
    for label, fields in QUERIES:
        per = {name: {"us": [], "cpu_us": [], "items": 0, "bytes": 0} for name, *_ in targets}
        for r in range(args.rounds + 2):
            # Rotate who goes first each round: the search right after ejabberd's LDAP
            # search would otherwise always find slapd still busy with it.
            shift = r % len(targets)
            for name, conn, to, peer in targets[shift:] + targets[:shift]:
                c0, t0 = time.process_time(), time.perf_counter()
                items, size = await conn.search(to, payload_for(fields, peer))
                t1, c1 = time.perf_counter(), time.process_time()
                if r >= 2:  # the first two warm caches and connections everywhere
                    per[name]["us"].append((t1 - t0) * 1e6)
                    per[name]["cpu_us"].append((c1 - c0) * 1e6)
                per[name]["items"], per[name]["bytes"] = items, size
        out[label] = per

    # The floor: a disco#info round trip to the same addresses, no search behind it. Through
    # ejabberd to vjud it never leaves ejabberd; to commonroom it crosses the component link.
    floor = {}
    if args.client != "slixmpp":
        disco = "<query xmlns='http://jabber.org/protocol/disco#info'/>"
        floor = {name: [] for name, *_ in targets}
        for r in range(args.rounds + 2):
            shift = r % len(targets)
            for name, conn, to, peer in targets[shift:] + targets[:shift]:
                t0 = time.perf_counter()
                await conn.search(to, disco, "get")
                if r >= 2:
                    floor[name].append((time.perf_counter() - t0) * 1e6)

    cpu = {}
    if args.cpu:
        pids = {}
        for entry in args.cpu.split(","):
            name, pid = entry.split("=")
            pids[name] = int(pid)
        for name, conn, to, peer in targets:
            before = {p: cpu_seconds(pid) for p, pid in pids.items()}
            c0, w0 = time.process_time(), time.perf_counter()
            n = 0
            for _ in range(args.cpu_rounds):
                for _label, fields in QUERIES:
                    await conn.search(to, payload_for(fields, peer))
                    n += 1
            wall = time.perf_counter() - w0
            client = time.process_time() - c0
            cpu[name] = {p: (cpu_seconds(pid) - before[p]) / n * 1e6 for p, pid in pids.items()}
            cpu[name]["client"] = client / n * 1e6
            cpu[name]["wall"] = wall / n * 1e6
    await ejabberd.close()
    if prosody:
        await prosody.close()
    await asyncio.sleep(0.2)
    return {"queries": out, "cpu": cpu, "floor": floor, "targets": [t[0] for t in targets]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True, help="ejabberd's c2s port")
    ap.add_argument("--prosody-port", type=int, help="Prosody's c2s port (optional)")
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--commonroom", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--client", choices=("slixmpp", "raw", "bare"), default="slixmpp")
    ap.add_argument("--rsm-max", type=int, help="ask commonroom for pages of this size (RSM)")
    ap.add_argument("--cpu", help="name=PID,... processes whose CPU per search to measure")
    ap.add_argument("--cpu-rounds", type=int, default=10)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        res = loop.run_until_complete(asyncio.wait_for(run(args), 3600))
    finally:
        loop.close()
    targets = res["targets"]
    peer = "ejabberd mod_vcard+LDAP"
    mine = [t for t in targets if t != peer]

    print(f"client: {args.client}; rounds {args.rounds}; load {open('/proc/loadavg').read().split()[0:3]}")
    head = f"{'query':30}"
    for t in targets:
        head += f" | {t + ' p50/p99 us':>34} {'items':>5} {'bytes':>6} {'cli us':>6}"
    for t in mine:
        head += f" | {'ratio p50/p99 ' + t.split()[-1]:>22}"
    print(head)
    summary, totals = {}, {t: {"us": [], "cpu_us": []} for t in targets}
    worse, unequal = [], []
    for label, per in res["queries"].items():
        line = f"{label:30}"
        summary[label] = {}
        for t in targets:
            r = per[t]
            p50, p99 = pct(r["us"], 0.5), pct(r["us"], 0.99)
            cli = statistics.median(r["cpu_us"])
            totals[t]["us"] += r["us"]
            totals[t]["cpu_us"] += r["cpu_us"]
            summary[label][t] = {"p50_us": p50, "p99_us": p99, "items": r["items"],
                                 "bytes": r["bytes"], "client_cpu_us": cli}
            line += f" | {p50:16.0f} {p99:17.0f} {r['items']:>5} {r['bytes']:>6} {cli:6.0f}"
        for t in mine:
            a, b = summary[label][t], summary[label][peer]
            line += f" | {b['p50_us'] / a['p50_us']:10.1f}x {b['p99_us'] / a['p99_us']:10.1f}x"
            if a["p50_us"] > b["p50_us"] or a["p99_us"] > b["p99_us"]:
                # Not like for like when the peer found fewer people (ejabberd's LDAP search
                # does not fold accents: 'garcia' misses every García): listed apart.
                if b["items"] < a["items"]:
                    unequal.append(f"{label} ({t}; the peer found {b['items']} of {a['items']})")
                else:
                    worse.append(f"{label} ({t})")
        print(line)
    allfig = {}
    for t in targets:
        us, cu = totals[t]["us"], totals[t]["cpu_us"]
        allfig[t] = {"p50_us": pct(us, 0.5), "p99_us": pct(us, 0.99),
                     "mean_us": statistics.mean(us), "client_cpu_us": statistics.median(cu)}
    for t in targets:
        a = allfig[t]
        print(f"ALL {t}: p50 {a['p50_us']:.0f} us p99 {a['p99_us']:.0f} us (mean "
              f"{a['mean_us']:.0f}); client CPU per search (median) {a['client_cpu_us']:.0f} us")
    for t in mine:
        a, b = allfig[t], allfig[peer]
        print(f"RATIO {t} vs {peer}: p50 {b['p50_us'] / a['p50_us']:.1f}x, "
              f"p99 {b['p99_us'] / a['p99_us']:.1f}x")
    floor = {t: {"p50_us": pct(v, 0.5), "p99_us": pct(v, 0.99)} for t, v in res["floor"].items()}
    for t, f in floor.items():
        print(f"FLOOR {t} (disco#info round trip, no search): p50 {f['p50_us']:.0f} us "
              f"p99 {f['p99_us']:.0f} us")
    print("WORSE THAN THE PEER on: " + (", ".join(worse) if worse else "no query"))
    print("SLOWER WHERE THE PEER FOUND FEWER on: " +
          (", ".join(unequal) if unequal else "no query"))
    if res["cpu"]:
        names = list(next(iter(res["cpu"].values())).keys())
        print("CPU per search, us (each target alone, " + str(args.cpu_rounds) + " rounds): "
              + " | ".join(f"{n}" for n in names))
        for t, c in res["cpu"].items():
            print(f"  {t:28} " + " | ".join(f"{n} {c[n]:.0f}" for n in names))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"client": args.client, "queries": summary, "all": allfig, "cpu": res["cpu"],
             "worse": worse, "unequal": unequal, "floor": floor}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
