"""PostgreSQL failover: commonroom runs against a primary and its streaming replica named
together in one multi-host URI (target_session_attrs=read-write). Mid-conversation the
primary is stopped and the replica promoted; commonroom reconnects to the new primary and
every message a client received is in its room_events (the abuse log's journal holds what
arrived while neither server took writes). docs/scaling.md describes this setup."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import (MUC_DOMAIN, XMPP_DOMAIN, Commonroom, CommonroomConfig, HostServer,
                     free_port, run_coroutine, run_dir, wait_until)
from pg_support import Cluster, migrated_database, pg_bin, psql
from test_event_log_e2e import traffic


def as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


class Replica:
    """A streaming replica of `primary` made with pg_basebackup -R, on its own port."""

    def __init__(self, primary: Cluster):
        self.dir = tempfile.mkdtemp(prefix="commonroom-test-pg-replica-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o755)
        run(as_postgres([pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                         "-U", "postgres", "-D", self.data, "-R", "-X", "stream",
                         "-c", "fast"]))

    def ctl(self, *args: str) -> None:
        run(as_postgres([pg_bin("pg_ctl"), "-D", self.data, *args]))

    def start(self) -> None:
        self.ctl("-l", os.path.join(self.dir, "postgres.log"), "-w", "-t", "60", "-o",
                 f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}", "start")

    def stop(self) -> None:
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w",
                                    "stop"]), capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


def run(cmd: list[str]) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, f"{cmd[0:5]}: {out.stderr}"


def stop_primary(primary: Cluster) -> None:
    # A fast shutdown: clients are disconnected, and the replica receives every WAL record
    # the primary wrote before it goes (an orderly failover, nothing committed is lost).
    run(as_postgres([pg_bin("pg_ctl"), "-D", os.path.join(primary.dir, "data"), "-m", "fast",
                     "-w", "stop"]))


@pytest.fixture
def clusters():
    primary = Cluster()
    primary.start()
    replica = None
    try:
        replica = Replica(primary)
        replica.start()
        yield primary, replica
    finally:
        if replica:
            replica.stop()
        primary.stop()


@pytest.fixture
def prosody():
    server = HostServer("prosody", run_dir("pg-failover-host"), components={MUC_DOMAIN: "s3cret"})
    server.start()
    yield server
    server.stop()


def test_commonroom_follows_the_promoted_replica_and_loses_no_event(clusters, prosody):
    primary, replica = clusters
    directory = run_dir("pg-failover")
    single = migrated_database(primary, directory)
    name = single.rsplit("/", 1)[1]
    wait_until(lambda: psql(f"postgresql://postgres@127.0.0.1:{replica.port}/postgres",
                            f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1",
               30, interval=0.2, what="the database on the replica")
    both = (f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{replica.port}/{name}"
            "?target_session_attrs=read-write&connect_timeout=3")
    on_replica = f"postgresql://postgres@127.0.0.1:{replica.port}/{name}"
    config = CommonroomConfig(link_port=prosody.component_port, muc=(MUC_DOMAIN, "s3cret"),
                              directory=None, database_uri=both,
                              extra={"abuse-log": {"journal_dir": str(directory / "journal")},
                                     "policy": {"messages_per_minute": "0"}})
    service = Commonroom(directory, config).start()
    try:
        service.wait_connected([MUC_DOMAIN])
        on_primary = f"postgresql://postgres@127.0.0.1:{primary.port}/{name}"
        wait_until(lambda: psql(on_primary, "SELECT count(*) FROM pg_stat_activity WHERE "
                                            f"datname = '{name}'") != "0",
                   15, interval=0.2, what="commonroom's connections to the primary")

        def failover():
            stop_primary(primary)
            time.sleep(0.5)  # alice keeps talking: nobody takes writes now
            replica.ctl("-w", "promote")

        received, sent = run_coroutine(traffic(prosody.c2s_port, 4.0, failover))
        assert len(received) >= 20, f"bob received only {len(received)}:\n" + \
            service.log_text()[-2000:]
        # It noticed (the journal took over) and came back (on the only writable server).
        service.wait_for_log(r"abuse log: .*events go to the journal", timeout=30)
        service.wait_for_log(r"abuse log: connected to PostgreSQL at ", timeout=60)
        wanted = set(received)

        def all_logged():
            rows = psql(on_replica, "SELECT body FROM room_events WHERE kind = 'groupchat' "
                                    f"AND actor_jid = 'alice@{XMPP_DOMAIN}/e2e'")
            return wanted <= set(rows.split())

        try:
            wait_until(all_logged, 60, interval=0.2, what="received messages on the new primary")
        except TimeoutError:
            rows = set(psql(on_replica, "SELECT body FROM room_events").split())
            missing = sorted(wanted - rows)
            raise AssertionError(f"{len(missing)} of {len(wanted)} received messages are not "
                                 f"in the new primary's log, e.g. {missing[:5]}\n"
                                 f"{service.log_text()[-3000:]}")
        assert psql(on_replica, "SELECT count(DISTINCT event_id) = count(*) FROM room_events") \
            == "t"
        assert service.running()
    finally:
        assert service.stop(timeout=30) == 0
