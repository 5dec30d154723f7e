#!/usr/bin/python3
"""Directory search latency as a client sees it, commonroom against a peer, same queries.

Logs in to a host XMPP server with slixmpp and sends the same XEP-0055 form searches to
two search services in turn (round robin, so both see the same machine load):
  - commonroom's directory (e.g. directory.cam.example), fields name/first/last/crsid/email;
  - ejabberd's own vCard search on LDAP (mod_vcard, db_type ldap; e.g. vjud.cam.example),
    fields displayName/givenName/sn/%u/mail (ejabberd's LDAP attribute names; ejabberd's
    form has no FORM_TYPE, and a submitted one would become an LDAP filter term).
Prints p50/p99 per query and overall for both, and the ratio peer/commonroom.

    /usr/bin/python3 bench/directory_search_client.py --port C2S --jid bench@cam.example \
        --password pw --commonroom directory.cam.example --peer vjud.cam.example [--rounds R]

Run by bench/directory_vs_ejabberd.sh; needs the system python (slixmpp).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from harness import xmpp_session  # noqa: E402

# With LDAP among its auth methods ejabberd can only offer SASL PLAIN; the harness connects
# without TLS (loopback, throwaway accounts), so let slixmpp use PLAIN in the clear.
from slixmpp.features.feature_mechanisms.mechanisms import FeatureMechanisms  # noqa: E402

FeatureMechanisms.default_config["unencrypted_plain"] = True

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


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--commonroom", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    async def search(client, target: str, fields: dict[str, str], form_type: bool):
        iq = client.make_iq_set(ito=target)
        form = iq["search"]["form"]
        form.set_type("submit")
        if form_type:
            form.add_field("FORM_TYPE", value="jabber:iq:search", ftype="hidden")
        for var, value in fields.items():
            form.add_field(var, value=value)
        started = time.perf_counter()
        result = await iq.send(timeout=120)
        elapsed = time.perf_counter() - started
        return elapsed, len(result["search"]["form"].get_items())

    async def body(client):
        out = {}
        for label, fields in QUERIES:
            peer_fields = {PEER_VARS[k]: v for k, v in fields.items()}
            mine, theirs, counts = [], [], (0, 0)
            for r in range(args.rounds + 2):
                a, na = await search(client, args.commonroom, fields, True)
                b, nb = await search(client, args.peer, peer_fields, False)
                if r >= 2:  # the first two warm caches and connections on both sides
                    mine.append(a * 1e6)
                    theirs.append(b * 1e6)
                counts = (na, nb)
            out[label] = {"commonroom": mine, "peer": theirs, "items": counts}
        return out

    results = xmpp_session(args.port, args.jid, args.password, body, timeout=3600,
                           plugins=("xep_0030", "xep_0004", "xep_0055"))

    print(f"{'query':34} {'items cr/peer':>13} | {'commonroom p50':>14} {'p99 us':>9} | "
          f"{'ejabberd p50':>12} {'p99 us':>10} | {'ratio p50':>9} {'p99':>7}")
    all_mine, all_theirs, summary = [], [], {}
    for label, r in results.items():
        m50, m99 = pct(r["commonroom"], 0.5), pct(r["commonroom"], 0.99)
        t50, t99 = pct(r["peer"], 0.5), pct(r["peer"], 0.99)
        all_mine += r["commonroom"]
        all_theirs += r["peer"]
        print(f"{label:34} {r['items'][0]:>6}/{r['items'][1]:<6} | {m50:14.0f} {m99:9.0f} | "
              f"{t50:12.0f} {t99:10.0f} | {t50 / m50:8.1f}x {t99 / m99:6.1f}x")
        summary[label] = {"commonroom_p50_us": m50, "commonroom_p99_us": m99,
                          "peer_p50_us": t50, "peer_p99_us": t99}
    m50, m99 = pct(all_mine, 0.5), pct(all_mine, 0.99)
    t50, t99 = pct(all_theirs, 0.5), pct(all_theirs, 0.99)
    print(f"ALL: commonroom p50 {m50:.0f} us p99 {m99:.0f} us (mean {statistics.mean(all_mine):.0f});"
          f" ejabberd+LDAP p50 {t50:.0f} us p99 {t99:.0f} us (mean "
          f"{statistics.mean(all_theirs):.0f}); ratio p50 {t50 / m50:.1f}x, p99 {t99 / m99:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"queries": summary, "all": {
            "commonroom_p50_us": m50, "commonroom_p99_us": m99, "peer_p50_us": t50,
            "peer_p99_us": t99}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
