#!/usr/bin/env bash
# Directory search end to end: commonroom through ejabberd and through Prosody against
# ejabberd's own LDAP-backed search, same people, same queries, same client. Prosody has no
# LDAP-backed search of its own, so the peer of commonroom through Prosody is ejabberd's.
#
#   bench/directory_vs_ejabberd.sh [--people N]... [--rounds R] [--runs K] [--keep]
#                                  [--client bare|raw|slixmpp|both|A,B] [--no-prosody]
#                                  [--variant LABEL:BIN:KEY=VALUE]...
#
# --variant compares commonroom builds or settings in the same run (alternating, on the same
# servers): BIN is a commonroom binary, KEY=VALUE an optional [directory] setting, e.g.
#   --variant before:/work/main/build/app/commonroom: --variant after:build/app/commonroom:
#
# For each size (default 100000 and 200000):
#   1. scripts/gen-lookup-ldif writes N Lookup-like people; slapd serves them (its usual
#      eq,sub indexes on cn, sn, mail, displayName);
#   2. `commonroom directory sync --full` copies them into PostgreSQL (timed: full sync);
#   3. ejabberd 23.01 starts with mod_vcard on db_type ldap, pointed at the same slapd
#      (search on vjud.cam.example, auth [internal, ldap] so that LDAP people count as
#      users, as ejabberd's search requires), and commonroom connects to it as the
#      directory.cam.example component; its index load after start is timed;
#   4. Prosody starts with the same component and user, and a second commonroom process
#      (same database) connects to it as the same component;
#   5. bench/directory_search_client.py sends every query to the three targets in turn (who
#      goes first rotates each round) and
#      prints p50/p99 per query and target, items and bytes per reply, the ratio
#      ejabberd/commonroom and its own CPU per search; then runs each target alone and
#      prints the CPU per search of ejabberd, Prosody, both commonroom processes and slapd.
#      --client bare is a minimal client on a blocking socket that does not parse replies
#      (the host's and the service's time; it also times a disco#info round trip to each
#      target, the floor under every search); raw is the same on asyncio, which adds
#      0.4-0.8 ms of its own per search; slixmpp is what a Python bot sees; both = bare and
#      slixmpp (the default); A,B picks several;
#   6. directory_search_bench prints the in-service latency on the same LDIF, beside the
#      LDAP search ejabberd sends for each query, timed alone against the same slapd;
#   7. steps 5 and 6 run K times (default 3) on the same servers, and a SUMMARY line per
#      comparison gives the medians over the runs and the median of the runs' ratios.
# Run as root (the servers drop to their own users). Needs a build: COMMONROOM_BUILD_DIR
# (default build/) with app/commonroom and bench/directory_search_bench.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib/common.sh"

BUILD=${COMMONROOM_BUILD_DIR:-$ROOT/build}
BIN=${COMMONROOM_BIN:-$BUILD/app/commonroom}
SIZES=()
ROUNDS=30
RUNS=3
KEEP=0
CLIENTS="bare slixmpp"
VARIANTS=()
PROSODY=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --people) SIZES+=("$2"); shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --client) CLIENTS=${2/both/bare slixmpp}; CLIENTS=${CLIENTS//,/ }; shift 2 ;;
    --no-prosody) PROSODY=0; shift ;;
    --variant) VARIANTS+=("$2"); shift 2 ;;
    *) die "usage: $0 [--people N]... [--rounds R] [--runs K] [--keep] [--client bare|raw|slixmpp|both|A,B] [--no-prosody] [--variant LABEL:BIN:KEY=VALUE]..." ;;
  esac
done
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(100000 200000)
[[ ${#VARIANTS[@]} -gt 0 ]] || VARIANTS=("commonroom:$BIN:")
[[ -x "$BIN" ]] || die "commonroom binary not found at $BIN (build it, or set COMMONROOM_BIN)"
is_root || die "run as root: slapd, PostgreSQL and ejabberd drop to their own users"

BASE="o=University of Cambridge,dc=cam,dc=ac,dc=uk"
DOMAIN=cam.example
DIRECTORY=directory.cam.example
VJUD=vjud.cam.example
SECRET=bench-dir-secret

seconds_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

# Whatever happens (a failed step, Ctrl-C), stop every server this script started.
WORK=""
CR_PID=""
CR2_PID=""
cleanup() {
  stop_commonroom
  [[ -n "$WORK" ]] || return 0
  "$ROOT/scripts/lib/prosody.sh" stop "$WORK/prosody" >/dev/null 2>&1 || true
  "$ROOT/scripts/lib/ejabberd.sh" stop "$WORK/ejabberd" >/dev/null 2>&1 || true
  "$ROOT/scripts/lib/slapd.sh" stop "$WORK/slapd" >/dev/null 2>&1 || true
  "$ROOT/scripts/lib/postgres.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
  if [[ $KEEP -eq 0 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
  WORK=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Medians over the runs of one size: end to end (client JSON files) and in service against
# the LDAP search alone (directory_search_bench --json lines).
summarize() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import glob, json, os, statistics, sys
n, work = sys.argv[1], sys.argv[2]
PEER = "ejabberd mod_vcard+LDAP"
def med(xs): return statistics.median(xs) if xs else float("nan")
def line(label, runs, mine, peer, peer_name):
    if not runs:
        return
    m50, m99 = med([r[mine + "p50_us"] for r in runs]), med([r[mine + "p99_us"] for r in runs])
    t50, t99 = med([r[peer + "p50_us"] for r in runs]), med([r[peer + "p99_us"] for r in runs])
    r50 = [r[peer + "p50_us"] / r[mine + "p50_us"] for r in runs]
    r99 = [r[peer + "p99_us"] / r[mine + "p99_us"] for r in runs]
    print(f"SUMMARY {n} people, {label}, median of {len(runs)} runs: commonroom p50 {m50:.1f} us "
          f"p99 {m99:.1f} us; {peer_name} p50 {t50:.1f} us p99 {t99:.1f} us; ratio p50 "
          f"{med(r50):.1f}x p99 {med(r99):.1f}x (runs: p50 "
          + " ".join(f"{x:.1f}x" for x in r50) + ", p99 " + " ".join(f"{x:.1f}x" for x in r99) + ")")
groups = {}
for f in sorted(glob.glob(f"{work}/client-*.json")):
    kind, label = os.path.basename(f)[len("client-"):-len(".json")].split("-", 1)
    groups.setdefault((kind, label.rsplit("-", 1)[0]), []).append(json.load(open(f)))
for (kind, label), runs in groups.items():
    for target in runs[0]["all"]:
        if target == PEER:
            continue
        flat = [{"commonroom_p50_us": r["all"][target]["p50_us"],
                 "commonroom_p99_us": r["all"][target]["p99_us"],
                 "peer_p50_us": r["all"][PEER]["p50_us"],
                 "peer_p99_us": r["all"][PEER]["p99_us"]} for r in runs]
        line(f"'{label}' end to end {target} ({kind} client)", flat, "commonroom_", "peer_", PEER)
        worse = sorted({q for r in runs for q in r["worse"] if q.endswith(f"({target})")})
        print(f"SUMMARY {n} people, '{label}' {target} ({kind} client): worse than the peer in "
              f"some run on: " + (", ".join(worse) if worse else "no query"))
        unequal = sorted({q for r in runs for q in r.get("unequal", []) if f"({target};" in q})
        print(f"SUMMARY {n} people, '{label}' {target} ({kind} client): slower in some run "
              f"where the peer found fewer people: " + (", ".join(unequal) if unequal else
                                                       "no query"))
    floors = [r["floor"] for r in runs if r.get("floor")]
    if floors:
        print(f"SUMMARY {n} people, '{label}', {kind} client, floor (disco#info round trip, "
              f"median): " + ", ".join(
                  f"{t} p50 {med([f[t]['p50_us'] for f in floors]):.0f} us p99 "
                  f"{med([f[t]['p99_us'] for f in floors]):.0f} us" for t in floors[0]))
    cli = {t: med([r["all"][t]["client_cpu_us"] for r in runs]) for t in runs[0]["all"]}
    print(f"SUMMARY {n} people, '{label}', {kind} client's own CPU per search (median): "
          + ", ".join(f"{t} {v:.0f} us" for t, v in cli.items()))
    size = {t: med([statistics.mean(q[t]["bytes"] for q in r["queries"].values()) for r in runs])
            for t in runs[0]["all"]}
    print(f"SUMMARY {n} people, '{label}', mean reply bytes per query: "
          + ", ".join(f"{t} {v:.0f}" for t, v in size.items()))
    cpu = [r["cpu"] for r in runs if r.get("cpu")]
    for target in (cpu[0] if cpu else {}):
        procs = cpu[0][target]
        print(f"SUMMARY {n} people, '{label}', CPU per search through {target} ({kind} client, "
              f"median): " + ", ".join(f"{p} {med([c[target][p] for c in cpu]):.0f} us"
                                       for p in procs))
try:
    service = [json.loads(l) for l in open(f"{work}/service.jsonl") if l.strip()]
except FileNotFoundError:
    service = []
service = [r for r in service if "peer_ldap_p50_us" in r]
line("in service vs the LDAP search alone", service, "peer_service_", "peer_ldap_",
     "LDAP (ejabberd's query)")
if service:
    print(f"SUMMARY {n} people, whole service on all queries, median of {len(service)} runs: "
          f"p50 {med([r['service_p50_us'] for r in service]):.1f} us, p99 "
          f"{med([r['service_p99_us'] for r in service]):.1f} us, thread CPU p99 "
          f"{med([r['service_cpu_p99_us'] for r in service]):.1f} us")
PY
}

stop_commonroom() {
  [[ -n "$CR_PID" ]] && { kill "$CR_PID" 2>/dev/null; wait "$CR_PID" 2>/dev/null || true; }
  [[ -n "$CR2_PID" ]] && { kill "$CR2_PID" 2>/dev/null; wait "$CR2_PID" 2>/dev/null || true; }
  CR_PID=""
  CR2_PID=""
}

# Waits until LOG shows the index loaded and the link up, while PID lives.
wait_ready() {
  local log=$1 pid=$2 deadline=$(($(date +%s) + 300))
  until grep -q "directory search: .* people loaded" "$log" && grep -q "$DIRECTORY: connected" "$log"; do
    (($(date +%s) < deadline)) || { tail -n 20 "$log"; die "commonroom not ready after 300 s ($log)"; }
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log"; die "commonroom exited ($log)"; }
    sleep 0.1
  done
}

# (Re)starts commonroom variant LABEL (binary BIN, extra [directory] line EXTRA) as the
# component of ejabberd and, unless --no-prosody, of Prosody.
start_commonroom() {
  local work=$1 label=$2 bin=$3 extra=$4 comp=$5 admin=$6 p_comp=$7 p_admin=$8
  stop_commonroom
  sed -e "s/^refresh_seconds = 1\$/refresh_seconds = 1\n${extra/=/ = }/" "$work/commonroom.ini" >"$work/cr-e-$label.ini"
  local t
  t=$(date +%s%N)
  "$bin" --config "$work/cr-e-$label.ini" run >"$work/cr-e-$label.log" 2>&1 &
  CR_PID=$!
  if [[ $PROSODY -eq 1 ]]; then
    sed -e "s/^port = $comp\$/port = $p_comp/" -e "s/^listen = 127.0.0.1:$admin\$/listen = 127.0.0.1:$p_admin/" \
      "$work/cr-e-$label.ini" >"$work/cr-p-$label.ini"
    "$bin" --config "$work/cr-p-$label.ini" run >"$work/cr-p-$label.log" 2>&1 &
    CR2_PID=$!
  fi
  chmod 600 "$work"/cr-*.ini
  wait_ready "$work/cr-e-$label.log" "$CR_PID"
  [[ $PROSODY -eq 0 ]] || wait_ready "$work/cr-p-$label.log" "$CR2_PID"
  echo "commonroom '$label' ($bin${extra:+, $extra}) ready $(seconds_since "$t") s after start;" \
    "$(grep -o 'directory search: .*' "$work/cr-e-$label.log" | head -n 1)"
}

run_size() {
  local n=$1 work
  work=$(mktemp -d "/tmp/commonroom-dirbench-$n.XXXXXX")
  WORK=$work
  chmod 755 "$work"
  local ldap_port pg_port c2s comp admin p_c2s p_comp p_admin
  ldap_port=$(free_port); pg_port=$(free_port); c2s=$(free_port); comp=$(free_port)
  admin=$(free_port); p_c2s=$(free_port); p_comp=$(free_port); p_admin=$(free_port)

  echo "== $n people ($work)"
  python3 "$ROOT/scripts/gen-lookup-ldif" --people "$n" --seed 7 >"$work/lookup.ldif"
  local t
  t=$(date +%s%N)
  "$ROOT/scripts/lib/slapd.sh" start "$work/slapd" "$ldap_port" "$work/lookup.ldif" >/dev/null
  echo "slapd loaded in $(seconds_since "$t") s"
  local pg_uri
  pg_uri=$(PG_FAST=1 "$ROOT/scripts/lib/postgres.sh" start "$work/pg" "$pg_port" |
    sed -n 's/^PG_URI=//p')

  cat >"$work/commonroom.ini" <<INI
[links]
host = 127.0.0.1
port = $comp
[directory]
domain = $DIRECTORY
secret = $SECRET
rate_limit = 0
refresh_seconds = 1
[database]
uri = $pg_uri
[ldap]
uri = ldap://127.0.0.1:$ldap_port
jid_template = {uid}@$DOMAIN
schedule = false
[admin-web]
listen = 127.0.0.1:$admin
[logging]
level = warning
level.directory = information
level.link = information
INI
  chmod 600 "$work/commonroom.ini"
  "$BIN" --config "$work/commonroom.ini" migrate >/dev/null
  t=$(date +%s%N)
  "$BIN" --config "$work/commonroom.ini" directory sync --full | tail -n 1
  echo "FULL SYNC $n people: $(seconds_since "$t") s (LDAP -> PostgreSQL, commonroom directory sync --full)"

  "$ROOT/scripts/lib/ejabberd.sh" start "$work/ejabberd" "$c2s" "$comp" "$DOMAIN" \
    "$DIRECTORY:$SECRET" "bench:benchpw" >/dev/null
  # ejabberd's LDAP search: the same slapd, search fields by LDAP attribute, LDAP people
  # made users (mod_vcard only lists results that are users of the host).
  local yml="$work/ejabberd/etc/ejabberd.yml"
  sed -i 's/^auth_method: internal$/auth_method: [internal, ldap]/' "$yml"
  cat >>"$yml" <<YML
  mod_vcard:
    db_type: ldap
    search: true
    hosts: ["$VJUD"]
    matches: 50
    ldap_search_fields:
      "User": "%u"
      "Full Name": "displayName"
      "Given Name": "givenName"
      "Family Name": "sn"
      "Email": "mail"
    ldap_search_reported:
      "Full Name": "FN"
      "Given Name": "GIVEN"
      "Family Name": "FAMILY"
      "Nickname": "NICKNAME"
      "Email": "EMAIL"
ldap_servers: ["127.0.0.1"]
ldap_port: $ldap_port
ldap_base: "ou=people,$BASE"
ldap_uids: {"uid": "%u"}
YML
  "$ROOT/scripts/lib/ejabberd.sh" restart "$work/ejabberd" >/dev/null

  if [[ $PROSODY -eq 1 ]]; then
    # The same component and user on Prosody, served by a second commonroom process.
    "$ROOT/scripts/lib/prosody.sh" start "$work/prosody" "$p_c2s" "$p_comp" "$DOMAIN" \
      "$DIRECTORY:$SECRET" "bench:benchpw" >/dev/null
  fi

  local client_args=(--port "$c2s" --jid "bench@$DOMAIN" --password benchpw
    --commonroom "$DIRECTORY" --peer "$VJUD" --rounds "$ROUNDS")
  [[ $PROSODY -eq 1 ]] && client_args+=(--prosody-port "$p_c2s")
  local run kind v label vbin vextra cpu_pids prosody_pid
  for ((run = 1; run <= RUNS; run++)); do
    for v in "${VARIANTS[@]}"; do
      IFS=: read -r label vbin vextra <<<"$v"
      start_commonroom "$work" "$label" "$vbin" "$vextra" "$comp" "$admin" "$p_comp" "$p_admin"
      cpu_pids="ejabberd=$(head -n 1 "$work/ejabberd/run/ejabberd.pid"),commonroom-e=$CR_PID"
      cpu_pids+=",slapd=$(head -n 1 "$work/slapd/run/slapd.pid")"
      if [[ $PROSODY -eq 1 ]]; then
        prosody_pid=$(head -n 1 "$work/prosody/prosody.pid" 2>/dev/null || head -n 1 "$work/prosody/prosody.run")
        cpu_pids+=",prosody=$(tr -cd '0-9' <<<"$prosody_pid"),commonroom-p=$CR2_PID"
      fi
      for kind in $CLIENTS; do
        echo "-- run $run of $RUNS ($n people), commonroom '$label', $kind client; load $(cut -d' ' -f1-3 /proc/loadavg)"
        /usr/bin/python3 "$ROOT/bench/directory_search_client.py" "${client_args[@]}" \
          --client "$kind" --cpu "$cpu_pids" --json "$work/client-$kind-$label-$run.json"
      done
    done

    if [[ -x "$BUILD/bench/directory_search_bench" ]]; then
      echo "-- in-service latency on the same people, and the LDAP search ejabberd sends for"
      echo "-- each query timed on its own (directory_search_bench --ldif --peer-ldap):"
      "$BUILD/bench/directory_search_bench" --rounds 200 --ldif "$work/lookup.ldif" \
        --peer-ldap "ldap://127.0.0.1:$ldap_port" --peer-base "ou=people,$BASE" \
        --json "$work/service.jsonl" || true
    fi
  done
  summarize "$n" "$work"
  cleanup
}

for n in "${SIZES[@]}"; do run_size "$n"; done
