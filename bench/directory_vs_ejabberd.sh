#!/usr/bin/env bash
# Directory search: commonroom against ejabberd's own LDAP-backed search, same people, same
# queries, same client, same host server.
#
#   bench/directory_vs_ejabberd.sh [--people N]... [--rounds R] [--runs K] [--keep]
#
# For each size (default 100000 and 200000):
#   1. scripts/gen-lookup-ldif writes N Lookup-like people; slapd serves them (its usual
#      eq,sub indexes on cn, sn, mail, displayName);
#   2. `commonroom directory sync --full` copies them into PostgreSQL (timed: full sync);
#   3. ejabberd 23.01 starts with mod_vcard on db_type ldap, pointed at the same slapd
#      (search on vjud.cam.example, auth [internal, ldap] so that LDAP people count as
#      users, as ejabberd's search requires), and commonroom connects to it as the
#      directory.cam.example component; its index load after start is timed;
#   4. bench/directory_search_client.py (slixmpp) sends every query to both services in
#      turn and prints p50/p99 for each and the ratio ejabberd/commonroom;
#   5. directory_search_bench prints the in-service latency on the same LDIF, beside the
#      LDAP search ejabberd sends for each query, timed alone against the same slapd;
#   6. steps 4 and 5 run K times (default 3) on the same servers, and a SUMMARY line per
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
while [[ $# -gt 0 ]]; do
  case "$1" in
    --people) SIZES+=("$2"); shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) die "usage: $0 [--people N]... [--rounds R] [--runs K] [--keep]" ;;
  esac
done
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(100000 200000)
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
cleanup() {
  [[ -n "$CR_PID" ]] && { kill "$CR_PID" 2>/dev/null; wait "$CR_PID" 2>/dev/null || true; }
  CR_PID=""
  [[ -n "$WORK" ]] || return 0
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
import glob, json, statistics, sys
n, work = sys.argv[1], sys.argv[2]
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
client = [json.load(open(f))["all"] for f in sorted(glob.glob(f"{work}/client-*.json"))]
line("end to end through ejabberd", client, "commonroom_", "peer_", "ejabberd mod_vcard+LDAP")
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

run_size() {
  local n=$1 work
  work=$(mktemp -d "/tmp/commonroom-dirbench-$n.XXXXXX")
  WORK=$work
  chmod 755 "$work"
  local ldap_port pg_port c2s comp admin
  ldap_port=$(free_port); pg_port=$(free_port); c2s=$(free_port); comp=$(free_port)
  admin=$(free_port)

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

  t=$(date +%s%N)
  "$BIN" --config "$work/commonroom.ini" run >"$work/commonroom.log" 2>&1 &
  CR_PID=$!
  local deadline=$(($(date +%s) + 300))
  until grep -q "directory search: .* people loaded" "$work/commonroom.log"; do
    (($(date +%s) < deadline)) || { tail -n 20 "$work/commonroom.log"; die "no index after 300 s"; }
    kill -0 "$CR_PID" 2>/dev/null || { tail -n 20 "$work/commonroom.log"; die "commonroom exited"; }
    sleep 0.1
  done
  echo "INDEX LOAD $n people: $(seconds_since "$t") s after start; $(grep -o 'directory search: .*' "$work/commonroom.log" | head -n 1)"
  until grep -q "$DIRECTORY: connected" "$work/commonroom.log"; do
    (($(date +%s) < deadline)) || { tail -n 20 "$work/commonroom.log"; die "no link to ejabberd"; }
    sleep 0.1
  done

  local run
  for ((run = 1; run <= RUNS; run++)); do
    echo "-- run $run of $RUNS ($n people)"
    /usr/bin/python3 "$ROOT/bench/directory_search_client.py" --port "$c2s" \
      --jid "bench@$DOMAIN" --password benchpw --commonroom "$DIRECTORY" --peer "$VJUD" \
      --rounds "$ROUNDS" --json "$work/client-$run.json"

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
