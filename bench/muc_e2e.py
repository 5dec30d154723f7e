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

For each system and room size: a join storm; a saturate phase (senders keep messages in
flight: the closed-loop throughput, which anchors the steps); the stepped knee (steps of a
fixed rate, stepped up until the p99 of send to delivery passes 200 ms or a copy is lost:
the knee is the highest rate that passed; decision 0065); a phase at half the knee
(latency); and one at --same-rate deliveries per second for every system (latency at equal
load). CPU time comes from /proc for the host server, commonroom and PostgreSQL (the abuse
log, on as in production) over the step at the knee; peak RSS is VmHWM. Prints a markdown
table with medians over --runs runs and ratios against commonroom measured in the same
run, then each run's steps.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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
from pg_support import Cluster, migrated_database, psql  # noqa: E402

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
# Prosody's archive in its packaged (internal) storage holds 10,000 items a room; once full,
# every hundredth message makes mod_muc_mam read the room's whole archive twice and rewrite
# it, and Prosody's own MUC falls behind by seconds (measured: with a limit of 2,000 no step
# of a room of 10 passed, down to 28 messages a second; decision 0089). The benchmark's room passes 10,000 messages in one
# run, so the limit is raised (the option mod_storage_internal documents) to measure the MUC
# and not the quota.
PROSODY_MUC_CONFIG = f"""Component "{MUC_DOMAIN}" "muc"
  modules_enabled = {{ "muc_mam" }}
  storage_archive_item_limit = 1000000
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
        self.database = ""  # the run's database name (--pg-statements)

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
            if self.args.prosody_option:
                # Host "*" is the global section again (Prosody reads gc only there).
                extra_config += 'Host "*"\n' + "".join(f"  {o}\n" for o in self.args.prosody_option)
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
            self.database = uri.rsplit("/", 1)[1].split("?")[0]
            cfg = CommonroomConfig(
                link_port=self.host.component_port, directory=None, database_uri=uri,
                extra={"policy": self.policy, "abuse-log": {
                    "mode": self.args.abuse_log_mode}})
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
               "--phases", self.phases(),
               "--step-seconds", str(self.args.step_seconds),
               "--step-factor", str(self.args.step_factor),
               "--step-fraction", str(self.args.step_fraction),
               "--step-p99-ms", str(self.args.p99_limit_ms),
               "--max-steps", str(self.args.max_steps),
               "--storm-seconds", str(self.args.storm_seconds),
               "--storm-timeout", str(self.args.storm_timeout), "--history", "20",
               "--show-stanza"]
        proc, err_lines, err_reader = self.start_generator(cmd, f"{self.system}/{self.occupants}")
        result: dict = {}
        groups = self.cpu_groups()
        before = {}
        phase = None
        syscalls = None  # counted over the saturate phase only
        for line in proc.stdout:
            line = line.strip()
            if line.startswith("BEGIN "):
                phase = line.split()[1]
                before = {k: cpu_seconds(v) for k, v in groups.items()}
                if phase == self.args.perf:
                    perf = self.start_perf(self.args.seconds if phase == "saturate" else None)
                if phase == "saturate" and self.args.syscalls:
                    syscalls = self.start_syscalls()
                if self.args.lua_profile:
                    profile_before = self.lua_profile()
                if phase == self.args.pg_statements and self.database:
                    psql(self.pg.uri, "SELECT pg_stat_statements_reset()")
            elif line.startswith("{"):
                figures = json.loads(line)
                if figures["phase"] == "steps":  # the steps' summary: no phase of its own
                    result["knee"] = figures
                    continue
                for k, v in groups.items():
                    figures[f"{k}_cpu_s"] = cpu_seconds(v) - before[k]
                if self.args.perf == "storm" and figures["phase"] == "storm":
                    perf.send_signal(signal.SIGINT)  # the storm is over: stop recording
                if figures["phase"] == self.args.pg_statements and self.database:
                    result["pg_statements"] = self.pg_statements(figures["sent"])
                if figures["phase"] == "step":
                    result.setdefault("steps", []).append(figures)
                else:
                    result[phase] = figures
        proc.wait()
        err_reader.join()
        err = "".join(err_lines)
        if self.args.perf:
            result["perf"] = self.perf_report(perf)
        if syscalls is not None:
            result["syscalls"] = self.syscalls_counted(syscalls)
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

    def start_generator(self, cmd: list[str], label: str):
        """The load generator, its stderr read as it comes (progress is shown live, and a
        long run must not fill the pipe); lines starting with '<' (stanzas) are kept only."""
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err_lines: list[str] = []

        def read_stderr():
            for line in proc.stderr:
                err_lines.append(line)
                if not line.startswith("<"):
                    print(f"  [{label}] {line.rstrip()}", file=sys.stderr, flush=True)
        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        return proc, err_lines, reader

    def cpu_groups(self) -> dict[str, list[int]]:
        """The processes whose CPU the tables report, by column."""
        return {"host": self.host_pids(), "component": self.component_pids(),
                "database": self.database_pids()}

    def phases(self) -> str:
        """The load generator's phases: all, or the one profiled alone."""
        if self.args.lua_profile:
            return self.args.lua_profile
        if self.args.phases:
            return self.args.phases
        return "storm" if self.args.perf == "storm" else "storm,saturate,steps,half,rate"

    def start_perf(self, seconds: float | None) -> subprocess.Popen:
        """perf record of the host server for `seconds`, or until sent SIGINT (the storm,
        whose length is not known in advance); without call graphs then (smaller, and
        Debian's Lua has no frame pointers to follow anyway)."""
        cmd = ["perf", "record", "-e", "cpu-clock", "-o", str(self.dir / "perf.data"),
               "-p", str(self.host_pids()[0])]
        if seconds is not None:
            cmd += ["-g", "--", "sleep", str(seconds)]
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    SYSCALLS = ("epoll_wait", "epoll_ctl", "sendto", "writev", "write", "recvfrom", "read")

    def start_syscalls(self) -> subprocess.Popen:
        """perf stat of the host server's system calls for the length of the saturate phase
        (tracepoints: counted in the kernel, so unlike CPU time they do not depend on the
        machine's load)."""
        events = ["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{c}" for c in self.SYSCALLS]
        return subprocess.Popen(
            ["perf", "stat", "-x", ",", "-e", ",".join(events), "-o", str(self.dir / "syscalls.csv"),
             "-p", ",".join(str(p) for p in self.host_pids()), "--", "sleep", str(self.args.seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def syscalls_counted(self, perf: subprocess.Popen) -> dict[str, int]:
        """The counts by call (\"all\" for every call), over the seconds perf ran."""
        perf.wait()
        counts = {}
        for line in (self.dir / "syscalls.csv").read_text().splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[0].isdigit():
                name = fields[2].split(":")[-1].replace("sys_enter_", "")
                counts["all" if name == "sys_enter" else name] = int(fields[0])
        return counts

    def perf_report(self, perf: subprocess.Popen) -> str:
        """Where the host's samples went, self time: by binary or library, then the top
        symbols (a function of a binary without symbols is shown by address)."""
        if perf.poll() is None and self.args.perf == "storm":
            perf.send_signal(signal.SIGINT)  # the storm gave no figures (it failed)
        _, err = perf.communicate()
        if not (self.dir / "perf.data").exists():
            raise RuntimeError(f"perf record wrote nothing (exit {perf.returncode}): {err.strip()}")
        out = []
        for sort, limit in (("dso", "0.5"), ("dso,sym", "0.7")):
            text = subprocess.run(
                ["perf", "report", "-i", str(self.dir / "perf.data"), "--stdio", "--no-children",
                 "--sort", sort, "-g", "none", "--percent-limit", limit],
                capture_output=True, text=True).stdout
            out += [l for l in text.splitlines() if l.strip() and not l.startswith("#")][:40]
            out.append("")
        return "\n".join(out).rstrip()

    def pg_statements(self, sent: int) -> str:
        """What PostgreSQL ran for this run's database over the phase (pg_stat_statements):
        calls per message sent and executor time per call, most time first. The commit's
        flush is not executor time: compare with the PostgreSQL CPU column."""
        rows = psql(self.pg.uri, f"""
            SELECT calls, rows, round((total_exec_time * 1000 / calls)::numeric),
                   left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = '{self.database}' AND calls > 0
            ORDER BY total_exec_time DESC LIMIT 8""")
        out = ["| calls per message sent | rows | executor µs per call | statement |",
               "|---:|---:|---:|---|"]
        for line in rows.splitlines():
            calls, nrows, micros, query = line.split("|", 3)
            out.append(f"| {int(calls) / max(sent, 1):.3f} | {nrows} | {micros} | "
                       f"`{query.replace('|', '/')}` |")
        return "\n".join(out)

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


NAN = float("nan")


def knee_step(sample: dict) -> dict | None:
    """The step at the knee (the highest rate that passed), None when none passed."""
    n = sample.get("knee", {}).get("knee_step", 0)
    return sample["steps"][n - 1] if n else None


def knee_per_s(sample: dict) -> float:
    """Delivered messages per second at the stepped knee (0 when no step passed)."""
    return sample["knee"]["knee_delivered_per_s"] if "knee" in sample else 0.0


def per_million(sample: dict, key: str) -> float:
    """CPU-seconds of `key` per million delivered over the step at the knee."""
    step = knee_step(sample)
    if not step or not step["delivered"]:
        return NAN
    return step[key] / step["delivered"] * 1e6


def same_rate_cpu(sample: dict, keys=("host", "component", "database")) -> float:
    """CPU-seconds of `keys` per million delivered over the phase at one rate for every
    system: unlike the knee step's, comparable between systems whose knees differ."""
    phase = sample.get("rate")
    if not phase or not phase["delivered"]:
        return NAN
    return sum(phase[f"{k}_cpu_s"] for k in keys) / phase["delivered"] * 1e6


def summarize(samples: list[dict]) -> dict:
    """Medians over runs of the figures the table shows (a run whose steps all failed gives
    no CPU figure: it is left out of those medians)."""
    def med(f):
        values = [v for v in (f(s) for s in samples) if v == v]
        return statistics.median(values) if values else NAN

    def of(phase, key):  # a phase left out (--phases) gives no figure
        return lambda s: s[phase][key] if phase in s else NAN

    return {
        "delivered_per_s": med(knee_per_s),
        "saturate_per_s": med(of("saturate", "delivered_per_s")),
        "p50_ms": med(of("half", "p50_ms")),
        "p99_ms": med(of("half", "p99_ms")),
        "same_p50_ms": med(of("rate", "p50_ms")),
        "same_p99_ms": med(of("rate", "p99_ms")),
        "host_cpu": med(lambda s: per_million(s, "host_cpu_s")),
        "component_cpu": med(lambda s: per_million(s, "component_cpu_s")),
        "database_cpu": med(lambda s: per_million(s, "database_cpu_s")),
        "total_cpu": med(lambda s: per_million(s, "host_cpu_s") + per_million(s, "component_cpu_s")
                         + per_million(s, "database_cpu_s")),
        "loadgen_cpu": med(lambda s: per_million(s, "loadgen_cpu_s")),
        "same_total_cpu": med(same_rate_cpu),
        "same_host_cpu": med(lambda s: same_rate_cpu(s, ("host",))),
        "lost": max(sum(s[p]["lost"] for p in ("saturate", "half", "rate") if p in s)
                    + sum(t["lost"] for t in s.get("steps", [])) for s in samples),
        "host_rss": med(lambda s: s["host_rss_mib"]),
        "stanza_bytes": med(lambda s: len(s["stanza"].encode())),
        "join_s": med(lambda s: s["storm"]["storm_s"] if "storm" in s
                      else next((s[p]["join_s"] for p in ("saturate", "half", "rate") if p in s),
                                NAN)),
        "join_p99_ms": med(lambda s: s["storm"]["self_p99_ms"] if "storm" in s else float("nan")),
        "history_p99_ms": med(lambda s: s["storm"]["history_p99_ms"] if "storm" in s
                              else float("nan")),
        "component_rss": med(lambda s: s["component_rss_mib"]),
    }


def storm_only(raw: dict) -> bool:
    """The runs measured the join storm and none of the message phases."""
    samples = [s for v in raw.values() for s in v]
    return all("storm" in s and not any(p in s for p in ("saturate", "half", "rate"))
               for s in samples)


def storm_table(raw: dict) -> str:
    """The join storm alone (`--phases storm`): medians over runs, one row per size and
    system (the message phases' table needs the saturate phase)."""
    def med(samples, f):
        return statistics.median(f(s) for s in samples)

    lines = ["| occupants | system | storm s | own presence p50 / p99 ms | history p99 ms | "
             "host CPU-s | commonroom CPU-s | PostgreSQL CPU-s | load generator CPU-s | "
             "host RSS MiB | runs |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(raw, key=lambda k: (int(k.split("/")[1]), list(SYSTEMS).index(k.split("/")[0]))):
        system, n = key.split("/")
        samples = [s for s in raw[key] if "storm" in s]
        if not samples:
            continue
        st = [s["storm"] for s in samples]
        lines.append(
            f"| {int(n):,} | {SYSTEMS[system]} | {med(st, lambda x: x['storm_s']):.1f} | "
            f"{med(st, lambda x: x['self_p50_ms']):,.0f} / {med(st, lambda x: x['self_p99_ms']):,.0f} | "
            f"{med(st, lambda x: x['history_p99_ms']):,.0f} | {med(st, lambda x: x['host_cpu_s']):.2f} | "
            f"{med(st, lambda x: x['component_cpu_s']):.2f} | {med(st, lambda x: x['database_cpu_s']):.2f} | "
            f"{med(st, lambda x: x['loadgen_cpu_s']):.2f} | {med(samples, lambda x: x['host_rss_mib']):.0f} | "
            f"{len(samples)} |")
    return "\n".join(lines)


def total_cpu(sample: dict) -> float:
    return sum(per_million(sample, f"{k}_cpu_s") for k in ("host", "component", "database"))


def run_ratios(raw: dict, system: str, n: int) -> tuple[float, float, float] | None:
    """Medians over runs of (knee, total CPU at the knee, total CPU at the one rate) of
    `system` over commonroom's, each ratio taken within one run (the noise of a shared
    machine hits both alike); for the first two a run in which either had no knee is left
    out."""
    mine, ref = raw.get(f"{system}/{n}"), raw.get(f"{REFERENCE[system]}/{n}")
    if not mine or not ref:
        return None
    pairs = [(a, b) for a, b in zip(mine, ref) if knee_per_s(a) > 0 and knee_per_s(b) > 0]
    if not pairs:
        return None
    tp = statistics.median(knee_per_s(a) / knee_per_s(b) for a, b in pairs)
    cpu = statistics.median(total_cpu(a) / total_cpu(b) for a, b in pairs)
    same = [same_rate_cpu(a) / same_rate_cpu(b) for a, b in zip(mine, ref)
            if same_rate_cpu(a) > 0 and same_rate_cpu(b) > 0]
    return tp, cpu, statistics.median(same) if same else NAN


def steps_line(sample: dict) -> str:
    """One run's steps: delivered per second asked, p99, lost, and whether it passed."""
    parts = []
    for t in sample.get("steps", []):
        lost = f", {t['lost']} lost" if t["lost"] else ""
        parts.append(f"{t['rate'] * t['occupants']:,.0f}/s: p99 {t['p99_ms']:.0f} ms{lost} "
                     f"{'pass' if t['passed'] else 'FAIL'}")
    return "; ".join(parts)


def one_decimal(x: float) -> str:
    """A figure of the table, "-" when there is none (no step passed)."""
    return "-" if x != x else f"{x:.1f}"


def table(results: dict, raw: dict, sizes: list[int], systems: list[str], runs: int,
          same_rate: float, storm_seconds: float = 2.0) -> str:
    # The steps as the load generator ran them (so a table printed --from-json says so too).
    knee = next((s["knee"] for v in raw.values() for s in v if "knee" in s), {})
    step_seconds, step_factor = knee.get("step_s", NAN), knee.get("factor", NAN)
    p99_limit_ms = knee.get("p99_limit_ms", NAN)
    lines = [
        f"Medians of {runs} run(s). Knee: the highest fixed rate (steps of {step_seconds:g} s, "
        f"bracketed within x{step_factor:g}) at which every copy arrived and p99 send to "
        f"delivery was at most {p99_limit_ms:g} ms, in delivered messages/s; saturate: the "
        "closed-loop throughput with messages kept in flight. CPU in CPU-seconds per million "
        "delivered messages over the step at the knee; latency at half each system's knee "
        "and at one delivered rate for all; lost: copies never arrived (10 s after the last "
        "send) over all phases, the failed steps included; join storm: all but the first "
        "client ask to join within "
        f"{storm_seconds:g} s, asking for 20 messages of history; seconds until every "
        "client has every occupant's presence and its history, and the p99 over the newcomers "
        "of join to own presence / to the last history message; ratios are this system's "
        "figure over commonroom's through the same host within each run, median over the runs; "
        f"total CPU at {same_rate:,.0f}/s: host + commonroom + PostgreSQL over the phase at "
        "that rate (host alone in brackets), which compares systems at one load where the "
        "knee step's CPU is taken at each system's own rate.",
        "",
        f"| occupants | system | knee: delivered msgs/s | saturate msgs/s "
        f"| p50 / p99 ms at half the knee | p50 / p99 ms at "
        f"{same_rate:,.0f}/s | host CPU | commonroom CPU "
        "| PostgreSQL CPU | total CPU | load generator CPU | lost | host RSS MiB "
        "| commonroom RSS MiB | bytes per delivered stanza | join storm s (p99 ms own presence / history) "
        f"| knee ratio | total CPU ratio | total CPU at {same_rate:,.0f}/s (host) | its ratio |",
        "|---" * 20 + "|",
    ]
    for n in sizes:
        for system in systems:
            r = results.get((system, n))
            if not r:
                continue
            ratios = run_ratios(raw, system, n)
            ratio_tp = f"{ratios[0]:.2f}" if ratios else "-"
            ratio_cpu = f"{ratios[1]:.2f}" if ratios else "-"
            ratio_same = f"{ratios[2]:.2f}" if ratios and ratios[2] == ratios[2] else "-"
            is_cr = is_commonroom(system)
            component_cpu = one_decimal(r['component_cpu']) if is_cr else "-"
            database_cpu = one_decimal(r['database_cpu']) if is_cr else "-"
            stepped = any("steps" in sample for sample in raw.get(f"{system}/{n}", []))
            knee = (f"{r['delivered_per_s']:,.0f}" if r["delivered_per_s"] > 0
                    else "none passed" if stepped else "not run")
            component_rss = f"{r['component_rss']:.0f}" if is_cr else "-"
            lines.append(
                f"| {n} | {SYSTEMS[system]} | {knee} | {r['saturate_per_s']:,.0f} "
                f"| {r['p50_ms']:.0f} / {r['p99_ms']:.0f} "
                f"| {r['same_p50_ms']:.0f} / {r['same_p99_ms']:.0f} "
                f"| {one_decimal(r['host_cpu'])} | {component_cpu} | {database_cpu} "
                f"| {one_decimal(r['total_cpu'])} | {one_decimal(r['loadgen_cpu'])} | {r['lost']} "
                f"| {r['host_rss']:.0f} | {component_rss} | {r['stanza_bytes']:.0f} "
                f"| {r['join_s']:.1f} ({r['join_p99_ms']:.0f} / {r['history_p99_ms']:.0f}) "
                f"| {ratio_tp} | {ratio_cpu} "
                f"| {one_decimal(r['same_total_cpu'])} ({one_decimal(r['same_host_cpu'])}) "
                f"| {ratio_same} |")
    lines += ["", "Steps of each run (delivered messages/s asked: p99, lost, pass or FAIL):", ""]
    for n in sizes:
        for system in systems:
            for i, sample in enumerate(raw.get(f"{system}/{n}", [])):
                lines.append(f"- {n}, {SYSTEMS[system]}, run {i + 1}: {steps_line(sample)}")
    return "\n".join(lines)


def syscalls_report(raw: dict, seconds: float) -> str:
    """The host's system calls per delivered message over the saturate phase, by call."""
    names = ("all",) + Run.SYSCALLS
    out = ["### The host server's system calls per delivered message (saturate phase)\n",
           "| system | occupants | run | " + " | ".join(names) + " |",
           "|---|---|---|" + "---|" * len(names)]
    for key, samples in raw.items():
        system, n = key.split("/")
        for i, sample in enumerate(samples, 1):
            counts = sample.get("syscalls")
            rate = sample.get("saturate", {}).get("delivered_per_s")
            if not counts or not rate:
                continue
            per = [f"{counts.get(c, 0) / seconds / rate:.3f}" for c in names]
            out.append(f"| {SYSTEMS.get(system, system)} | {n} | {i} | " + " | ".join(per) + " |")
    return "\n".join(out) + "\n"


def lua_profile_report(raw: dict) -> str:
    """Lua VM instructions per delivered message in Prosody, in total and by function."""
    out = []
    for key, samples in raw.items():
        # The storm delivers one presence of every occupant to every occupant.
        delivered = sum(s["saturate"]["delivered"] if "saturate" in s
                        else int(key.split("/")[1]) ** 2 for s in samples)
        counts: dict[str, int] = {}
        for s in samples:
            for k, v in s["lua_profile"].items():
                counts[k] = counts.get(k, 0) + v
        what = "message" if "saturate" in samples[0] else "presence (join storm)"
        out += lua_profile_table(key, f"{what} in Prosody ({delivered:,} delivered)", counts,
                                 delivered, 15)
    return "\n".join(out)


def lua_profile_table(heading: str, per: str, counts: dict[str, int], delivered: int,
                      top: int) -> list[str]:
    """Markdown lines: Lua VM instructions (counted in samples of 1000) per delivered
    stanza, in total and for the `top` functions."""
    total = sum(counts.values())
    out = [f"### {heading}: {total * 1000 / delivered:,.0f} Lua VM instructions per delivered "
           f"{per}\n",
           "| instructions per delivered | share | function (file:line defined) |",
           "|---|---|---|"]
    for where, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"| {n * 1000 / delivered:,.0f} | {n / total:.1%} | {where} |")
    out.append("")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="rooms of 10 and 100, four systems, 1 run, 2 s phases, 1 s steps")
    ap.add_argument("--sizes", help="room sizes, comma-separated (default 10,100,1000)")
    ap.add_argument("--systems", help="comma-separated (default all; quick: without the "
                    "per-recipient variants): " + ", ".join(SYSTEMS))
    ap.add_argument("--runs", type=int, help="runs per system and size (default 3; 1 quick)")
    ap.add_argument("--seconds", type=float, help="length of the saturate, half and same-rate "
                    "phases (default 5; 2 quick)")
    ap.add_argument("--step-seconds", type=float, help="length of each step of the knee "
                    "(default 3; 1 quick)")
    ap.add_argument("--step-factor", type=float, default=1.25,
                    help="the knee is bracketed within this factor: steps go up (or down) by "
                    "its square, then the middle is tried (default 1.25)")
    ap.add_argument("--step-fraction", type=float, default=0.6,
                    help="first step at this fraction of the saturate phase's rate (default 0.6)")
    ap.add_argument("--p99-limit-ms", type=float, default=200,
                    help="a step fails when its p99 passes this (default 200) or a copy is lost")
    ap.add_argument("--max-steps", type=int, default=8)
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
    ap.add_argument("--perf", nargs="?", const="saturate", choices=("saturate", "storm"),
                    help="perf record the host server over the saturate phase (default; all "
                    "phases run) or over the join storm (storm: that phase only), ejabberd "
                    "with +JPperf true, and print where its CPU went")
    ap.add_argument("--syscalls", action="store_true",
                    help="also count the host server's system calls over the saturate phase "
                    "(perf stat tracepoints) and print them per delivered message")
    ap.add_argument("--abuse-log-mode", choices=("journal-first", "database-first"),
                    default="journal-first",
                    help="commonroom's [abuse-log] mode (default journal-first, the service's "
                    "default since decision 0077: the journal copied into PostgreSQL once a "
                    "second; database-first commits each batch at PostgreSQL)")
    ap.add_argument("--pg-statements", nargs="?", const="rate",
                    choices=("saturate", "half", "rate"),
                    help="what PostgreSQL ran over that phase (default rate), from "
                    "pg_stat_statements (loaded into the benchmark's cluster): calls per "
                    "message sent and executor time per call, printed after the table")
    ap.add_argument("--lua-profile", nargs="?", const="saturate", choices=("saturate", "storm"),
                    help="that phase only (default saturate; storm: the join storm), with "
                    "Prosody's Lua instructions counted by function "
                    "(bench/prosody/mod_bench_lua_profile.lua); prints where they go")
    ap.add_argument("--phases", help="the load generator's phases, comma-separated (default "
                    "storm,saturate,steps,half,rate; e.g. without the storm to compare the "
                    "message phases alone)")
    ap.add_argument("--prosody-option", metavar="LUA", action="append",
                    help="a global option for every Prosody system, e.g. 'gc = { mode = "
                    "\"generational\" }' or 'commonroom_fanout_read_size = 8192' (repeatable)")
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
    args.step_seconds = args.step_seconds or (1.0 if args.quick else 3.0)
    if args.syscalls and args.phases and "saturate" not in args.phases.split(","):
        ap.error("--syscalls counts the host's system calls over the saturate phase: "
                 "add saturate to --phases")
    if args.from_json:
        raw = {}
        for f in args.from_json.split(","):
            for key, samples in json.loads(Path(f).read_text()).items():
                raw.setdefault(key, []).extend(samples)
        present = sorted({int(k.split("/")[1]) for k in raw})
        runs = max(len(v) for v in raw.values())
        if storm_only(raw):
            print(storm_table(raw))
            return 0
        results = {(k.split("/")[0], int(k.split("/")[1])): summarize(v) for k, v in raw.items()}
        print(table(results, raw, present, systems, runs, args.same_rate, args.storm_seconds))
        return 0
    if not load_bench_bin().exists():
        ap.error(f"{load_bench_bin()} is missing: build it (scripts/build muc_load_bench)")

    started = time.monotonic()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    pg = None
    if any(is_commonroom(s) for s in systems):
        pg = Cluster(options="-c shared_preload_libraries=pg_stat_statements "
                     "-c pg_stat_statements.track=top" if args.pg_statements else "")
        pg.start()
        if args.pg_statements:
            psql(pg.uri, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
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
                    if "saturate" not in figures:  # --phases without it, --lua-profile storm
                        done = ", ".join(
                            f"{p['phase']} {p.get('storm_s', p.get('wall_s', NAN)):.1f} s, host "
                            f"{p['host_cpu_s']:.2f} CPU-s" for p in figures.values()
                            if isinstance(p, dict) and "host_cpu_s" in p)
                        print(f"run {run + 1}/{args.runs} {system:15} {n:5} occupants: {done}",
                              file=sys.stderr, flush=True)
                        continue
                    s = figures["saturate"]
                    print(f"run {run + 1}/{args.runs} {system:15} {n:5} occupants: knee "
                          f"{knee_per_s(figures):9,.0f} delivered/s (saturate "
                          f"{s['delivered_per_s']:,.0f}), host "
                          f"{per_million(figures, 'host_cpu_s'):6.1f} CPU-s/M at the knee, "
                          f"p99 at half {figures.get('half', {}).get('p99_ms', NAN):.1f} ms; "
                          f"steps: {steps_line(figures)}", file=sys.stderr, flush=True)
    finally:
        if pg:
            pg.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    if args.perf:
        for key, samples in raw.items():
            print(f"### {key}: perf, host server, {args.perf} phase (self time)\n")
            print("```\n" + samples[-1].get("perf", "") + "\n```\n")
    if args.syscalls:
        print(syscalls_report(raw, args.seconds))
    if args.pg_statements:
        for key, samples in raw.items():
            if samples[-1].get("pg_statements"):
                print(f"### {key}: PostgreSQL statements, {args.pg_statements} phase (last run)\n")
                print(samples[-1]["pg_statements"] + "\n")
    if args.lua_profile:
        print(lua_profile_report(raw))
        return 0
    if args.perf == "storm":
        return 0
    if storm_only(raw):  # --phases storm
        print(storm_table(raw))
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
