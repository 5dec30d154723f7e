"""commonroom's component links against a real Prosody (see link_scenarios.py)."""

from __future__ import annotations

import json

import pytest

import link_scenarios as s
from harness import HostServer, run_dir

REPORT: dict = {}


@pytest.fixture(scope="module")
def host():
    server = HostServer("prosody", run_dir("link-prosody")).start()
    yield server
    server.stop()
    (server.dir.parent / "timings-prosody.json").write_text(json.dumps(REPORT, indent=2))
    print("\nprosody link timings:", json.dumps(REPORT))


def test_services_answer_disco_ping_and_version_through_prosody(host):
    s.services_answer_through_host(host, "answer")


def test_links_come_back_by_themselves_after_the_host_restarts(host):
    s.reconnects_after_host_restart(host, "restart", REPORT.setdefault("restart", {}))


def test_wrong_secret_is_logged_with_domain_and_retried_with_growing_delays(host):
    s.wrong_secret_is_reported_and_retried(host, "wrong-secret",
                                           REPORT.setdefault("wrong_secret", {}))


def test_sigterm_closes_the_streams_and_exits_zero(host):
    s.sigterm_closes_streams_and_exits_zero(host, "sigterm", REPORT.setdefault("sigterm", {}))
