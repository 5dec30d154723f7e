#!/usr/bin/python3
"""commonroom's own share of every request's round trip: the benchmark plays the host
server on loopback (XEP-0114, no real host in between), sends one request, waits for its
answer, and sends the next. What it times is commonroom reading the request from its host
connection, handling it and writing the answer, plus two loopback hops and this script's own
socket calls (the same for every binary compared).

    bench/component_round_trip.py [--rounds N] [--runs K] [--service directory|rooms]
                                  [--request ping|disco] LABEL=BINARY [LABEL=BINARY ...]

Each run starts every binary in turn (alternating, on the same machine load), times
--rounds lockstep round trips after 500 of warm-up, and prints p50/p99 in microseconds and
commonroom's CPU per round trip (from /proc); then a SUMMARY line per binary with the
medians over the runs and the ratio of each p50 to the first binary's. Needs no database:
the directory answers pings and disco#info without its people index, and the rooms run
with `unlogged_rooms_for_development`.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "round-trip-secret"
DOMAINS = {"directory": "directory.bench.example", "rooms": "conference.bench.example"}
CLIENT = "alice@bench.example/desk"
REQUESTS = {
    "ping": "<iq type='get' id='r{n}' from='" + CLIENT + "' to='{to}'>"
            "<ping xmlns='urn:xmpp:ping'/></iq>",
    "disco": "<iq type='get' id='r{n}' from='" + CLIENT + "' to='{to}'>"
             "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def config_text(service: str, port: int) -> str:
    text = (f"[links]\nhost = 127.0.0.1\nport = {port}\n\n"
            f"[{'muc' if service == 'rooms' else 'directory'}]\n"
            f"domain = {DOMAINS[service]}\nsecret = {SECRET}\n")
    if service == "rooms":
        text += "unlogged_rooms_for_development = true\n"
    return text + "\n[logging]\nchannel = console\nlevel = warning\n"


def accept_component(listener: socket.socket, domain: str) -> socket.socket:
    listener.settimeout(30)
    sock, _ = listener.accept()
    sock.settimeout(30)
    buf = b""
    while b"<stream:stream" not in buf or not buf.rstrip().endswith(b">"):
        buf += sock.recv(4096)
    sock.sendall(b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/"
                 b"streams' xmlns='jabber:component:accept' from='" + domain.encode() +
                 b"' id='b0a7'>")
    digest = hashlib.sha1(("b0a7" + SECRET).encode()).hexdigest().encode()
    while b"</handshake>" not in buf:
        buf += sock.recv(4096)
    if digest not in buf:
        raise RuntimeError("commonroom sent a wrong handshake")
    sock.sendall(b"<handshake/>")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def one_binary(binary: str, service: str, request: str, rounds: int) -> dict:
    domain = DOMAINS[service]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    with tempfile.TemporaryDirectory(prefix="round-trip-") as work:
        config = Path(work) / "commonroom.conf"
        config.write_text(config_text(service, listener.getsockname()[1]))
        proc = subprocess.Popen([binary, "--config", str(config), "run"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            sock = accept_component(listener, domain)
            sock.settimeout(None)
            template = REQUESTS[request].replace("{to}", domain)
            # An answer ends with </iq> and carries its request's id.
            times = []
            cpu_before = 0.0
            for n in range(500 + rounds):
                if n == 500:
                    cpu_before = cpu_seconds(proc.pid)
                ident = f"id='r{n}'".encode()
                start = time.perf_counter_ns()
                sock.sendall(template.replace("{n}", str(n)).encode())
                buf = b""
                while not (ident in buf and buf.endswith((b"</iq>", b"/>"))):
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise RuntimeError("commonroom closed the link: " +
                                           proc.stderr.read().decode(errors="replace")[-2000:])
                    buf += chunk
                if n >= 500:
                    times.append((time.perf_counter_ns() - start) / 1000)
            cpu = cpu_seconds(proc.pid) - cpu_before
            sock.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            listener.close()
    times.sort()
    return {"p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)],
            "cpu_us": cpu / rounds * 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="+", metavar="LABEL=BINARY")
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--service", choices=sorted(DOMAINS), default="directory")
    parser.add_argument("--request", choices=sorted(REQUESTS), default="ping")
    args = parser.parse_args()
    variants = []
    for item in args.binaries:
        label, _, binary = item.partition("=")
        if not binary or not os.access(binary, os.X_OK):
            parser.error(f"{item}: expected LABEL=BINARY with an executable BINARY")
        variants.append((label, binary))
    results: dict[str, list[dict]] = {label: [] for label, _ in variants}
    print(f"# {args.service}, {args.request}, {args.rounds} lockstep round trips per run; "
          f"load {os.getloadavg()[0]:.2f}")
    print("| run | binary | p50 µs | p99 µs | commonroom CPU µs per round trip |")
    print("|---|---|---|---|---|")
    for run in range(1, args.runs + 1):
        order = variants if run % 2 else list(reversed(variants))
        for label, binary in order:
            r = one_binary(binary, args.service, args.request, args.rounds)
            results[label].append(r)
            print(f"| {run} | {label} | {r['p50']:.1f} | {r['p99']:.1f} | {r['cpu_us']:.1f} |",
                  flush=True)
    first = variants[0][0]
    base = statistics.median(r["p50"] for r in results[first])
    for label, _ in variants:
        rs = results[label]
        p50 = statistics.median(r["p50"] for r in rs)
        print(f"SUMMARY {label}: p50 {p50:.1f} µs, p99 "
              f"{statistics.median(r['p99'] for r in rs):.1f} µs, CPU "
              f"{statistics.median(r['cpu_us'] for r in rs):.1f} µs per round trip; "
              f"p50 {p50 / base:.2f}x {first}'s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
