#!/usr/bin/python3
"""Rooms end to end, as users see them: one room of N occupants, every occupant a real
client connection through the host server's c2s port (bench/muc_load_bench), for several
systems side by side in one run, on throwaway servers (tests/integration/harness.py):

  commonroom     commonroom through Prosody with its fan-out module (deploy/prosody/)
  commonroom-1x1 commonroom through Prosody without it (one stanza per recipient)
  prosody-muc    Prosody's own mod_muc + mod_muc_mam (stanza-id and occupant-id as ours)
  ejabberd-cr    commonroom through ejabberd with mod_multicast as deploy/ejabberd-service.yml
                 enables it (XEP-0033: one stanza per chunk of recipients)
  ejabberd-cr-1x1  commonroom through ejabberd without it (one stanza per recipient)
  ejabberd-muc   ejabberd's own mod_muc + mod_mam (the packaged default_room_options)

For each system and room size: a saturate phase (senders keep messages in flight; the
delivered rate is the throughput at the knee), a phase at half that rate (latency), and one
at --same-rate deliveries per second for every system (latency at equal load).
CPU time comes from /proc for the host server, commonroom and PostgreSQL (the abuse log,
on as in production) over the saturate phase; peak RSS is VmHWM. Prints a markdown table
with medians over --runs runs and ratios against commonroom measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "integration"))

from harness import (DIRECTORY_DOMAIN, DIRECTORY_SECRET, MUC_DOMAIN, MUC_SECRET,  # noqa: E402
                     XMPP_DOMAIN, Commonroom, CommonroomConfig, HostServer, run_dir)
from pg_support import Cluster, migrated_database  # noqa: E402

SYSTEMS = {
    "commonroom": "commonroom via Prosody, fan-out module",
    "commonroom-1x1": "commonroom via Prosody, one stanza per recipient",
    "prosody-muc": "Prosody mod_muc + mod_muc_mam",
    "ejabberd-cr": "commonroom via ejabberd, mod_multicast",
    "ejabberd-cr-1x1": "commonroom via ejabberd, one stanza per recipient",
    "ejabberd-muc": "ejabberd mod_muc + mod_mam",
}
# Ratios are taken against commonroom through the same host server.
REFERENCE = {"commonroom": "commonroom", "commonroom-1x1": "commonroom",
             "prosody-muc": "commonroom", "ejabberd-cr": "ejabberd-cr",
             "ejabberd-cr-1x1": "ejabberd-cr", "ejabberd-muc": "ejabberd-cr"}


def host_kind(system: str) -> str:
    return "ejabberd" if system.startswith("ejabberd") else "prosody"


def is_commonroom(system: str) -> bool:
    return system.startswith("commonroom") or system.startswith("ejabberd-cr")


# ejabberd's own rooms: Debian's packaged mod_muc options (rooms archived: mam: true), with
# mod_mam, and room sizes up to the largest measured (mod_muc's default is 200).
EJABBERD_MUC_MODULES = """  mod_mam: {}
  mod_muc:
    access:
      - allow
    access_create: local
    access_persistent: local
    access_mam:
      - allow
    max_users: 1000
    default_room_options:
      mam: true
      max_users: 1000
"""


def ejabberd_multicast_modules() -> str:
    """deploy/ejabberd-service.yml's modules, for the test domain: what operators install."""
    import yaml
    snippet = (HERE.parent / "deploy" / "ejabberd-service.yml").read_text()
    modules = yaml.safe_load(snippet.replace("cam.ac.uk", XMPP_DOMAIN))["modules"]
    text = yaml.safe_dump(modules, sort_keys=False)
    return "".join("  " + line + "\n" for line in text.splitlines())
PROSODY_MUC_CONFIG = f"""Component "{MUC_DOMAIN}" "muc"
  modules_enabled = {{ "muc_mam" }}
"""
TICKS = os.sysconf("SC_CLK_TCK")


def load_bench_bin() -> Path:
    build = Path(os.environ.get("COMMONROOM_BUILD_DIR") or HERE.parent / "build")
    return build / "bench" / "muc_load_bench"


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def peak_rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


class Run:
    """One system, one room size: servers up, load applied, figures collected, servers down."""

    # The hosts' room settings and commonroom's [policy] beyond the defaults (a subclass with
    # another load, bench/campus_day.py, adds its own).
    prosody_muc_config = PROSODY_MUC_CONFIG
    ejabberd_muc_modules = EJABBERD_MUC_MODULES
    policy = {"messages_per_minute": "0", "max_users_default": "1000", "max_users": "1000"}

    def __init__(self, system: str, occupants: int, args, pg: Cluster | None):
        self.system, self.occupants, self.args, self.pg = system, occupants, args, pg
        self.dir = run_dir(f"bench-{system}-{occupants}")
        self.host: HostServer | None = None
        self.commonroom: Commonroom | None = None

    def start(self) -> None:
        accounts = max(1, min(self.occupants, 10))
        users = {f"u{i}": f"pw{i}" for i in range(accounts)}
        self.users = users
        env_before = dict(os.environ)
        kind = host_kind(self.system)
        try:
            extra_modules = {"ejabberd-muc": self.ejabberd_muc_modules,
                             "ejabberd-cr": ejabberd_multicast_modules()}.get(self.system)
            if extra_modules:
                extra = self.dir / "extra-modules.yml"
                extra.write_text(extra_modules)
                extra.chmod(0o644)
                os.environ["EJABBERD_EXTRA_MODULES"] = str(extra)
            if self.args.perf:
                # So that perf can name what the JIT compiled (/tmp/perf-PID.map).
                os.environ["EJABBERD_ERL_OPTIONS"] = "+JPperf true"
            extra_config = self.prosody_muc_config if self.system == "prosody-muc" else ""
            if self.args.lua_profile:
                os.environ["PROSODY_PLUGIN_DIR"] = str(HERE / "prosody")
                extra_config += (f'VirtualHost "{XMPP_DOMAIN}"\n'
                                 '  modules_enabled = { "bench_lua_profile" }\n')
            if extra_config:
                extra = self.dir / "extra.cfg.lua"
                extra.write_text(extra_config)
                extra.chmod(0o644)
                os.environ["PROSODY_EXTRA_CONFIG"] = str(extra)
            if self.system in ("prosody-muc", "ejabberd-muc"):
                # scripts/lib/prosody.sh waits for the component port: keep one component.
                components = {DIRECTORY_DOMAIN: DIRECTORY_SECRET}
            else:
                components = {MUC_DOMAIN: MUC_SECRET}
                if self.system == "commonroom-1x1":
                    os.environ["PROSODY_FANOUT"] = "off"
            self.host = HostServer(kind, self.dir, components=components, users=users).start()
        finally:
            os.environ.clear()
            os.environ.update(env_before)
        if is_commonroom(self.system):
            uri = migrated_database(self.pg, self.dir, prefix="bench")
            cfg = CommonroomConfig(
                link_port=self.host.component_port, directory=None, database_uri=uri,
                extra={"policy": self.policy})
            self.commonroom = Commonroom(self.dir, cfg).start()
            self.commonroom.wait_connected([MUC_DOMAIN], timeout=30)
            # The fan-out questions are answered right after the handshake: the module's, then
            # on ejabberd the two multicast ones.
            if self.system == "ejabberd-cr":
                self.commonroom.wait_for_log(r"fans out for us", timeout=10)
            else:
                self.commonroom.wait_for_log(r"fan-out module|fans out for us", timeout=10,
                                             count=3 if kind == "ejabberd" else 1)

    def host_pids(self) -> list[int]:
        if self.host.kind == "ejabberd":
            beam = int((self.host.dir / "run" / "ejabberd.pid").read_text().split()[0])
            return [beam] + children(beam)
        return [int((self.host.dir / "prosody.run").read_text().split()[0])]

    def component_pids(self) -> list[int]:
        return [self.commonroom.proc.pid] if self.commonroom else []

    def database_pids(self) -> list[int]:
        if not self.commonroom:
            return []
        with open(os.path.join(self.pg.dir, "data", "postmaster.pid")) as f:
            postmaster = int(f.readline())
        return [postmaster] + children(postmaster)

    def measure(self) -> dict:
        room = f"bench{self.occupants}@{MUC_DOMAIN}"
        senders = min(self.occupants, self.args.senders)
        # Enough in flight to keep a small room's servers busy too: about 1,000 deliveries.
        window = self.args.window or max(2, -(-1000 // (senders * self.occupants)))
        cmd = [str(load_bench_bin()), "--port", str(self.host.c2s_port), "--domain", XMPP_DOMAIN,
               "--room", room, "--users", ",".join(f"{u}:{p}" for u, p in self.users.items()),
               "--occupants", str(self.occupants), "--senders", str(senders),
               "--window", str(window), "--seconds", str(self.args.seconds),
               "--rate", str(self.args.same_rate / self.occupants),
               "--phases", "saturate" if self.args.lua_profile else "storm,saturate,half,rate",
               "--storm-seconds", str(self.args.storm_seconds),
               "--storm-timeout", str(self.args.storm_timeout), "--history", "20",
               "--show-stanza"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # stderr is read as it comes (the storm's progress is shown live, and a long storm
        # must not fill the pipe).
        err_lines: list[str] = []

        def read_stderr():
            for line in proc.stderr:
                err_lines.append(line)
                if not line.startswith("<"):
                    print(f"  [{self.system}/{self.occupants}] {line.rstrip()}",
                          file=sys.stderr, flush=True)
        err_reader = threading.Thread(target=read_stderr, daemon=True)
        err_reader.start()
        result: dict = {}
        groups = {"host": self.host_pids(), "component": self.component_pids(),
                  "database": self.database_pids()}
        before = {}
        phase = None
        for line in proc.stdout:
            line = line.strip()
            if line.startswith("BEGIN "):
                phase = line.split()[1]
                before = {k: cpu_seconds(v) for k, v in groups.items()}
                if phase == "saturate" and self.args.perf:
                    perf = self.start_perf()
                if self.args.lua_profile:
                    profile_before = self.lua_profile()
            elif line.startswith("{"):
                figures = json.loads(line)
                for k, v in groups.items():
                    figures[f"{k}_cpu_s"] = cpu_seconds(v) - before[k]
                result[phase] = figures
        proc.wait()
        err_reader.join()
        err = "".join(err_lines)
        if self.args.perf:
            result["perf"] = self.perf_report(perf)
        if proc.wait() != 0:
            raise RuntimeError(f"muc_load_bench failed for {self.system}/{self.occupants}: {err}")
        result["stanza"] = next((l for l in err.splitlines() if l.startswith("<message")), "")
        if self.args.lua_profile:
            time.sleep(0.6)  # the profile file is rewritten every quarter second
            after = self.lua_profile()
            result["lua_profile"] = {k: v - profile_before.get(k, 0) for k, v in after.items()}
        result["host_rss_mib"] = peak_rss_mib(self.host_pids())
        result["component_rss_mib"] = peak_rss_mib(self.component_pids())
        return result

    def start_perf(self) -> subprocess.Popen:
        """perf record of the host server for the length of the saturate phase."""
        return subprocess.Popen(
            ["perf", "record", "-e", "cpu-clock", "-g", "-o", str(self.dir / "perf.data"),
             "-p", str(self.host_pids()[0]), "--", "sleep", str(self.args.seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def perf_report(self, perf: subprocess.Popen) -> str:
        """Where the host's samples went: the top symbols, self time."""
        perf.wait()
        out = subprocess.run(
            ["perf", "report", "-i", str(self.dir / "perf.data"), "--stdio", "--no-children",
             "--sort", "sym", "-g", "none", "--percent-limit", "0.7"],
            capture_output=True, text=True).stdout
        lines = [l for l in out.splitlines() if l.strip() and not l.startswith("#")]
        return "\n".join(lines[:40])

    def lua_profile(self) -> dict[str, int]:
        """Samples of 1000 Lua VM instructions by function, from mod_bench_lua_profile."""
        counts = {}
        try:
            lines = (self.host.dir / "data" / "lua-profile.txt").read_text().splitlines()[1:]
        except OSError:
            return counts
        for line in lines:
            n, where = line.split("\t", 1)
            counts[where] = int(n)
        return counts

    def stop(self) -> None:
        if self.commonroom:
            self.commonroom.stop(timeout=30)
        if self.host:
            self.host.stop()
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def summarize(samples: list[dict]) -> dict:
    """Medians over runs of the figures the table shows."""
    def med(f):
        return statistics.median(f(s) for s in samples)

    def per_million(s, key):
        d = s["saturate"]["delivered"]
        return s["saturate"][key] / d * 1e6 if d else float("nan")

    return {
        "delivered_per_s": med(lambda s: s["saturate"]["delivered_per_s"]),
        "p50_ms": med(lambda s: s["half"]["p50_ms"]),
        "p99_ms": med(lambda s: s["half"]["p99_ms"]),
        "same_p50_ms": med(lambda s: s["rate"]["p50_ms"]),
        "same_p99_ms": med(lambda s: s["rate"]["p99_ms"]),
        "host_cpu": med(lambda s: per_million(s, "host_cpu_s")),
        "component_cpu": med(lambda s: per_million(s, "component_cpu_s")),
        "database_cpu": med(lambda s: per_million(s, "database_cpu_s")),
        "total_cpu": med(lambda s: per_million(s, "host_cpu_s") + per_million(s, "component_cpu_s")
                         + per_million(s, "database_cpu_s")),
        "loadgen_cpu": med(lambda s: per_million(s, "loadgen_cpu_s")),
        "lost": max(s["saturate"]["lost"] + s["half"]["lost"] + s["rate"]["lost"]
                    for s in samples),
        "host_rss": med(lambda s: s["host_rss_mib"]),
        "stanza_bytes": med(lambda s: len(s["stanza"].encode())),
        "join_s": med(lambda s: s["storm"]["storm_s"] if "storm" in s
                      else s["saturate"]["join_s"]),
        "join_p99_ms": med(lambda s: s["storm"]["self_p99_ms"] if "storm" in s else float("nan")),
        "history_p99_ms": med(lambda s: s["storm"]["history_p99_ms"] if "storm" in s
                              else float("nan")),
        "component_rss": med(lambda s: s["component_rss_mib"]),
    }


def total_cpu(sample: dict) -> float:
    s = sample["saturate"]
    return (s["host_cpu_s"] + s["component_cpu_s"] + s["database_cpu_s"]) / max(1, s["delivered"])


def run_ratios(raw: dict, system: str, n: int) -> tuple[float, float] | None:
    """Medians over runs of (throughput, total CPU) of `system` over commonroom's, each
    ratio taken within one run (the noise of a shared machine hits both alike)."""
    mine, ref = raw.get(f"{system}/{n}"), raw.get(f"{REFERENCE[system]}/{n}")
    if not mine or not ref:
        return None
    pairs = list(zip(mine, ref))
    tp = statistics.median(a["saturate"]["delivered_per_s"] / b["saturate"]["delivered_per_s"]
                           for a, b in pairs)
    cpu = statistics.median(total_cpu(a) / total_cpu(b) for a, b in pairs)
    return tp, cpu


def table(results: dict, raw: dict, sizes: list[int], systems: list[str], runs: int,
          same_rate: float, storm_seconds: float = 2.0) -> str:
    lines = [
        f"Medians of {runs} run(s). CPU in CPU-seconds per million delivered messages over the "
        "saturate phase; latency at half each system's saturating rate and at one delivered "
        "rate for all; join storm: all but the first client ask to join within "
        f"{storm_seconds:g} s, asking for 20 messages of history; seconds until every "
        "client has every occupant's presence and its history, and the p99 over the newcomers "
        "of join to own presence / to the last history message; ratios are this system's "
        "figure over commonroom's through the same host within each run, median over the runs.",
        "",
        f"| occupants | system | delivered msgs/s | p50 / p99 ms at half | p50 / p99 ms at "
        f"{same_rate:,.0f}/s | host CPU | commonroom CPU "
        "| PostgreSQL CPU | total CPU | load generator CPU | lost | host RSS MiB "
        "| commonroom RSS MiB | bytes per delivered stanza | join storm s (p99 ms own presence / history) "
        "| throughput ratio | total CPU ratio |",
        "|---" * 17 + "|",
    ]
    for n in sizes:
        for system in systems:
            r = results.get((system, n))
            if not r:
                continue
            ratios = run_ratios(raw, system, n)
            ratio_tp = f"{ratios[0]:.2f}" if ratios else "-"
            ratio_cpu = f"{ratios[1]:.2f}" if ratios else "-"
            is_cr = is_commonroom(system)
            component_cpu = f"{r['component_cpu']:.1f}" if is_cr else "-"
            database_cpu = f"{r['database_cpu']:.1f}" if is_cr else "-"
            component_rss = f"{r['component_rss']:.0f}" if is_cr else "-"
            lines.append(
                f"| {n} | {SYSTEMS[system]} | {r['delivered_per_s']:,.0f} "
                f"| {r['p50_ms']:.0f} / {r['p99_ms']:.0f} "
                f"| {r['same_p50_ms']:.0f} / {r['same_p99_ms']:.0f} "
                f"| {r['host_cpu']:.1f} | {component_cpu} | {database_cpu} "
                f"| {r['total_cpu']:.1f} | {r['loadgen_cpu']:.1f} | {r['lost']} "
                f"| {r['host_rss']:.0f} | {component_rss} | {r['stanza_bytes']:.0f} "
                f"| {r['join_s']:.1f} ({r['join_p99_ms']:.0f} / {r['history_p99_ms']:.0f}) "
                f"| {ratio_tp} | {ratio_cpu} |")
    return "\n".join(lines)


def lua_profile_report(raw: dict) -> str:
    """Lua VM instructions per delivered message in Prosody, in total and by function."""
    out = []
    for key, samples in raw.items():
        delivered = sum(s["saturate"]["delivered"] for s in samples)
        counts: dict[str, int] = {}
        for s in samples:
            for k, v in s["lua_profile"].items():
                counts[k] = counts.get(k, 0) + v
        total = sum(counts.values())
        out.append(f"### {key}: {total * 1000 / delivered:,.0f} Lua VM instructions per "
                   f"delivered message in Prosody ({delivered:,} delivered)\n")
        out.append("| instructions per delivered | share | function (file:line defined) |")
        out.append("|---|---|---|")
        for where, n in sorted(counts.items(), key=lambda kv: -kv[1])[:15]:
            out.append(f"| {n * 1000 / delivered:,.0f} | {n / total:.1%} | {where} |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="rooms of 10 and 100, four systems, 1 run, 2 s phases")
    ap.add_argument("--sizes", help="room sizes, comma-separated (default 10,100,1000)")
    ap.add_argument("--systems", help="comma-separated (default all; quick: without the "
                    "per-recipient variants): " + ", ".join(SYSTEMS))
    ap.add_argument("--runs", type=int, help="runs per system and size (default 3; 1 quick)")
    ap.add_argument("--seconds", type=float, help="length of each phase (default 5; 3 quick)")
    ap.add_argument("--senders", type=int, default=10)
    ap.add_argument("--window", type=int, default=0,
                    help="messages in flight per sender (default: about 1,000 deliveries in "
                    "flight, at least 2 per sender)")
    ap.add_argument("--same-rate", type=float, default=2000,
                    help="delivered messages per second of the latency phase every system "
                    "gets alike (default 2000)")
    ap.add_argument("--storm-seconds", type=float, default=2.0,
                    help="the join storm: all but the first client ask to join within this "
                    "many seconds (default 2)")
    ap.add_argument("--storm-timeout", type=float, default=600,
                    help="give the join storm up after this many seconds (default 600)")
    ap.add_argument("--json", help="also write every run's raw figures to this file")
    ap.add_argument("--keep", action="store_true", help="keep the run directories")
    ap.add_argument("--from-json", help="print the table of a run saved with --json "
                    "(several files: comma-separated) instead of running")
    ap.add_argument("--perf", action="store_true",
                    help="also perf record the host server over the saturate phase (ejabberd "
                    "with +JPperf true) and print its top functions")
    ap.add_argument("--lua-profile", action="store_true",
                    help="saturate phase only, with Prosody's Lua instructions counted by "
                    "function (bench/prosody/mod_bench_lua_profile.lua); prints where they go")
    args = ap.parse_args()
    sizes = [int(x) for x in (args.sizes or ("10,100" if args.quick else "10,100,1000")).split(",")]
    # --quick leaves out the per-recipient variants (the table's "before" rows).
    systems = [s for s in (args.systems or ("commonroom,prosody-muc,ejabberd-cr,ejabberd-muc"
                                            if args.quick else ",".join(SYSTEMS))).split(",")
               if s]
    for s in systems:
        if s not in SYSTEMS:
            ap.error(f"unknown system {s}")
    args.runs = args.runs or (1 if args.quick else 3)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    if args.from_json:
        raw = {}
        for f in args.from_json.split(","):
            for key, samples in json.loads(Path(f).read_text()).items():
                raw.setdefault(key, []).extend(samples)
        present = sorted({int(k.split("/")[1]) for k in raw})
        runs = max(len(v) for v in raw.values())
        results = {(k.split("/")[0], int(k.split("/")[1])): summarize(v) for k, v in raw.items()}
        print(table(results, raw, present, systems, runs, args.same_rate, args.storm_seconds))
        return 0
    if not load_bench_bin().exists():
        ap.error(f"{load_bench_bin()} is missing: build it (scripts/build muc_load_bench)")

    started = time.monotonic()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    pg = None
    if any(is_commonroom(s) for s in systems):
        pg = Cluster()
        pg.start()
    raw: dict = {}
    try:
        for run in range(args.runs):
            for n in sizes:
                # Systems interleaved within a run, so a noisy neighbour hits them alike.
                for system in systems:
                    r = Run(system, n, args, pg)
                    try:
                        r.start()
                        figures = r.measure()
                    finally:
                        r.stop()
                    raw.setdefault(f"{system}/{n}", []).append(figures)
                    s = figures["saturate"]
                    print(f"run {run + 1}/{args.runs} {system:15} {n:5} occupants: "
                          f"{s['delivered_per_s']:9,.0f} delivered/s, host "
                          f"{s['host_cpu_s'] / max(1, s['delivered']) * 1e6:6.1f} "
                          f"CPU-s/M, p99 at half "
                          f"{figures.get('half', {}).get('p99_ms', float('nan')):.1f} ms",
                          file=sys.stderr, flush=True)
    finally:
        if pg:
            pg.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    if args.perf:
        for key, samples in raw.items():
            print(f"### {key}: perf, host server, saturate phase (self time)\n")
            print("```\n" + samples[-1].get("perf", "") + "\n```\n")
    if args.lua_profile:
        print(lua_profile_report(raw))
        return 0
    results = {}
    for key, samples in raw.items():
        system, n = key.split("/")
        results[(system, int(n))] = summarize(samples)
    print(table(results, raw, sizes, systems, args.runs, args.same_rate, args.storm_seconds))
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\nWall time {time.monotonic() - started:.0f} s (load average {' '.join(load_before)} "
          f"before, {' '.join(load_after)} after; the machine's other work counts too).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
