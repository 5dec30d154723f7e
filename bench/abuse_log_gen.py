#!/usr/bin/env python3
"""A realistic abuse log for bench/abuse_search_bench.sh: room_events rows in COPY text
format on stdout (and the rooms' occupant-id keys with --rooms-sql).

    abuse_log_gen.py EVENTS [--seed N] [--days D] [--end ISO]          > events.copy
    abuse_log_gen.py EVENTS --rooms-sql                                 > rooms.sql

Shape: EVENTS/2000 rooms and EVENTS/200 users, both with power-law (Zipf, s=1.1) activity,
so a few rooms and users make most of the traffic; events spread over D days (default 365)
in time order with a daily cycle; 86 % groupchat, the rest joins, exits, nick and status
changes, subjects, kicks, bans, private messages and retractions; bodies of 2-24 words drawn
(Zipf again) from a vocabulary mixing English, French, German, Spanish, Polish, Czech,
Russian and Greek words, accents included, plus a long tail of rare made-up words.
Deterministic for a given seed.
"""
import argparse
import datetime as dt
import itertools
import random
import sys

WORDS = """the you and to it is that of in this not what for have are on be with me so
just can do no but like was your all know he if we they my at get how about out one think
go up there now will why don't really would good time want see one people yeah lol ok okay
stop idiot stupid shut report block spam harass threat ban kick moderator please sorry
lecture exam essay supervision college library tutor deadline physics maths history
je tu il nous vous ils est pas une des les que qui dans pour avec sur mais très être
café élève école été déjà où français garçon crétin imbécile fenêtre hôpital forêt noël
ich du er wir ihr sie nicht und mit für über schön grüße straße mädchen müde tschüss
dummkopf ärger hören größe mögen öffnen
yo tú él nosotros qué cómo mañana año niño señor canción corazón estúpido tonto
jestem jesteś że się też już może dziękuję proszę źle żółw łódź gęś cześć głupi
já ty on není ještě děkuji prosím špatně člověk řeka škola hloupý
привет как дела спасибо пожалуйста хорошо плохо дурак идиот стоп
γεια σου ευχαριστώ παρακαλώ ναι όχι καλημέρα""".split()

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zé", "ül", "ña", "ør", "ks",
             "tr", "pl", "an", "es", "ol", "ix", "um", "ąb", "éc", "ży", "ďo"]

KINDS = [("groupchat", 860), ("join", 45), ("exit", 45), ("nick_change", 10),
         ("status_change", 15), ("subject_change", 5), ("kick", 3), ("ban", 1),
         ("private_message", 10), ("retraction", 2), ("voice_request", 1),
         ("affiliation_change", 2), ("invitation", 1)]


def zipf_cum(n, s=1.1):
    return list(itertools.accumulate(1.0 / (k ** s) for k in range(1, n + 1)))


def escape(text):
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events", type=int)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--end", default="2026-12-01T00:00:00+00:00")
    ap.add_argument("--rooms-sql", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    n_rooms = max(10, a.events // 2000)
    n_users = max(50, a.events // 200)
    rooms = [f"room{r}@conference.cam.example" for r in range(n_rooms)]
    if a.rooms_sql:
        print("INSERT INTO rooms (jid, config, occupant_id_secret, created_at) VALUES")
        print(",\n".join(f"('{r}', '{{}}', 'key-{i}', now())" for i, r in enumerate(rooms)) + ";")
        return
    users = [f"user{u}@cam.example" for u in range(n_users)]
    rare = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(50000)]
    vocab = WORDS + rare
    vocab_cum = zipf_cum(len(vocab), 1.05)
    room_cum = zipf_cum(n_rooms)
    user_cum = zipf_cum(n_users)
    kinds, kind_w = zip(*KINDS)
    kind_cum = list(itertools.accumulate(kind_w))
    end = dt.datetime.fromisoformat(a.end).timestamp()
    start = end - a.days * 86400
    out = sys.stdout
    chunk = 20000
    seq_time = start
    step = (end - start) / a.events
    last_stanza = {}
    written = 0
    while written < a.events:
        n = min(chunk, a.events - written)
        rs = rng.choices(range(n_rooms), cum_weights=room_cum, k=n)
        us = rng.choices(range(n_users), cum_weights=user_cum, k=n)
        ks = rng.choices(kinds, cum_weights=kind_cum, k=n)
        ws = rng.choices(vocab, cum_weights=vocab_cum, k=n * 24)
        lines = []
        for i in range(n):
            idx = written + i
            # Time order with a daily cycle: quiet nights, busy evenings.
            seq_time += step * (0.4 + 1.2 * rng.random())
            t = min(seq_time, end - 1)
            room = rooms[rs[i]]
            user = users[us[i]]
            nick = user.split("@")[0].replace("user", "n")
            kind = ks[i]
            body = detail = target = stanza = raw = None
            if kind in ("groupchat", "private_message", "subject_change"):
                body = " ".join(ws[i * 24:i * 24 + rng.randint(2, 24)])
                if rng.random() < 0.3:
                    body = body.capitalize() + rng.choice([".", "!", "?", " :)", ""])
                stanza = f"{idx:016x}-{rng.getrandbits(48):012x}"
                if kind == "groupchat":
                    last_stanza[room] = stanza
                raw = (f"<message xmlns='jabber:client' type='groupchat' id='{stanza[-12:]}'"
                       f" to='{room}' from='{user}/laptop'><body>{body.replace('&', '&amp;').replace('<', '&lt;')}</body>"
                       "<origin-id xmlns='urn:xmpp:sid:0' id='" + stanza + "'/></message>")
            elif kind == "nick_change":
                detail = '{"old": "%s", "new": "%s2"}' % (nick, nick)
            elif kind in ("kick", "ban", "affiliation_change", "invitation"):
                target = users[rng.randrange(n_users)]
                body = rng.choice(["", "spam", "harassment", "be nice"])
            elif kind == "retraction":
                target = last_stanza.get(room)
                body = "spam"
            elif kind == "status_change":
                body = rng.choice(["", "away", "in a lecture", "à la bibliothèque"])
            ts = dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00")

            def col(v):
                return "\\N" if v is None else escape(v)
            lines.append("\t".join([f"ev{idx:012d}", room, col(stanza), ts, kind,
                                    f"{user}/laptop", nick, col(target), col(body),
                                    col(detail), col(raw)]))
        out.write("\n".join(lines) + "\n")
        written += n


if __name__ == "__main__":
    main()
