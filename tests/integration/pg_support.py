"""PostgreSQL for integration tests: a throwaway cluster on a free port, URI and psql helpers,
and a freshly migrated database per test. One copy, imported by every test that needs it."""
import os
import signal
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from harness import SOURCE_DIR, commonroom_bin, free_port

POSTGRES_SH = SOURCE_DIR / "scripts" / "lib" / "postgres.sh"


def with_database(uri, name):
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def psql(uri, sql):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def psql_eventually(uri, sql, done, timeout=15.0):
    """Reads what the abuse log wrote: events reach PostgreSQL up to a second after the
    users saw them (journal-first, decision 0077). Polls `sql` until done(result) holds and
    returns the result, or the last one on timeout for the caller's assertion to show."""
    deadline = time.monotonic() + timeout
    while True:
        got = psql(uri, sql)
        if done(got) or time.monotonic() >= deadline:
            return got
        time.sleep(0.1)


def pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    assert candidates, f"{name} not found"
    return str(candidates[-1])


class Cluster:
    """A PostgreSQL cluster started with scripts/lib/postgres.sh (fsync on)."""

    def __init__(self, options: str = ""):
        self.dir = tempfile.mkdtemp(prefix="commonroom-test-pg-")
        self.port = free_port()
        self.uri = None
        self.options = options  # extra server options (scripts/lib/postgres.sh PG_OPTIONS)

    def start(self):
        env = dict(os.environ, PG_OPTIONS=self.options) if self.options else None
        out = subprocess.run([str(POSTGRES_SH), "start", self.dir, str(self.port)],
                             capture_output=True, text=True, timeout=180, env=env)
        assert out.returncode == 0, out.stderr
        self.uri = [line.split("=", 1)[1] for line in out.stdout.splitlines()
                    if line.startswith("PG_URI=")][0]

    def crash(self):
        """What a power cut or an OOM kill looks like to clients: no shutdown checkpoint,
        every connection dropped at once."""
        cmd = [pg_bin("pg_ctl"), "-D", os.path.join(self.dir, "data"), "-m", "immediate", "-w",
               "stop"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr

    def _processes(self):
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            postmaster = int(f.readline())
        out = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
        return [postmaster] + [int(p) for p in out.stdout.split()]

    def freeze(self):
        """What a hung server looks like to clients: connections are accepted by the kernel
        and queries sent, but nothing ever answers (SIGSTOP to every server process)."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def stop(self):
        subprocess.run([str(POSTGRES_SH), "stop", self.dir], capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


def migrated_database(pg, directory, prefix="test"):
    """A new database in cluster `pg` with every migration applied by `commonroom migrate`."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    psql(with_database(pg.uri, "postgres"), f"CREATE DATABASE {name}")
    uri = with_database(pg.uri, name)
    ini = directory / "migrate.ini"
    ini.write_text(f"[database]\nuri = {uri}\n")
    ini.chmod(0o600)
    out = subprocess.run([str(commonroom_bin()), "--config", str(ini), "migrate"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return uri
