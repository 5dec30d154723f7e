"""The abuse staff's command-line workflow against a real PostgreSQL: `commonroom
logs search|context|export|verify` under a case reference, audited in an append-only table.

A small room log is COPY'd into a freshly migrated database; everything else goes through the
commonroom CLI, as staff would use it (docs/abuse-handling.md).
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import subprocess
import tarfile
from datetime import datetime, timezone

import pytest

from harness import commonroom_bin, run_dir
from pg_support import Cluster, migrated_database, psql

LOBBY = "lobby@conference.cam.example"
PHYSICS = "physics@conference.cam.example"
TEMP = "temp@conference.cam.example"  # a temporary room: no row in rooms, no occupant-id key
KEYS = {LOBBY: "lobby-key", PHYSICS: "physics-key"}
MALLORY = "mallory@cam.example"
ALICE = "alice@cam.example"
MOD = "mod@cam.example"
STAFF = "abuse-staff@cam.example"

# (event_id, room, stanza_id, occurred_at, kind, actor_jid, nick, target, body, detail, raw)
EVENTS = [
    ("e01", LOBBY, None, "2026-11-24 09:59:00Z", "join", MALLORY + "/pc", "mal", None, None, None, None),
    ("e02", LOBBY, None, "2026-11-24 10:00:00Z", "join", ALICE + "/phone", "alice", None, None, None, None),
    ("e03", LOBBY, "s03", "2026-11-24 10:01:00Z", "groupchat", MALLORY + "/pc", "mal", None,
     "Tu es un CRÉTIN, va au Café", None, "<message id='m3'><body>Tu es un CRÉTIN</body></message>"),
    ("e04", LOBBY, "s04", "2026-11-24 10:02:00Z", "groupchat", ALICE + "/phone", "alice", None,
     "please stop, cretin is a rude word", None, "<message id='m4'/>"),
    ("e05", LOBBY, None, "2026-11-24 10:03:00Z", "nick_change", MALLORY + "/pc", "mal2", None, None,
     '{"old": "mal", "new": "mal2"}', None),
    ("e06", LOBBY, "s06", "2026-11-24 10:04:00Z", "groupchat", MALLORY + "/pc", "mal2", None,
     "Łódź gęś żółw and more cafe talk", None, "<message id='m6'/>"),
    ("e07", LOBBY, "s07", "2026-11-24 10:05:00Z", "retraction", MOD + "/desk", "mod", "s03",
     "insult", None, None),
    ("e08", LOBBY, None, "2026-11-24 10:06:00Z", "kick", MOD + "/desk", "mod", MALLORY, "insults",
     None, None),
    ("e09", LOBBY, None, "2026-11-24 10:06:00Z", "exit", MALLORY + "/pc", "mal2", None, None, None,
     None),
    ("e10", LOBBY, None, "2026-11-24 10:07:00Z", "subject_change", MOD + "/desk", "mod", None,
     "Be kind", None, None),
    ("e11", PHYSICS, "s11", "2026-11-25 12:00:00Z", "groupchat", MALLORY + "/pc", "mallory", None,
     "Привет, ты дурак? CAFÉ", None, "<message id='m11'/>"),
    ("e12", PHYSICS, "s12", "2026-11-25 12:01:00Z", "groupchat", ALICE + "/phone", "alice", None,
     "exam tomorrow at the café", None, "<message id='m12'/>"),
    ("e13", TEMP, "s13", "2026-11-26 08:00:00Z", "groupchat", MALLORY + "/pc", "m", None,
     "=HYPERLINK(\"http://evil\")", None, "<message id='m13'/>"),
    ("e14", PHYSICS, "s14", "2026-11-25 12:02:00Z", "private_message", MALLORY + "/pc", "mallory",
     ALICE + "/phone", "psst cretin", None, None),
]


def copy_text(value):
    if value is None:
        return "\\N"
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load(uri, events):
    data = "".join("\t".join(copy_text(v) for v in e) + "\n" for e in events)
    out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c",
                          "COPY room_events (event_id, room, stanza_id, occurred_at, kind, "
                          "actor_jid, actor_nick, target, body, detail, raw) FROM STDIN"],
                         input=data, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def occupant_id(room, bare):
    return hmac.new(KEYS[room].encode(), bare.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    c.start()
    yield c
    c.stop()


@pytest.fixture()
def env(pg):
    directory = run_dir("abuse-workspace")
    uri = migrated_database(pg, directory)
    for room, key in KEYS.items():
        psql(uri, "INSERT INTO rooms (jid, config, occupant_id_secret, created_at)"
                  f" VALUES ('{room}', '{{}}', '{key}', now())")
    load(uri, EVENTS)
    ini = directory / "commonroom.ini"
    ini.write_text(f"[database]\nuri = {uri}\n")
    ini.chmod(0o600)
    return uri, ini, directory


def cli(ini, *args):
    return subprocess.run([str(commonroom_bin()), "--config", str(ini), *args],
                          capture_output=True, text=True, timeout=120)


def search(ini, *filters, case="CASE-1"):
    """Event ids found, newest first (every page)."""
    r = cli(ini, "logs", "search", "--case", case, "--by", STAFF, "--json", *filters)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    return [row["event_id"] for row in rows if "event_id" in row]


def test_search_combines_every_filter_with_and(env):
    uri, ini, _ = env
    # Words + participant (the Openfire failure): both must hold, nothing else.
    assert search(ini, "--words", "cretin", "--user", MALLORY) == ["e14", "e03"]
    assert search(ini, "--words", "cretin", "--user", ALICE) == ["e04"]
    # Accents and case are ignored on both sides, in every language.
    assert search(ini, "--words", "CAFE") == ["e12", "e11", "e06", "e03"]
    assert search(ini, "--words", "crétin") == ["e14", "e04", "e03"]
    assert search(ini, "--words", "lodz gesi") == []  # every word must be there
    assert search(ini, "--words", "LODZ gęś") == ["e06"]
    assert search(ini, "--words", "дурак") == ["e11"]
    assert search(ini, "--words", '"au cafe"') == ["e03"]  # a phrase
    assert search(ini, "--words", "cafe -exam") == ["e11", "e06", "e03"]
    # Rooms, nicks, time, kinds; JIDs typed in any case are prepared like the log's.
    assert search(ini, "--room", "LOBBY@Conference.cam.example", "--words", "cafe") == ["e06", "e03"]
    assert search(ini, "--room", LOBBY, "--room", PHYSICS, "--user", "Mallory@CAM.example") == [
        "e14", "e11", "e06", "e03"]
    assert search(ini, "--nick", "mal2") == ["e06"]
    assert search(ini, "--nick", "mal2", "--all-kinds") == ["e09", "e06", "e05"]
    assert search(ini, "--user", MALLORY, "--from", "2026-11-25", "--to", "2026-11-26") == [
        "e14", "e11"]
    assert search(ini, "--user", MALLORY, "--from", "2026-11-25T13:00+01:00",
                  "--to", "2026-11-25T12:01:30") == ["e11"]
    assert search(ini, "--kind", "kick", "--kind", "subject_change") == ["e10", "e08"]
    assert search(ini, "--user", MALLORY, "--kind", "private_message", "--words", "psst") == ["e14"]


def test_occupant_ids_resolve_to_the_real_jid_in_their_room(env):
    uri, ini, _ = env
    oid = occupant_id(LOBBY, MALLORY)
    assert search(ini, "--room", LOBBY, "--occupant-id", oid) == ["e06", "e03"]
    # The same person has another id in another room: no match there.
    assert search(ini, "--room", PHYSICS, "--occupant-id", oid) == []
    r = cli(ini, "logs", "search", "--case", "C", "--by", STAFF, "--room", LOBBY,
            "--occupant-id", oid)
    assert r.returncode == 0, r.stderr
    assert f"occupant-id {oid} in {LOBBY} is {MALLORY}" in r.stdout
    # Results show the id the room showed, so a screenshot can be matched.
    r = cli(ini, "logs", "search", "--case", "C", "--by", STAFF, "--json", "--words", "exam")
    assert json.loads(r.stdout.splitlines()[0])["occupant_id"] == occupant_id(PHYSICS, ALICE)
    r = cli(ini, "logs", "search", "--case", "C", "--by", STAFF, "--occupant-id", oid)
    assert r.returncode == 1 and "give the room(s) with --room" in r.stderr
    r = cli(ini, "logs", "search", "--case", "C", "--by", STAFF, "--room", TEMP,
            "--occupant-id", oid)
    assert r.returncode == 1 and "is not stored" in r.stderr


def test_bad_queries_are_refused_with_the_reason(env):
    _, ini, _ = env
    r = cli(ini, "logs", "search", "--by", STAFF, "--words", "x")
    assert r.returncode == 2 and "--case is required" in r.stderr
    r = cli(ini, "logs", "search", "--case", "C", "--words", "x")
    assert r.returncode == 2 and "--by is required" in r.stderr
    r = cli(ini, "logs", "search", "--case", "C", "--by", STAFF, "--words", "!!!")
    assert r.returncode == 1 and "has no word to search for" in r.stderr
    r = cli(ini, "logs", "search", "--case", "C", "--by", STAFF, "--from", "last tuesday")
    assert r.returncode == 1 and "is not a time" in r.stderr
    r = cli(ini, "logs", "search", "--case", "C", "--by", STAFF, "--user", "mallory@cam.example/pc")
    assert r.returncode == 1 and "has a resource" in r.stderr
    r = cli(ini, "logs", "search", "--case", "C", "--by", STAFF, "--after", "yesterday")
    assert r.returncode == 1 and "is not a page cursor" in r.stderr


def test_keyset_pages_have_no_duplicates_and_no_gaps(env):
    uri, ini, _ = env
    # 137 messages, many sharing one microsecond (a burst), so ties need the seq.
    many = [(f"p{i:03d}", PHYSICS, f"ps{i:03d}", f"2026-11-27 10:00:{i // 10:02d}Z", "groupchat",
             ALICE + "/phone", "alice", None, f"page word {i}", None, None) for i in range(137)]
    load(uri, many)
    expected = [row[0] for row in sorted(many, key=lambda e: (e[3], e[0]), reverse=True)]
    seen, after, pages = [], None, 0
    while True:
        args = ["logs", "search", "--case", "PAGES", "--by", STAFF, "--json", "--words", "page",
                "--limit", "10"] + (["--after", after] if after else [])
        r = cli(ini, *args)
        assert r.returncode == 0, r.stderr
        rows = [json.loads(line) for line in r.stdout.splitlines()]
        seen += [row["event_id"] for row in rows if "event_id" in row]
        pages += 1
        nexts = [row["next"] for row in rows if "next" in row]
        if not nexts:
            break
        after = nexts[0]
    assert pages == 14
    assert len(seen) == len(set(seen)) == 137
    assert seen == expected  # newest first; same-time events in arrival (seq) order reversed
    assert psql(uri, "SELECT count(*) FROM audit WHERE action = 'log.search'"
                     " AND detail->>'case' = 'PAGES'") == "14"


def test_context_shows_the_timeline_and_retracted_originals(env):
    _, ini, _ = env
    r = cli(ini, "logs", "context", "--case", "CASE-2", "--by", STAFF, "--event", "e04",
            "--before", "3", "--after", "4", "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["event_id"] for x in rows] == ["e01", "e02", "e03", "e04", "e05", "e06", "e07", "e08"]
    assert [x["kind"] for x in rows] == ["join", "join", "groupchat", "groupchat", "nick_change",
                                          "groupchat", "retraction", "kick"]
    retracted = rows[2]
    assert retracted["body"] == "Tu es un CRÉTIN, va au Café"  # the original text stays
    assert retracted["retracted_by"] == MOD + "/desk"
    assert retracted["retraction_reason"] == "insult"
    assert retracted["retracted_at"] == "2026-11-24T10:05:00.000000Z"
    assert retracted["actor_jid"] == MALLORY + "/pc"

    # Human-readable: the anchor marked, the retraction spelled out.
    r = cli(ini, "logs", "context", "--case", "CASE-2", "--by", STAFF, "--stanza-id", "s03",
            "--before", "1", "--after", "1")
    assert r.returncode == 0, r.stderr
    assert f"room {LOBBY}, 3 event(s)" in r.stdout
    assert "> 2026-11-24T10:01:00.000000Z" in r.stdout
    assert f"RETRACTED 2026-11-24T10:05:00.000000Z by {MOD}/desk: insult" in r.stdout

    # A room and a time (a link pasted into a case): events either side of that instant;
    # same-time events (the kick and the exit) both come after it.
    r = cli(ini, "logs", "context", "--case", "CASE-2", "--by", STAFF, "--room", LOBBY,
            "--at", "2026-11-24T10:06:00Z", "--before", "2", "--after", "2", "--json")
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["event_id"] for x in r.stdout.splitlines()] == ["e06", "e07", "e08", "e09"]

    r = cli(ini, "logs", "context", "--case", "CASE-2", "--by", STAFF, "--event", "nope")
    assert r.returncode == 1 and "no event has the id nope" in r.stderr


def extract(archive_path):
    with tarfile.open(archive_path) as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}


def test_export_bundle_verifies_and_detects_tampering(env):
    uri, ini, directory = env
    bundle = directory / "case3.tar"
    r = cli(ini, "logs", "export", "--case", "CASE-3", "--by", STAFF, "--user", MALLORY,
            "-o", str(bundle))
    assert r.returncode == 0, r.stderr
    assert "exported 5 event(s) for case CASE-3" in r.stdout
    files = extract(bundle)
    prefix = "evidence-CASE-3/"
    manifest = json.loads(files[prefix + "manifest.json"])
    assert manifest["case"] == "CASE-3" and manifest["exported_by"] == STAFF
    assert manifest["query"]["users"] == [MALLORY] and manifest["messages"] == 5
    # Every file's SHA-256 recomputed here matches the manifest, and nothing is unlisted.
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    for name, sha in listed.items():
        assert hashlib.sha256(files[prefix + name]).hexdigest() == sha, name
    assert set(files) == {prefix + n for n in listed} | {prefix + "manifest.json",
                                                         prefix + "SHA256SUMS"}
    messages = json.loads(files[prefix + "messages.json"])
    assert [m["event_id"] for m in messages] == ["e03", "e06", "e11", "e14", "e13"]  # oldest first
    assert messages[0]["retracted_by"] == MOD + "/desk"
    assert files[prefix + messages[0]["raw_file"]] == EVENTS[2][10].encode()
    csv = files[prefix + "messages.csv"].decode()
    assert csv.splitlines()[0].startswith("occurred_at,room,kind,actor_jid")
    assert "'=HYPERLINK" in csv  # a formula is neutralised in the CSV only
    assert messages[4]["body"].startswith("=HYPERLINK")

    # The audit row holds the archive's hash.
    row = json.loads(psql(uri, "SELECT detail FROM audit WHERE action = 'log.export'"))
    assert row["archive_sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert row["case"] == "CASE-3" and row["results"] == 5

    r = subprocess.run([str(commonroom_bin()), "logs", "verify", str(bundle)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "OK, 6 file(s) match the manifest" in r.stdout  # json, csv, 4 raw stanzas
    assert r.stdout.count(row["manifest_sha256"]) == 1

    # The documented sha256sum -c step on the unpacked bundle.
    out = directory / "unpacked"
    out.mkdir()
    with tarfile.open(bundle) as t:
        t.extractall(out)
    r = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out / "evidence-CASE-3",
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

    def rewrite(change, add=None):
        tampered = directory / "tampered.tar"
        with tarfile.open(tampered, "w", format=tarfile.USTAR_FORMAT) as t:
            for name, data in list(files.items()) + ([add] if add else []):
                data = change(name, data)
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return subprocess.run([str(commonroom_bin()), "logs", "verify", str(tampered)],
                              capture_output=True, text=True, timeout=60)

    r = rewrite(lambda n, d: d.replace(b"CR\xc3\x89TIN", b"ami") if n.endswith(".json") and
                "messages" in n else d)
    assert r.returncode == 1 and "FAILED: messages.json was changed" in r.stderr
    r = rewrite(lambda n, d: d, add=(prefix + "raw/000099.xml", b"<message/>"))
    assert r.returncode == 1 and "raw/000099.xml is not in the manifest" in r.stderr


def test_every_look_is_audited_and_the_audit_is_append_only(env):
    uri, ini, directory = env
    assert cli(ini, "logs", "search", "--case", "CASE-4", "--by", STAFF, "--words", "cafe").returncode == 0
    assert cli(ini, "logs", "context", "--case", "CASE-4", "--by", STAFF, "--event", "e03").returncode == 0
    assert cli(ini, "logs", "export", "--case", "CASE-4", "--by", STAFF, "--room", PHYSICS,
               "-o", str(directory / "x.tar")).returncode == 0
    rows = psql(uri, "SELECT actor, action, object, detail->>'case', detail->>'results',"
                     " detail->'query'->>'words', occurred_at <= now() FROM audit"
                     " WHERE detail->>'case' = 'CASE-4' ORDER BY id").splitlines()
    assert rows == [f"{STAFF}|log.search|CASE-4|CASE-4|4|cafe|t",
                    f"{STAFF}|log.context|CASE-4|CASE-4|10||t",  # the whole lobby
                    f"{STAFF}|log.export|CASE-4|CASE-4|3||t"]
    # A refused query shows nothing and records nothing.
    assert cli(ini, "logs", "search", "--case", "CASE-5", "--by", STAFF, "--words", "?").returncode == 1
    assert psql(uri, "SELECT count(*) FROM audit WHERE object = 'CASE-5'") == "0"

    for sql in ("UPDATE audit SET actor = 'someone-else'",
                "DELETE FROM audit WHERE action = 'log.search'",
                "DELETE FROM audit WHERE false",
                "TRUNCATE audit"):
        out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0, sql
        assert "the audit trail is append-only" in out.stderr, out.stderr
    assert psql(uri, "SELECT count(*) FROM audit WHERE detail->>'case' = 'CASE-4'") == "3"
    assert psql(uri, f"SELECT count(*) FROM audit WHERE actor = '{STAFF}'") == "3"
    # Appending still works for everyone who writes the trail (e.g. the retention purge).
    psql(uri, "INSERT INTO audit (actor, action) VALUES ('system', 'retention.purge')")


def test_the_word_index_serves_word_searches(env):
    uri, _, _ = env
    plan = psql(uri, "SET enable_seqscan = off; EXPLAIN SELECT event_id FROM room_events"
                     " WHERE to_tsvector('commonroom_words'::regconfig, body)"
                     " @@ websearch_to_tsquery('commonroom_words'::regconfig, 'cafe')")
    assert "room_events_week_words_idx" in plan, plan
    # Words in one room's week are found inside the index (schema 0015); weeks are whole
    # weeks since 1970-01-01 UTC.
    week = int(datetime(2026, 11, 25, 12, tzinfo=timezone.utc).timestamp()) // 604800
    plan = psql(uri, "SET enable_seqscan = off; EXPLAIN SELECT event_id FROM room_events"
                     f" WHERE room_events_week_key(room, occurred_at) = '{PHYSICS} {week}'"
                     " AND to_tsvector('commonroom_words'::regconfig, body)"
                     " @@ websearch_to_tsquery('commonroom_words'::regconfig, 'cafe')")
    assert "room_events_week_words_idx" in plan and "Index Cond" in plan, plan
    assert psql(uri, f"SELECT room_events_week_key('{PHYSICS}', '2026-11-25 12:00:00Z')") == \
        f"{PHYSICS} {week}"


def test_words_in_a_room_over_weeks_page_newest_first_without_gaps(env):
    """A words + room + time search walks the room's weeks newest first (1, 4, 16 ... weeks per
    query): pages must still hold every match once, in order, and say "next" only when there
    is more — including when a page fills exactly at the end of a walk step."""
    uri, ini, _ = env
    # 10 weeks of "rota" talk in physics, irregular: some weeks empty, one week busy; the
    # same word in the lobby and other words in physics must not leak in.
    rows, n = [], 0
    for week, count in enumerate([3, 0, 7, 1, 0, 0, 12, 2, 0, 5]):
        for i in range(count):
            n += 1
            day = 1 + week * 7 + (i % 6)
            rows.append((f"w{n:03d}", PHYSICS, f"ws{n:03d}",
                         f"2026-08-{day:02d} 12:{i:02d}:00Z" if day <= 31 else
                         f"2026-09-{day - 31:02d} 12:{i:02d}:00Z" if day <= 61 else
                         f"2026-10-{day - 61:02d} 12:{i:02d}:00Z",
                         "groupchat", ALICE + "/phone", "alice", None, f"the rota for week {week}",
                         None, None))
    noise = [(f"x{i:03d}", LOBBY, f"xs{i:03d}", f"2026-09-{1 + i % 28:02d} 08:00:00Z", "groupchat",
              MALLORY + "/pc", "mal", None, "rota rota", None, None) for i in range(40)]
    noise += [(f"y{i:03d}", PHYSICS, f"ys{i:03d}", f"2026-09-{1 + i % 28:02d} 09:00:00Z",
               "groupchat", ALICE + "/phone", "alice", None, "exam revision", None, None)
              for i in range(40)]
    load(uri, rows + noise)
    expected = [r[0] for r in sorted(rows, key=lambda e: e[3], reverse=True)]
    assert len(expected) == 30
    for limit in (1, 5, 6, 7, 30, 50):
        seen, after, pages = [], None, 0
        while True:
            args = ["logs", "search", "--case", "WEEKS", "--by", STAFF, "--json", "--words", "rota",
                    "--room", PHYSICS, "--from", "2026-07-25", "--to", "2026-10-20",
                    "--limit", str(limit)] + (["--after", after] if after else [])
            r = cli(ini, *args)
            assert r.returncode == 0, r.stderr
            out = [json.loads(line) for line in r.stdout.splitlines()]
            page = [row["event_id"] for row in out if "event_id" in row]
            nexts = [row["next"] for row in out if "next" in row]
            assert page, f"limit {limit}: an empty page after {seen}"
            seen += page
            pages += 1
            if not nexts:
                break
            after = nexts[0]
        assert seen == expected, f"limit {limit}"
        assert pages == -(-30 // limit), f"limit {limit}"
    # A range that starts mid-walk and a range with no match at all.
    assert search(ini, "--words", "rota", "--room", PHYSICS, "--from", "2026-09-20",
                  "--to", "2026-10-20") == [e for e in expected
                                            if next(r for r in rows if r[0] == e)[3] >= "2026-09-20"]
    assert search(ini, "--words", "rota", "--room", PHYSICS, "--from", "2026-01-01",
                  "--to", "2026-02-01") == []
    assert psql(uri, "SELECT count(*) FROM pg_indexes WHERE indexname = 'room_events_body_fts_idx'") == "0"
