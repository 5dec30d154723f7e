"""The component-link scenarios, run against each host server by test_link_<server>.py:
services answer through the host, reconnect after a host restart, a wrong secret is
reported and retried with growing delays, SIGTERM closes the streams and exits 0."""

from __future__ import annotations

import re
import signal
import subprocess
import time

from harness import (DIRECTORY_DOMAIN, MUC_DOMAIN, USERS, XMPP_DOMAIN, Commonroom,
                     CommonroomConfig, HostServer, commonroom_bin, disco_identities, ping,
                     software_version, xmpp_session)

BOTH = [MUC_DOMAIN, DIRECTORY_DOMAIN]


def binary_version() -> str:
    out = subprocess.run([str(commonroom_bin()), "--version"], capture_output=True, text=True,
                         check=True).stdout
    return out.split()[-1]


def ask_services(host: HostServer) -> dict:
    """As alice, through the host server: disco#info, ping and version of both services."""

    async def body(client):
        return {
            "muc_identities": await disco_identities(client, MUC_DOMAIN),
            "directory_identities": await disco_identities(client, DIRECTORY_DOMAIN),
            "muc_ping": await ping(client, MUC_DOMAIN),
            "directory_ping": await ping(client, DIRECTORY_DOMAIN),
            "muc_version": await software_version(client, MUC_DOMAIN),
            "directory_version": await software_version(client, DIRECTORY_DOMAIN),
        }

    return xmpp_session(host.c2s_port, f"alice@{XMPP_DOMAIN}/link-test", USERS["alice"], body)


def assert_services_answer(host: HostServer) -> None:
    r = ask_services(host)
    muc = [(i[0], i[1]) for i in r["muc_identities"]]
    directory = [(i[0], i[1]) for i in r["directory_identities"]]
    assert ("conference", "text") in muc, r["muc_identities"]
    assert ("directory", "user") in directory, r["directory_identities"]
    version = binary_version()
    for key in ("muc_version", "directory_version"):
        assert r[key]["name"] == "commonroom", r[key]
        assert r[key]["version"] == version, r[key]
    # A ping answered at all means a result came back (an error raises); bound the latency.
    assert r["muc_ping"] < 2 and r["directory_ping"] < 2, r


def start_commonroom(host: HostServer, name: str, **overrides) -> Commonroom:
    # The link scenarios need no abuse log: rooms run unlogged (and say so).
    overrides.setdefault("unlogged_rooms_for_development", True)
    config = CommonroomConfig(link_port=host.component_port, **overrides)
    return Commonroom(host.dir.parent, config, name=name).start()


# ----------------------------------------------------------------------------- scenarios

def services_answer_through_host(host: HostServer, name: str) -> None:
    cr = start_commonroom(host, name)
    try:
        cr.wait_connected(BOTH, timeout=15)
        assert_services_answer(host)
        status = cr.log_text()
        assert "refused" not in status, status
    finally:
        assert cr.stop() == 0


def reconnects_after_host_restart(host: HostServer, name: str, report: dict) -> None:
    cr = start_commonroom(host, name, backoff_initial_ms=200, backoff_max_ms=2000)
    try:
        cr.wait_connected(BOTH, timeout=15)
        assert_services_answer(host)

        mark = cr.log_mark()
        t0 = time.monotonic()
        host.restart()
        t_up = time.monotonic()
        cr.wait_connected(BOTH, timeout=15, after=mark)
        t_linked = time.monotonic()
        report["host_restart_s"] = round(t_up - t0, 2)
        report["reconnect_after_host_up_s"] = round(t_linked - t_up, 2)
        report["reconnect_after_restart_began_s"] = round(t_linked - t0, 2)

        # The drop was noticed and explained, per domain, and answered with a retry.
        after = cr.log_text()[mark:]
        for d in BOTH:
            assert re.search(rf"{re.escape(d)}: .*; retrying in \d+\.\d s", after), after
        assert cr.running()
        # Host restarted within ~2.5 s of asking; links back within a few seconds of it.
        assert t_linked - t_up < 5, report
        assert_services_answer(host)
    finally:
        assert cr.stop() == 0


def wrong_secret_is_reported_and_retried(host: HostServer, name: str, report: dict) -> None:
    cr = start_commonroom(host, name, muc=(MUC_DOMAIN, "not-the-secret"), directory=None,
                          backoff_initial_ms=400, backoff_max_ms=60000)
    try:
        lines = cr.wait_for_log(
            rf"{re.escape(MUC_DOMAIN)}: .*not-authorized.*retrying in", timeout=15, count=4)
        assert cr.running(), "commonroom died on a refused secret"
        failures = [l for l in cr.log_lines()
                    if l.logger == "link" and "not-authorized" in l.text]
        assert len(failures) >= 4, [l.text for l in failures]
        first = failures[0].text
        assert first.startswith(f"{MUC_DOMAIN}: "), first
        assert "refused the component secret" in first, first
        assert failures[0].level in ("Warning", "Error"), failures[0]
        # The time between attempts grows: the announced delays and the observed gaps.
        announced = [float(re.search(r"retrying in (\d+\.\d) s", l.text).group(1))
                     for l in failures]
        gaps = [(b.time - a.time).total_seconds() for a, b in zip(failures, failures[1:])]
        report["announced_delays_s"] = announced[:5]
        report["observed_gaps_s"] = [round(g, 3) for g in gaps[:4]]
        # Jitter keeps each delay within [d/2, d) of a doubling d, so delays never shrink
        # (announced values are rounded to 0.1 s, hence >=) and two steps at least double.
        assert all(b >= a for a, b in zip(announced, announced[1:4])), announced
        assert announced[2] >= 2 * announced[0], announced
        # Observed gaps add the connect and refusal time (a few ms) to each delay.
        assert all(b > 0.8 * a for a, b in zip(gaps, gaps[1:3])), gaps
        assert gaps[2] > 1.5 * gaps[0], gaps
        # No connect storm: with 400 ms initial, four attempts take well over a second.
        assert sum(gaps[:3]) > 1.2, gaps
        assert "Segmentation" not in cr.log_text()
    finally:
        assert cr.stop() == 0


def sigterm_closes_streams_and_exits_zero(host: HostServer, name: str, report: dict) -> None:
    cr = start_commonroom(host, name)
    cr.wait_connected(BOTH, timeout=15)
    mark = cr.log_mark()
    host_mark = len(host.log_text())
    t0 = time.monotonic()
    cr.signal(signal.SIGTERM)
    rc = cr.proc.wait(timeout=10)
    elapsed = time.monotonic() - t0
    cr.stop()
    report["sigterm_exit_s"] = round(elapsed, 3)
    assert rc == 0, cr.log_text()
    assert elapsed < 3, f"took {elapsed:.2f} s to exit"
    after = cr.log_text()[mark:]
    for d in BOTH:
        # Our </stream:stream> went out and the server's came back before the socket closed.
        assert re.search(rf"{re.escape(d)}: stream closed$", after, re.M), after
        assert not re.search(rf"{re.escape(d)}: .*retrying", after), after
    report["host_log_after_sigterm"] = host.log_text()[host_mark:][-600:]
