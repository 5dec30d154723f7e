"""Directory sync against a real slapd (Lookup-shaped data from scripts/gen-lookup-ldif) and
a real PostgreSQL, driven through `commonroom directory ...` and `commonroom run`.

The tests share one slapd and one database and run in file order: each builds on the
directory the previous ones left (as a deployment's directory evolves).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import SOURCE_DIR, TcpProxy, commonroom_bin, free_port, run_dir, wait_until

SCRIPTS = SOURCE_DIR / "scripts"
BASE = "o=University of Cambridge,dc=cam,dc=ac,dc=uk"
PEOPLE = 3000
SEED = 11


# ------------------------------------------------------------------------------ fixture

class Env:
    """The servers, the config and small helpers to drive and inspect them."""

    def __init__(self, root: Path):
        self.root = root
        self.ldif = root / "lookup.ldif"
        summary = root / "summary.json"
        with open(self.ldif, "w", encoding="utf-8") as out:
            subprocess.run([str(SCRIPTS / "gen-lookup-ldif"), "--people", str(PEOPLE), "--seed",
                            str(SEED), "--summary", str(summary)], stdout=out, check=True)
        self.summary = json.loads(summary.read_text(encoding="utf-8"))
        self.pg_dir = root / "pg"
        self.pg_port = free_port()
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / "postgres.sh"), "start",
                              str(self.pg_dir), str(self.pg_port)],
                             env={**os.environ, "PG_FAST": "1"}, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        self.pg_uri = re.search(r"PG_URI=(\S+)", out.stdout).group(1)
        self.ldap_dir = root / "slapd"
        self.ldap_port = free_port()
        self.start_slapd(self.ldif)
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "status",
                              str(self.ldap_dir)])
        assert out.returncode == 0
        self.rootdn = f"cn=admin,{BASE}"
        self.rootpw = "commonroom-ldap-admin"
        self.config = root / "commonroom.ini"
        # timestamp_skew 0: on one host the clocks agree, and the incremental test wants to
        # see only what changed (entries loaded a second before the first full sync are old).
        self.config.write_text(f"""[database]
uri = {self.pg_uri}
[ldap]
uri = ldap://127.0.0.1:{self.ldap_port}
page_size = 100
timestamp_skew_seconds = 0
network_timeout_seconds = 3
operation_timeout_seconds = 3
[logging]
level = warning
level.directory = information
""", encoding="utf-8")
        self.cr("migrate")

    def start_slapd(self, *ldifs: Path) -> None:
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "start",
                              str(self.ldap_dir), str(self.ldap_port), *map(str, ldifs)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr

    def stop_slapd(self) -> None:
        subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "stop", str(self.ldap_dir)],
                       check=True)

    def slapd_pid(self) -> int:
        return int((self.ldap_dir / "run" / "slapd.pid").read_text().split()[0])

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "stop", str(self.ldap_dir)])
        subprocess.run(["bash", str(SCRIPTS / "lib" / "postgres.sh"), "stop", str(self.pg_dir)])

    def cr(self, *args: str, env: dict | None = None, expect: int = 0,
           timeout: float = 120) -> subprocess.CompletedProcess:
        p = subprocess.run([str(commonroom_bin()), "--config", str(self.config), *args],
                           env={**os.environ, **(env or {})}, capture_output=True, text=True,
                           timeout=timeout)
        assert p.returncode == expect, (
            f"commonroom {' '.join(args)} exited {p.returncode}, expected {expect}\n"
            f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def sql(self, query: str, *params: str) -> list[list[str]]:
        """Rows of a query (psql -At), values as text; params are passed as psql variables."""
        cmd = ["psql", "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", self.pg_uri]
        for i, value in enumerate(params, 1):
            cmd += ["-v", f"p{i}={value}"]
        p = subprocess.run(cmd, input=query, capture_output=True, text=True, check=True)
        # Every row ends in a newline, so a row holding one empty value is an empty line.
        return [line.split("\t") for line in p.stdout.split("\n")[:-1]]

    def one(self, query: str, *params: str) -> str:
        rows = self.sql(query, *params)
        assert len(rows) == 1 and len(rows[0]) == 1, rows
        return rows[0][0]

    def people(self) -> int:
        return int(self.one("SELECT count(*) FROM directory_people"))

    def last_run(self) -> dict:
        row = self.sql("SELECT kind, status, people_seen, added, updated, removed, error "
                       "FROM directory_sync_runs ORDER BY id DESC LIMIT 1")[0]
        keys = ["kind", "status", "people_seen", "added", "updated", "removed", "error"]
        run = dict(zip(keys, row))
        for k in ("people_seen", "added", "updated", "removed"):
            run[k] = int(run[k])
        return run

    def ldap_modify(self, ldif: str) -> None:
        subprocess.run(["ldapmodify", "-x", "-H", f"ldap://127.0.0.1:{self.ldap_port}", "-D",
                        self.rootdn, "-w", self.rootpw], input=ldif, text=True,
                       capture_output=True, check=True)

    def ldap_delete(self, *uids: str) -> None:
        subprocess.run(["ldapdelete", "-x", "-H", f"ldap://127.0.0.1:{self.ldap_port}", "-D",
                        self.rootdn, "-w", self.rootpw,
                        *[f"uid={u},ou=people,{BASE}" for u in uids]],
                       capture_output=True, check=True)

    def some_uids(self, n: int, offset: int = 0) -> list[str]:
        return [r[0] for r in self.sql(
            f"SELECT uid FROM directory_people ORDER BY md5(uid) OFFSET {offset} LIMIT {n}")]


@pytest.fixture(scope="module")
def env():
    e = Env(run_dir("directory-sync"))
    # modifyTimestamp has one-second resolution: let the loaded entries be strictly older
    # than the first sync.
    time.sleep(1.1)
    yield e
    e.stop()


# ------------------------------------------------------------------------------ tests

def test_full_sync_stores_what_ldap_holds(env):
    p = env.cr("directory", "sync", "--full")
    assert re.search(rf"full sync ok in [\d.]+ s: {PEOPLE} people seen, {PEOPLE} added", p.stdout)
    s = env.summary
    assert env.people() == PEOPLE
    assert int(env.one("SELECT count(*) FROM directory_institutions")) == s["institutions"]
    assert int(env.one("SELECT count(*) FROM directory_groups")) == s["groups"]
    assert int(env.one("SELECT count(*) FROM directory_group_members")) == s["memberships"]
    assert int(env.one("SELECT count(*) FROM directory_people WHERE affiliation = 'staff'")) \
        == s["staff"]
    assert int(env.one("SELECT count(*) FROM directory_people WHERE affiliation = 'student'")) \
        == s["student"]
    assert int(env.one("SELECT count(*) FROM directory_people WHERE mail = ''")) == s["no_mail"]
    assert env.last_run()["status"] == "ok"

    ex = s["examples"]
    # Names in other scripts survive the trip through LDAP, COPY and arrays intact, and
    # are searchable in their Latin transliteration.
    row = env.sql("SELECT jid, other_names, name_folded FROM directory_people WHERE uid = :'p1'",
                  ex["native_script_uid"])[0]
    assert row[0] == f"{ex['native_script_uid']}@cam.ac.uk"
    assert ex["native_script_cn"] in row[1]
    assert re.fullmatch(r"[a-z0-9 ]+", row[2].replace("ʿ", "")), row[2]
    # Hidden fields are empty; missing names are derived.
    assert env.one("SELECT mail FROM directory_people WHERE uid = :'p1'", ex["no_mail_uid"]) == ""
    dn, cn = env.sql("SELECT display_name, cn FROM directory_people WHERE uid = :'p1'",
                     ex["no_display_name_uid"])[0]
    assert dn == cn != ""
    assert env.one("SELECT institutions FROM directory_people WHERE uid = :'p1'",
                   ex["hidden_institutions_uid"]) == "{}"
    assert env.one("SELECT affiliation FROM directory_people WHERE uid = :'p1'",
                   ex["no_affiliation_uid"]) == "other"
    # College membership (for rooms linked to a college) comes from the group and the
    # people's instIDs alike.
    assert int(env.one("SELECT count(*) FROM directory_group_members WHERE group_id = '100001'")) \
        == ex["first_group_size"]


def test_unchanged_directory_full_sync_changes_nothing(env):
    version = env.one("SELECT version FROM directory_state")
    p = env.cr("directory", "sync", "--full")
    assert f"{PEOPLE} people seen, 0 added, 0 updated, 0 removed" in p.stdout
    assert env.one("SELECT version FROM directory_state") == version


def test_incremental_sync_picks_up_a_modified_person(env):
    uid = env.summary["examples"]["first_uid"]
    env.ldap_modify(f"""dn: uid={uid},ou=people,{BASE}
changetype: modify
replace: displayName
displayName: Zoë "Quotes" Back\\slash Ünïcode
-
replace: title
title: Director of Studies
-
replace: instID
instID: TRIN
instID: CST
""")
    p = env.cr("directory", "sync")
    run = env.last_run()
    assert run["kind"] == "incremental" and run["status"] == "ok"
    # Only what changed since the last sync was read, not the whole directory.
    assert run["people_seen"] == 1 and run["updated"] == 1, p.stdout
    row = env.sql("SELECT display_name, title, institutions FROM directory_people "
                  "WHERE uid = :'p1'", uid)[0]
    assert row == ['Zoë "Quotes" Back\\slash Ünïcode', "Director of Studies", "{TRIN,CST}"]
    assert env.people() == PEOPLE


def test_deleted_person_is_removed_by_the_next_full_sync(env):
    gone = env.some_uids(1)[0]
    env.ldap_delete(gone)
    # Incremental syncs cannot see deletions; the person stays until a full sync.
    env.cr("directory", "sync")
    assert env.people() == PEOPLE
    p = env.cr("directory", "sync", "--full")
    assert "1 removed" in p.stdout
    assert env.one("SELECT count(*) FROM directory_people WHERE uid = :'p1'", gone) == "0"
    assert env.people() == PEOPLE - 1


def test_opt_out_is_respected_by_every_sync(env):
    before = env.people()
    uid = env.some_uids(1, offset=5)[0]
    p = env.cr("directory", "opt-out", uid.upper(), "--note", "asked by email, ticket 1234")
    assert "opted out" in p.stdout
    assert env.people() == before - 1  # gone at once, not at the next sync
    assert env.one("SELECT note FROM directory_opt_outs WHERE uid = :'p1'", uid) \
        == "asked by email, ticket 1234"

    p = env.cr("directory", "sync", "--full")
    assert "1 opted out" in p.stdout and "0 removed" in p.stdout
    env.ldap_modify(f"dn: uid={uid},ou=people,{BASE}\nchangetype: modify\n"
                    "replace: title\ntitle: Changed After Opting Out\n")
    env.cr("directory", "sync")
    assert env.one("SELECT count(*) FROM directory_people WHERE uid = :'p1'", uid) == "0"
    assert env.people() == before - 1

    p = env.cr("directory", "opt-in", uid)
    assert "next full sync" in p.stdout
    env.cr("directory", "sync", "--full")
    assert env.one("SELECT title FROM directory_people WHERE uid = :'p1'", uid) \
        == "Changed After Opting Out"
    assert env.people() == before


def test_safety_valve_refuses_mass_removal_until_forced(env):
    before = env.people()
    leavers = env.some_uids(3, offset=20)
    env.ldap_delete(*leavers)
    strict = {"COMMONROOM_LDAP_MAX_DELETE_PERCENT": "0"}
    p = env.cr("directory", "sync", "--full", env=strict, expect=3)
    assert "refusing to remove 3 of" in p.stderr and "--force" in p.stderr
    assert env.people() == before
    assert env.last_run()["status"] == "partial"
    env.cr("directory", "sync", "--force", expect=2)  # --force needs --full
    p = env.cr("directory", "sync", "--full", "--force", env=strict)
    assert "3 removed" in p.stdout
    assert env.people() == before - 3


def test_unreachable_ldap_fails_cleanly_and_changes_nothing(env):
    before = env.people()
    env.stop_slapd()
    try:
        p = env.cr("directory", "sync", "--full", expect=1)
        assert "Can't contact LDAP server" in p.stderr
        assert "unchanged" in p.stderr
        run = env.last_run()
        assert run["status"] == "failed" and "Can't contact LDAP server" in run["error"]
        assert env.people() == before
    finally:
        env.start_slapd()


def test_a_refused_bind_names_the_setting_not_the_service_accounts_dn(env, tmp_path):
    """The bind DN of the service account is kept out of errors, which reach logs, the sync
    history and a /metrics label."""
    secret = tmp_path / "ldap.secret"
    secret.write_text("not-the-password\n", encoding="utf-8")
    secret.chmod(0o600)
    config = tmp_path / "bind.ini"
    config.write_text(env.config.read_text().replace(
        "[ldap]\n", f"[ldap]\nbind_dn = {env.rootdn}\npassword_file = {secret}\n"),
        encoding="utf-8")
    before = env.people()
    p = subprocess.run([str(commonroom_bin()), "--config", str(config), "directory", "sync"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    assert "Invalid credentials" in p.stderr and "[ldap] bind_dn" in p.stderr, p.stderr
    assert "cn=admin" not in p.stderr and "not-the-password" not in p.stderr, p.stderr
    run = env.last_run()
    assert run["status"] == "failed" and "cn=admin" not in run["error"], run
    assert env.people() == before


def test_slow_ldap_times_out_and_changes_nothing(env):
    before = env.people()
    pid = env.slapd_pid()
    os.kill(pid, signal.SIGSTOP)  # accepts connections (the kernel does) but never answers
    try:
        started = time.monotonic()
        p = env.cr("directory", "sync", "--full", expect=1, timeout=60)
        assert time.monotonic() - started < 30
        assert re.search(r"[Tt]imed? ?out", p.stderr), p.stderr
    finally:
        os.kill(pid, signal.SIGCONT)
    assert env.last_run()["status"] == "failed"
    assert env.people() == before


class FreezingProxy(TcpProxy):
    """TCP proxy in front of slapd that stops forwarding the server's replies after
    `after_bytes` (so a sync is stuck mid-search, deterministically) and closes the client
    side when the server goes away."""

    def __init__(self, upstream_port: int, after_bytes: int):
        self.after_bytes = after_bytes
        self.frozen = threading.Event()
        super().__init__(upstream_port)

    def relay(self, data, from_client, conn):
        if from_client:
            return data
        sent = conn.get("sent", 0)
        if sent + len(data) > self.after_bytes:
            self.frozen.set()
            return b""  # swallow: the client waits for a page that never comes
        conn["sent"] = sent + len(data)
        return data


def test_ldap_stopped_mid_sync_removes_nobody_and_the_retry_works(env):
    before = env.people()
    leavers = env.some_uids(4, offset=40)
    env.ldap_delete(*leavers)  # a complete full sync would remove these four
    proxy = FreezingProxy(env.ldap_port, after_bytes=300_000)  # ~1/3 of the people
    sync = subprocess.Popen(
        [str(commonroom_bin()), "--config", str(env.config), "directory", "sync", "--full"],
        env={**os.environ, "COMMONROOM_LDAP_URI": f"ldap://127.0.0.1:{proxy.port}",
             "COMMONROOM_LDAP_OPERATION_TIMEOUT_SECONDS": "60",
             "COMMONROOM_LDAP_BATCH_SIZE": "100"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proxy.frozen.wait(30), "the sync never got a third of the way"
        env.stop_slapd()  # slapd is stopped while the paged search is under way
        out, err = sync.communicate(timeout=60)
    finally:
        if sync.poll() is None:
            sync.kill()
        proxy.close()
    assert sync.returncode == 1, (out, err)
    assert "Can't contact LDAP server" in err and "page" in err, err
    run = env.last_run()
    assert run["status"] == "failed" and run["removed"] == 0
    assert 100 < run["people_seen"] < before, run  # pages had arrived (and were staged)
    assert env.people() == before  # nobody deleted, nobody half-written
    assert int(env.one("SELECT count(*) FROM directory_people WHERE uid IN (%s)"
                       % ",".join(f"'{u}'" for u in leavers))) == 4

    env.start_slapd()  # same database: the retry sees the same directory
    p = env.cr("directory", "sync", "--full")
    assert "4 removed" in p.stdout
    assert env.people() == before - 4


def test_service_schedule_retries_with_backoff_until_ldap_returns(env):
    """`commonroom run` syncs on its own: a failed sync is retried (1 s, 2 s, ...)."""
    env.stop_slapd()
    retry = {"COMMONROOM_LDAP_RETRY_INITIAL_SECONDS": "1", "COMMONROOM_LDAP_RETRY_MAX_SECONDS": "2"}
    # A sync that failed just before the service starts: the service does not wait for the
    # next regular sync (15 minutes away) but retries after the backoff, and keeps backing
    # off while LDAP stays away.
    env.cr("directory", "sync", env=retry, expect=1)
    failed_before = int(env.one("SELECT count(*) FROM directory_sync_runs WHERE status = 'failed'"))
    config = env.root / "run.ini"
    config.write_text(env.config.read_text() + "[admin-web]\nlisten = 127.0.0.1:0\n",
                      encoding="utf-8")
    service = subprocess.Popen([str(commonroom_bin()), "--config", str(config), "run"],
                               env={**os.environ, **retry}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: int(env.one("SELECT count(*) FROM directory_sync_runs "
                                       "WHERE status = 'failed'")) >= failed_before + 2,
                   30, what="two failed scheduled syncs")
        assert service.poll() is None, "the service must keep running without LDAP"
        last_ok = int(env.one("SELECT coalesce(max(id), 0) FROM directory_sync_runs "
                              "WHERE status = 'ok'"))
        env.start_slapd()
        wait_until(lambda: int(env.one("SELECT coalesce(max(id), 0) FROM directory_sync_runs "
                                       "WHERE status = 'ok'")) > last_ok,
                   30, what="a successful sync after LDAP came back")
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            _, err = service.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            _, err = service.communicate()
    assert service.returncode == 0, err
    assert "retrying in" in err


def test_directory_command_reports_usage_and_missing_sections(env, tmp_path):
    p = env.cr("directory", expect=2)
    assert "which subcommand" in p.stderr
    p = env.cr("directory", "frob", expect=2)
    assert 'unknown subcommand "frob"' in p.stderr
    p = env.cr("directory", "opt-out", "not a uid!", expect=1)
    assert "is not a uid" in p.stderr
    bare = tmp_path / "bare.ini"
    bare.write_text("[logging]\nlevel = warning\n", encoding="utf-8")
    p = subprocess.run([str(commonroom_bin()), "--config", str(bare), "directory", "sync"],
                       capture_output=True, text=True)
    assert p.returncode == 1
    assert "[ldap]: missing" in p.stderr and "[database] uri: missing" in p.stderr
    p = env.cr("directory", "status")
    assert re.search(r"^people: \d+$", p.stdout, re.M)
    assert "full sync ok" in p.stdout


def metrics(port: int) -> str:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode("utf-8")


def metrics_when(port: int, check, what: str, timeout: float = 30) -> str:
    """The /metrics text once check(text) holds (the admin web may not be listening yet)."""
    def probe():
        try:
            text = metrics(port)
        except OSError:
            return None
        return text if check(text) else None
    return wait_until(probe, timeout, what=what)


def metric(text: str, name: str) -> float | None:
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def test_sync_status_is_on_the_admin_webs_metrics(env):
    """Operators alert on /metrics: people stored, last success, last failure and its error,
    also for syncs run by `commonroom directory sync` (e.g. from cron), not the service."""
    admin = free_port()
    config = env.root / "metrics.ini"
    # The directory service as deployed (its XMPP server need not be up for this), checking
    # PostgreSQL every second; the sync itself runs from the command line.
    config.write_text(env.config.read_text() + f"""[admin-web]
listen = 127.0.0.1:{admin}
[links]
host = 127.0.0.1
port = {free_port()}
[directory]
domain = directory.cam.example
secret = s3cret
refresh_seconds = 1
""", encoding="utf-8")
    quick = {"COMMONROOM_LDAP_SCHEDULE": "false"}
    service = subprocess.Popen([str(commonroom_bin()), "--config", str(config), "run"],
                               env={**os.environ, **quick}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        text = metrics_when(admin, lambda t: metric(t, "commonroom_directory_status_readable") == 1,
                            "directory figures on /metrics")
        assert metric(text, "commonroom_directory_people") == env.people()
        ok_at = metric(text, 'commonroom_directory_sync_last_success_timestamp_seconds{kind="any"}')
        assert ok_at and abs(ok_at - time.time()) < 600

        # LDAP goes away; the next sync (run from the command line) fails.
        env.stop_slapd()
        try:
            env.cr("directory", "sync", expect=1)
        finally:
            env.start_slapd()
        text = metrics_when(admin, lambda t: 'status="failed"} 1' in t,
                            "the failed sync on /metrics", 15)
        assert re.search(r'^commonroom_directory_sync_last_failure_info\{message="[^"]*'
                         r"Can't contact LDAP server[^\n]*\} 1$", text, re.M), text
        failed_at = metric(text, "commonroom_directory_sync_last_failure_timestamp_seconds")
        assert failed_at and failed_at >= ok_at
        # The last success has not moved; the stored people are still there.
        assert metric(text, 'commonroom_directory_sync_last_success_timestamp_seconds'
                            '{kind="any"}') == ok_at
        assert metric(text, "commonroom_directory_people") == env.people()

        # LDAP is back, someone has left: the next full sync works and /metrics follows.
        gone = env.some_uids(1)
        env.ldap_delete(*gone)
        env.cr("directory", "sync", "--full")
        text = metrics_when(admin, lambda t: 'status="ok"} 1' in t, "the good sync on /metrics",
                            15)
        assert metric(text, 'commonroom_directory_sync_last_success_timestamp_seconds'
                            '{kind="full"}') > failed_at
        metrics_when(admin, lambda t: metric(t, "commonroom_directory_people") == env.people(),
                     "the new people count on /metrics", 15)
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            _, err = service.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            _, err = service.communicate()
    assert service.returncode == 0, err
