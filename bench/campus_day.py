#!/usr/bin/python3
"""A mixed campus day end to end: many rooms of power-law sizes, with joins, leaves, nick
changes, groupchat messages and archive (MAM) queries on one seeded schedule
(bench/campus_day_bench), for several systems side by side on throwaway servers set up as
bench/muc_e2e.py sets them up (PostgreSQL with the abuse log on for commonroom):

  commonroom     commonroom through Prosody with its fan-out module
  prosody-muc    Prosody's own mod_muc + mod_muc_mam
  ejabberd-cr    commonroom through ejabberd with mod_multicast
  ejabberd-muc   ejabberd's own mod_muc + mod_mam

CPU time of the host server, commonroom and PostgreSQL comes from /proc over the measured
period (the actions and the wait for their stragglers), per million delivered messages: the
whole day's work (presences and archive queries too) over what users read. Peak RSS is
VmHWM. Prints one markdown table, medians over --runs runs, with ratios against commonroom
through the same host taken within each run.

With --steps N the day's rate is stepped up instead (decision 0082): N steps of
--step-seconds, each --step-factor times the last (from --rate), until a step's delivery p99
passes --step-p99-ms or a copy is lost. The table then gives each system's knee (the
highest step that passed), the latency at half of it (the step two below with the default
factor), and the CPU per million delivered over the knee step.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import muc_e2e  # noqa: E402
from muc_e2e import (MUC_DOMAIN, REFERENCE, SYSTEMS, XMPP_DOMAIN, Cluster,  # noqa: E402
                     cpu_seconds, is_commonroom, lua_profile_table, peak_rss_mib)

DEFAULT_SYSTEMS = "commonroom,prosody-muc,ejabberd-cr,ejabberd-muc"


def campus_bench_bin() -> Path:
    return muc_e2e.load_bench_bin().with_name("campus_day_bench")


class CampusRun(muc_e2e.Run):
    """One system through one campus day."""

    # Prosody keeps 100 rooms in memory by default and swaps the rest to disk; its
    # documentation says to raise muc_room_cache_size when more rooms are active at once.
    prosody_muc_config = muc_e2e.PROSODY_MUC_CONFIG + "  muc_room_cache_size = 100000\n"
    # The load shares ten accounts among all its connections, so one account sits in some
    # hundreds of rooms; ejabberd counts its max_user_conferences (100) per account.
    ejabberd_muc_modules = muc_e2e.EJABBERD_MUC_MODULES + "    max_user_conferences: 100000\n"
    # As muc_e2e (no message rate limit, rooms up to 1,000), and for the same reason as
    # ejabberd's: ten accounts own all the rooms and change nicks for all the connections.
    # The anchors configure their rooms as persistent, as a college or a lecturer would
    # (decision 0082); the ten accounts stand for the staff who may.
    policy = dict(muc_e2e.Run.policy, room_quota="100000", presences_per_minute="0",
                  persistent_creators=XMPP_DOMAIN)

    def __init__(self, system: str, args, pg: Cluster | None):
        super().__init__(system, args.clients, args, pg)

    def measure(self) -> dict:
        a = self.args
        cmd = [str(campus_bench_bin()), "--port", str(self.host.c2s_port),
               "--domain", XMPP_DOMAIN, "--muc", MUC_DOMAIN,
               "--users", ",".join(f"{u}:{p}" for u, p in self.users.items()),
               "--rooms", str(a.rooms), "--clients", str(a.clients), "--largest", str(a.largest),
               "--seconds", str(a.seconds), "--rate", str(a.rate), "--seed", str(a.seed),
               "--mix", a.mix]
        if a.steps:
            cmd += ["--steps", str(a.steps), "--step-factor", str(a.step_factor),
                    "--step-seconds", str(a.step_seconds), "--step-p99-ms", str(a.step_p99_ms)]
        proc, err_lines, reader = self.start_generator(cmd, self.system)
        groups = self.cpu_groups()
        before: dict = {}
        periods: list[dict] = []
        for line in proc.stdout:
            line = line.strip()
            if line.startswith("BEGIN "):
                before = {k: cpu_seconds(v) for k, v in groups.items()}
                if a.lua_profile:
                    profile_before = self.lua_profile()
            elif line.startswith("{"):
                period = json.loads(line)
                for k, v in groups.items():
                    period[f"{k}_cpu_s"] = cpu_seconds(v) - before[k]
                if a.lua_profile:
                    time.sleep(0.6)  # the profile file is rewritten every quarter second
                    after = self.lua_profile()
                    period["lua_profile"] = {k: v - profile_before.get(k, 0)
                                             for k, v in after.items()}
                periods.append(period)
                if a.steps:
                    print(f"  [{self.system}] step {period['step']}: {period['rate']:.0f} "
                          f"actions/s, {period['delivered_per_sending_s']:,.0f} delivered/s, "
                          f"p99 {period['p99_ms']:.1f} ms, lost {period['lost']}: "
                          f"{'passed' if period['passed'] else 'failed'}",
                          file=sys.stderr, flush=True)
        reader.join()
        if proc.wait() != 0 or not periods:
            raise RuntimeError(f"campus_day_bench failed for {self.system}: {''.join(err_lines)}")
        result = {"steps": periods} if a.steps else periods[0]
        result["host_rss_mib"] = peak_rss_mib(self.host_pids())
        result["component_rss_mib"] = peak_rss_mib(self.component_pids())
        return result


def knee_and_half(run: dict) -> tuple[dict | None, dict | None]:
    """The highest step that passed, and the passed step at half its rate (None when no
    step ran within 15 % of that: the ladder should start lower)."""
    passed = [s for s in run["steps"] if s["passed"]]
    if not passed:
        return None, None
    knee = max(passed, key=lambda s: s["rate"])
    below = [s for s in passed if s["rate"] < knee["rate"]]
    if not below:
        return knee, None
    def off_half(s):
        return abs(math.log(s["rate"] / (knee["rate"] / 2)))
    half = min(below, key=off_half)
    return knee, half if off_half(half) < math.log(1.15) else None


def per_million(s: dict, key: str) -> float:
    return s[key] / s["delivered"] * 1e6 if s["delivered"] else float("nan")


def total_cpu(s: dict) -> float:
    return sum(per_million(s, k) for k in ("host_cpu_s", "component_cpu_s", "database_cpu_s"))


def summarize(samples: list[dict]) -> dict:
    def med(f):
        return statistics.median(f(s) for s in samples)

    out = {k: med(lambda s, k=k: s[k]) for k in (
        "delivered_per_s", "p50_ms", "p99_ms", "join_p50_ms", "join_p99_ms", "mam_p50_ms",
        "mam_p99_ms", "host_rss_mib", "component_rss_mib", "warm_up_s", "lag_max_ms")}
    for k in ("host", "component", "database"):
        out[f"{k}_cpu"] = med(lambda s, k=k: per_million(s, f"{k}_cpu_s"))
    out["total_cpu"] = med(total_cpu)
    out["loadgen_pct"] = med(lambda s: 100 * s["loadgen_cpu_s"] / s["wall_s"])
    out["errors"] = max(s["errors"] for s in samples)
    out["lost"] = max(s["lost"] for s in samples)
    out["skipped"] = max(sum(s["skipped"].values()) for s in samples)
    return out


def run_ratio(raw: dict, system: str, figure) -> str:
    """Median over runs of this system's figure over commonroom's through the same host."""
    mine, ref = raw.get(system), raw.get(REFERENCE[system])
    if not mine or not ref:
        return "-"
    ratios = [figure(a) / figure(b) for a, b in zip(mine, ref) if figure(b)]
    return f"{statistics.median(ratios):.2f}" if ratios else "-"


def table(raw: dict, systems: list[str], args) -> str:
    first = next(iter(raw.values()))[0]
    done = first["done"]
    lines = [
        f"{args.rooms:,} rooms (largest {args.largest}, {first['memberships']:,} memberships) "
        f"over {args.clients} client connections; {args.seconds:g} s at {args.rate:g} actions/s "
        f"(seed {args.seed}; done in the first run: {done['message']:,} messages, "
        f"{done['join']} joins, {done['leave']} leaves, {done['nick']} nick changes, "
        f"{done['mam']} MAM queries of the last 20). Medians of {args.runs} run(s). CPU in "
        "CPU-seconds per million delivered messages over the measured period; the load "
        "generator's CPU as % of one core; ratios are this system's figure over commonroom's "
        "through the same host within each run.",
        "",
        "| system | delivered msgs/s | delivery p50 / p99 ms | join p50 / p99 ms "
        "| MAM query p50 / p99 ms | host CPU | commonroom CPU | PostgreSQL CPU | total CPU "
        "| host RSS MiB | commonroom RSS MiB | errors / lost / skipped | load generator CPU % "
        "| total CPU ratio | delivery p99 ratio | MAM p99 ratio |",
        "|---" * 16 + "|",
    ]
    for system in systems:
        if system not in raw:
            continue
        r = summarize(raw[system])
        def cr(v: float) -> str:  # commonroom's own figures: none for the hosts' rooms
            return f"{v:.0f}" if is_commonroom(system) else "-"
        lines.append(
            f"| {SYSTEMS[system]} | {r['delivered_per_s']:,.0f} "
            f"| {r['p50_ms']:.1f} / {r['p99_ms']:.1f} "
            f"| {r['join_p50_ms']:.1f} / {r['join_p99_ms']:.1f} "
            f"| {r['mam_p50_ms']:.1f} / {r['mam_p99_ms']:.1f} "
            f"| {r['host_cpu']:.0f} | {cr(r['component_cpu'])} "
            f"| {cr(r['database_cpu'])} | {r['total_cpu']:.0f} "
            f"| {r['host_rss_mib']:.0f} | {cr(r['component_rss_mib'])} "
            f"| {r['errors']} / {r['lost']} / {r['skipped']} | {r['loadgen_pct']:.0f} "
            f"| {run_ratio(raw, system, total_cpu)} "
            f"| {run_ratio(raw, system, lambda s: s['p99_ms'])} "
            f"| {run_ratio(raw, system, lambda s: s['mam_p99_ms'])} |")
    return "\n".join(lines)


def lua_profile_report(raw: dict) -> str:
    """Lua VM instructions per delivered message in Prosody over the day, by function."""
    out = []
    for system, runs in raw.items():
        periods = [p for r in runs for p in (r["steps"] if "steps" in r else [r])
                   if p.get("lua_profile")]
        if not periods:
            continue
        delivered = sum(p["delivered"] for p in periods)
        counts: dict[str, int] = {}
        for p in periods:
            for k, v in p["lua_profile"].items():
                counts[k] = counts.get(k, 0) + v
        out += lua_profile_table(SYSTEMS[system], f"message in Prosody ({delivered:,} "
                                 "delivered, presences and queries included)", counts,
                                 delivered, 20)
    return "\n".join(out)


def ladder_table(raw: dict, systems: list[str], args) -> str:
    """The stepped day: each system's knee, its latency at half the knee, its CPU at the knee."""
    # The ladder as it ran (a table printed --from-json may not be given its options).
    steps = max((r["steps"] for runs in raw.values() for r in runs), key=len)
    first = steps[0]
    # Over the whole ladder: each step's rate is printed to 0.1 only.
    factor = ((steps[-1]["rate"] / first["rate"]) ** (1 / (len(steps) - 1)) if len(steps) > 1
              else args.step_factor)
    lines = [
        f"{first['rooms']:,} rooms (largest {first['largest']}, {first['memberships']:,} "
        f"memberships) over {first['clients']} client connections; steps of "
        f"{first['seconds']:g} s from {first['rate']:g} actions/s, each {factor:.3g}x the "
        f"last, until the delivery p99 passes {args.step_p99_ms:g} ms or a copy is lost (seed "
        f"{first['seed']}). Medians of {args.runs} run(s). The knee is the highest step that "
        "passed (actions/s, and copies delivered per second of sending; ≥ when a run's last "
        "step passed too: raise --steps); latencies are at the step at half the knee's rate; "
        "CPU in CPU-seconds per million delivered over the knee step, its stragglers "
        "included; the load generator's CPU as % of one core at the knee; ratios are this "
        "system's figure over commonroom's through the same host within each run.",
        "",
        "| system | knee actions/s | knee delivered msgs/s | steps passed / run "
        "| delivery p50 / p99 ms at half | join p99 ms at half | MAM p99 ms at half "
        "| first failed step: p99 ms, lost | host CPU | commonroom CPU | PostgreSQL CPU "
        "| total CPU | host RSS MiB | commonroom RSS MiB | load generator CPU % "
        "| knee ratio | total CPU ratio |",
        "|---" * 17 + "|",
    ]

    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    def fmt(v, spec=".0f"):
        return "-" if v is None else format(v, spec)

    def ratio(system, figure):
        mine, ref = raw.get(system), raw.get(REFERENCE[system])
        if not mine or not ref:
            return "-"
        pairs = [(figure(a), figure(b)) for a, b in zip(mine, ref)]
        r = med([x / y for x, y in pairs if x is not None and y])
        return fmt(r, ".2f")

    def at_knee(run, f):
        knee, _ = knee_and_half(run)
        return f(knee) if knee else None

    def at_half(run, f):
        _, half = knee_and_half(run)
        return f(half) if half else None

    def knees(runs, f, spec=".0f"):
        return fmt(med([at_knee(r, f) for r in runs]), spec)

    def halves(runs, key):
        return fmt(med([at_half(r, lambda s: s[key]) for r in runs]), ".1f")

    def field(key):
        return lambda s: s[key]

    def cpu(key):
        return lambda s: per_million(s, key)

    def loadgen(s):
        return 100 * s["loadgen_cpu_s"] / s["wall_s"]

    for system in systems:
        if system not in raw:
            continue
        runs = raw[system]
        failed = [next((s for s in r["steps"] if not s["passed"]), None) for r in runs]
        cr = is_commonroom(system)
        cells = [
            SYSTEMS[system],
            ("≥ " if None in failed else "") + knees(runs, field("rate")),
            knees(runs, field("delivered_per_sending_s"), ",.0f"),
            ", ".join(f"{sum(s['passed'] for s in r['steps'])}/{len(r['steps'])}" for r in runs),
            f"{halves(runs, 'p50_ms')} / {halves(runs, 'p99_ms')}",
            halves(runs, "join_p99_ms"),
            halves(runs, "mam_p99_ms"),
            "; ".join(f"{f['p99_ms']:.0f}, {f['lost']}" if f else "none failed" for f in failed),
            knees(runs, cpu("host_cpu_s")),
            knees(runs, cpu("component_cpu_s")) if cr else "-",
            knees(runs, cpu("database_cpu_s")) if cr else "-",
            knees(runs, total_cpu),
            fmt(med([r["host_rss_mib"] for r in runs])),
            fmt(med([r["component_rss_mib"] for r in runs])) if cr else "-",
            knees(runs, loadgen),
            ratio(system, lambda r: at_knee(r, field("delivered_per_sending_s"))),
            ratio(system, lambda r: at_knee(r, total_cpu)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="a small day: 100 rooms, 60 clients, 10 s at 50 actions/s")
    ap.add_argument("--systems", default=DEFAULT_SYSTEMS,
                    help=f"comma-separated (default {DEFAULT_SYSTEMS})")
    ap.add_argument("--rooms", type=int, help="rooms (default 1000)")
    ap.add_argument("--clients", type=int, help="client connections (default 300)")
    ap.add_argument("--largest", type=int, help="members of the largest room (default 250)")
    ap.add_argument("--seconds", type=float, help="measured period (default 60)")
    ap.add_argument("--rate", type=float,
                    help="actions per second (default 50; with --steps the first step's, 25)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mix", default="80,5,5,5,5",
                    help="percent message, join, leave, nick change, MAM query (default "
                    "80,5,5,5,5)")
    ap.add_argument("--runs", type=int, default=1, help="runs per system (default 1)")
    ap.add_argument("--abuse-log-mode", choices=("journal-first", "database-first"),
                    default="journal-first", help="commonroom's [abuse-log] mode")
    ap.add_argument("--steps", type=int, default=0,
                    help="step the rate up instead: at most this many steps (0: one fixed day)")
    ap.add_argument("--step-factor", type=float, default=math.sqrt(2),
                    help="each step's rate over the last (default the square root of 2, so "
                    "the step two below the knee ran at half its rate)")
    ap.add_argument("--step-seconds", type=float, default=10.0,
                    help="seconds per step (default 10)")
    ap.add_argument("--step-p99-ms", type=float, default=200.0,
                    help="a step fails when its delivery p99 passes this (default 200)")
    ap.add_argument("--prosody-option", action="append",
                    help="a line for Prosody's global section, for every Prosody system "
                    "(repeatable), e.g. 'gc = { mode = \"incremental\", threshold = 200 }'")
    ap.add_argument("--lua-profile", action="store_true",
                    help="count Prosody's Lua VM instructions by function over the measured "
                    "period (bench/prosody/mod_bench_lua_profile.lua; slows Prosody down)")
    ap.add_argument("--json", help="also write every run's raw figures to this file")
    ap.add_argument("--from-json", help="print the table of a run saved with --json")
    ap.add_argument("--keep", action="store_true", help="keep the run directories")
    args = ap.parse_args()
    small = {"rooms": 100, "clients": 60, "largest": 50, "seconds": 10.0, "rate": 50.0}
    full = {"rooms": 1000, "clients": 300, "largest": 250, "seconds": 60.0, "rate": 50.0}
    if args.steps and args.rate is None:
        args.rate = 25.0  # low enough that half of a slow system's knee is a step too
    for k, v in (small if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    # What muc_e2e.Run reads from its own options.
    args.perf = args.syscalls = False
    args.phases = None
    systems = [s for s in args.systems.split(",") if s]
    for s in systems:
        if s not in SYSTEMS:
            ap.error(f"unknown system {s}")
    if args.from_json:
        raw = json.loads(Path(args.from_json).read_text())
        args.runs = max(len(v) for v in raw.values())
        args.steps = args.steps or int("steps" in next(iter(raw.values()))[0])
        print((ladder_table if args.steps else table)(raw, systems, args))
        return 0
    if not campus_bench_bin().exists():
        ap.error(f"{campus_bench_bin()} is missing: build it (scripts/build campus_day_bench)")

    started = time.monotonic()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    pg = None
    if any(is_commonroom(s) for s in systems):
        pg = Cluster()
        pg.start()
    raw: dict = {}
    try:
        for run in range(args.runs):
            # Systems interleaved within a run, so a noisy neighbour hits them alike.
            for system in systems:
                r = CampusRun(system, args, pg)
                try:
                    r.start()
                    figures = r.measure()
                finally:
                    r.stop()
                raw.setdefault(system, []).append(figures)
                if args.steps:
                    knee, _ = knee_and_half(figures)
                    print(f"run {run + 1}/{args.runs} {system:13}: knee "
                          + (f"{knee['rate']:.0f} actions/s, "
                             f"{knee['delivered_per_sending_s']:,.0f} delivered/s"
                             if knee else "none: no step passed"), file=sys.stderr, flush=True)
                    continue
                print(f"run {run + 1}/{args.runs} {system:13}: "
                      f"{figures['delivered_per_s']:8,.0f} delivered/s, p99 "
                      f"{figures['p99_ms']:.1f} ms, join p99 {figures['join_p99_ms']:.1f} ms, "
                      f"MAM p99 {figures['mam_p99_ms']:.1f} ms, lost {figures['lost']}, "
                      f"errors {figures['errors']}", file=sys.stderr, flush=True)
    finally:
        if pg:
            pg.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    print((ladder_table if args.steps else table)(raw, systems, args))
    if args.lua_profile:
        print("\n" + lua_profile_report(raw))
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\nWall time {time.monotonic() - started:.0f} s (load average {' '.join(load_before)} "
          f"before, {' '.join(load_after)} after; the machine's other work counts too).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
