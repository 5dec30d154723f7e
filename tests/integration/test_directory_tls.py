"""Directory sync over TLS, as Lookup is reached in production: a real slapd with a
certificate from a throwaway CA (scripts/lib/slapd.sh with SLAPD_TLS_PORT), a real
PostgreSQL, `commonroom directory sync --full`.

- StartTLS on ldap:// and LDAPS, with `ca_file` naming the CA: the sync stores everyone,
  and slapd's log shows the connection was encrypted.
- A CA file that did not sign the server's certificate (or none, so the system trust
  store): the sync fails with an error naming the certificate problem and the CA file, is
  recorded as failed, and deletes nobody.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from harness import SOURCE_DIR, commonroom_bin, free_port, run_dir

SCRIPTS = SOURCE_DIR / "scripts"
PEOPLE = 300


class Env:
    def __init__(self, root: Path):
        self.root = root
        self.ldif = root / "lookup.ldif"
        with open(self.ldif, "w", encoding="utf-8") as out:
            subprocess.run([str(SCRIPTS / "gen-lookup-ldif"), "--people", str(PEOPLE), "--seed",
                            "5"], stdout=out, check=True)
        self.pg_dir = root / "pg"
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / "postgres.sh"), "start",
                              str(self.pg_dir), str(free_port())],
                             env={**os.environ, "PG_FAST": "1"}, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        self.pg_uri = re.search(r"PG_URI=(\S+)", out.stdout).group(1)
        self.ldap_dir = root / "slapd"
        self.ldap_port, self.ldaps_port = free_port(), free_port()
        out = subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "start",
                              str(self.ldap_dir), str(self.ldap_port), str(self.ldif)],
                             env={**os.environ, "SLAPD_TLS_PORT": str(self.ldaps_port)},
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        printed = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        self.ldaps_uri = printed["LDAPS_URI"]
        self.ca_file = printed["LDAP_CA_FILE"]
        assert self.ldaps_uri == f"ldaps://127.0.0.1:{self.ldaps_port}"
        # A second CA, unrelated to the server's certificate.
        self.other_ca = root / "other-ca.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                        str(root / "other-ca.key"), "-out", str(self.other_ca), "-days", "2",
                        "-subj", "/CN=some other CA"], capture_output=True, check=True)
        self.config = root / "commonroom.ini"
        self.configure(f"ldap://127.0.0.1:{self.ldap_port}")
        self.cr("migrate")

    def configure(self, uri: str, starttls: bool = False, ca_file: str | None = None) -> None:
        ldap = f"uri = {uri}\n"
        if starttls:
            ldap += "starttls = true\n"
        if ca_file:
            ldap += f"ca_file = {ca_file}\n"
        self.config.write_text(f"""[database]
uri = {self.pg_uri}
[ldap]
{ldap}page_size = 100
network_timeout_seconds = 5
operation_timeout_seconds = 10
[logging]
level = warning
level.directory = information
""", encoding="utf-8")

    def cr(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
        p = subprocess.run([str(commonroom_bin()), "--config", str(self.config), *args],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == expect, (
            f"commonroom {' '.join(args)} exited {p.returncode}, expected {expect}\n"
            f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def one(self, query: str) -> str:
        p = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", self.pg_uri],
                           input=query, capture_output=True, text=True, check=True)
        return p.stdout.strip()

    def people(self) -> int:
        return int(self.one("SELECT count(*) FROM directory_people"))

    def last_run(self) -> tuple[str, str]:
        status, error = self.one("SELECT status, coalesce(error, '') FROM directory_sync_runs "
                                 "ORDER BY id DESC LIMIT 1").split("|", 1)
        return status, error

    def tls_connections(self) -> int:
        """Connections slapd has encrypted so far (its stats log says so for each)."""
        return (self.ldap_dir / "slapd.log").read_text(errors="replace").count("TLS established")

    def remove_person(self) -> str:
        """Deletes someone from LDAP (so a full sync that works removes them)."""
        uid = self.one("SELECT uid FROM directory_people ORDER BY uid LIMIT 1")
        subprocess.run(["ldapdelete", "-x", "-H", f"ldap://127.0.0.1:{self.ldap_port}", "-D",
                        f"cn=admin,o=University of Cambridge,dc=cam,dc=ac,dc=uk", "-w",
                        "commonroom-ldap-admin",
                        f"uid={uid},ou=people,o=University of Cambridge,dc=cam,dc=ac,dc=uk"],
                       capture_output=True, check=True)
        return uid

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPTS / "lib" / "slapd.sh"), "stop", str(self.ldap_dir)])
        subprocess.run(["bash", str(SCRIPTS / "lib" / "postgres.sh"), "stop", str(self.pg_dir)])


@pytest.fixture(scope="module")
def env():
    e = Env(run_dir("directory-tls"))
    yield e
    e.stop()


def test_tls_to_a_server_that_is_down_is_not_blamed_on_the_certificate(env):
    env.configure(f"ldaps://127.0.0.1:{free_port()}", ca_file=env.ca_file)
    p = env.cr("directory", "sync", "--full", expect=1)
    assert "Can't contact LDAP server" in p.stderr, p.stderr
    assert "the server is down or does not speak TLS there" in p.stderr, p.stderr
    assert "certificate was refused" not in p.stderr, p.stderr
    assert env.last_run()[0] == "failed"


def test_full_sync_over_starttls_with_the_ca_file(env):
    env.configure(f"ldap://127.0.0.1:{env.ldap_port}", starttls=True, ca_file=env.ca_file)
    encrypted = env.tls_connections()
    p = env.cr("directory", "sync", "--full")
    assert re.search(rf"full sync ok in [\d.]+ s: {PEOPLE} people seen", p.stdout), p.stdout
    assert env.people() == PEOPLE
    assert env.tls_connections() > encrypted
    assert env.last_run()[0] == "ok"


def test_full_sync_over_ldaps_with_the_ca_file(env):
    gone = env.remove_person()
    env.configure(env.ldaps_uri, ca_file=env.ca_file)
    encrypted = env.tls_connections()
    p = env.cr("directory", "sync", "--full")
    assert re.search(rf"full sync ok in [\d.]+ s: {PEOPLE - 1} people seen", p.stdout), p.stdout
    assert "1 removed" in p.stdout
    assert env.people() == PEOPLE - 1
    assert env.one(f"SELECT count(*) FROM directory_people WHERE uid = '{gone}'") == "0"
    assert env.tls_connections() > encrypted


@pytest.mark.parametrize("way", ["starttls", "ldaps"])
@pytest.mark.parametrize("ca", ["another CA", "system trust store"])
def test_certificate_from_an_unknown_ca_fails_clearly_and_deletes_nobody(env, way, ca):
    before = env.people()
    assert before > 0
    # Someone leaves LDAP: a sync that went through would remove them.
    env.remove_person()
    ca_file = str(env.other_ca) if ca == "another CA" else None
    if way == "starttls":
        env.configure(f"ldap://127.0.0.1:{env.ldap_port}", starttls=True, ca_file=ca_file)
    else:
        env.configure(env.ldaps_uri, ca_file=ca_file)

    p = env.cr("directory", "sync", "--full", expect=1)
    where = f"ca_file {env.other_ca}" if ca_file else "the system trust store"
    # Which step failed, and why: the certificate, not the network.
    step = "StartTLS" if way == "starttls" else "anonymous bind"
    assert step in p.stderr, p.stderr
    assert ("the server's TLS certificate was refused: it is not signed by a CA in "
            f"{where}") in p.stderr, p.stderr
    assert "unchanged" in p.stderr, p.stderr
    status, error = env.last_run()
    assert status == "failed"
    assert where in error, error
    assert env.people() == before

    # With the right CA file the same sync goes through (and removes the leaver).
    if way == "starttls":
        env.configure(f"ldap://127.0.0.1:{env.ldap_port}", starttls=True, ca_file=env.ca_file)
    else:
        env.configure(env.ldaps_uri, ca_file=env.ca_file)
    p = env.cr("directory", "sync", "--full")
    assert "1 removed" in p.stdout, p.stdout
    assert env.people() == before - 1
