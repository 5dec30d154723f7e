#!/usr/bin/env bash
# bench/directory_opt_out_bench.sh — how long `commonroom directory opt-out UID` takes to
# reach a running service's search index at a realistic directory size.
#
#   bench/directory_opt_out_bench.sh [PEOPLE]      (default: 200000)
#
# Generates a Lookup-shaped LDIF (scripts/gen-lookup-ldif), loads slapd, syncs it into a
# fresh PostgreSQL (without fsync), starts `commonroom run` with [directory] and
# refresh_seconds = 600 (so only NOTIFY commonroom_directory can reach it), then opts three
# people out one after another. For each, prints the time from the command returning to
# the service's log line saying the person is removed from search (published just before
# that line), and to the line saying the reloaded directory is in use, with the reload's
# own read and index-build times.
# Environment: COMMONROOM_BIN (default build/app/commonroom), BENCH_DIR (default
# .run/bench-opt-out; removed and recreated).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

N=${1:-200000}
[[ "$N" =~ ^[0-9]+$ ]] || die "expected a number of people, got '$N'"
BIN=${COMMONROOM_BIN:-$COMMONROOM_ROOT/build/app/commonroom}
[[ -x "$BIN" ]] || die "commonroom binary not found at $BIN (build it, or set COMMONROOM_BIN)"
DIR=${BENCH_DIR:-$COMMONROOM_ROOT/.run/bench-opt-out}
CR_PID=

cleanup() {
  [[ -n "$CR_PID" ]] && kill "$CR_PID" 2>/dev/null && wait "$CR_PID" 2>/dev/null
  bash "$COMMONROOM_ROOT/scripts/lib/slapd.sh" stop "$DIR/slapd" >/dev/null 2>&1 || true
  bash "$COMMONROOM_ROOT/scripts/lib/postgres.sh" stop "$DIR/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$DIR"
mkdir -p "$DIR"
chmod 0755 "$DIR"
PG_URI=$(PG_FAST=1 bash "$COMMONROOM_ROOT/scripts/lib/postgres.sh" start "$DIR/pg" "$(free_port)" |
  sed -n 's/^PG_URI=//p')
[[ -n "$PG_URI" ]] || die "PostgreSQL did not start"
LDAP_PORT=$(free_port)
"$COMMONROOM_ROOT/scripts/gen-lookup-ldif" --people "$N" --seed 42 >"$DIR/lookup.ldif"
bash "$COMMONROOM_ROOT/scripts/lib/slapd.sh" start "$DIR/slapd" "$LDAP_PORT" "$DIR/lookup.ldif" \
  >/dev/null
cat >"$DIR/commonroom.ini" <<EOF
[links]
port = $(free_port)
[directory]
domain = directory.cam.example
secret = bench
refresh_seconds = 600
[database]
uri = $PG_URI
[ldap]
uri = ldap://127.0.0.1:$LDAP_PORT
schedule = false
[admin-web]
listen = 127.0.0.1:0
[logging]
level = warning
level.directory = information
EOF
chmod 0600 "$DIR/commonroom.ini"
"$BIN" --config "$DIR/commonroom.ini" migrate >/dev/null
"$BIN" --config "$DIR/commonroom.ini" directory sync --full >/dev/null 2>"$DIR/sync.log" ||
  { tail_log "$DIR/sync.log"; die "sync failed"; }

"$BIN" --config "$DIR/commonroom.ini" run 2>"$DIR/commonroom.log" &
CR_PID=$!
loaded() { grep -c 'directory search: .* people loaded' "$DIR/commonroom.log" || true; }
for _ in $(seq 600); do [[ $(loaded) -ge 1 ]] && break; sleep 0.1; done
[[ $(loaded) -ge 1 ]] || { tail_log "$DIR/commonroom.log"; die "the index did not load"; }
echo "commonroom directory opt-out benchmark, $N people ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
grep -o 'directory search: .* people loaded.*' "$DIR/commonroom.log" | head -1 | sed 's/^/  at start: /'

uids=$(grep -m 3 '^uid: ' <(tail -n +$((N * 10)) "$DIR/lookup.ldif") | cut -d' ' -f2)
# Milliseconds from $1 (seconds since the epoch) to the timestamp of log line $2.
ms_to_line() {
  local at
  at=$(date -u -d "$(cut -d' ' -f1 <<<"$2" | sed 's/T/ /; s/Z$//')" +%s.%N)
  awk -v a="$1" -v b="$at" 'BEGIN { printf "%.0f", (b - a) * 1000 }'
}
for uid in $uids; do
  before=$(loaded)
  "$BIN" --config "$DIR/commonroom.ini" directory opt-out "$uid" >/dev/null
  returned=$(date -u +%s.%N)
  for _ in $(seq 1500); do [[ $(loaded) -gt $before ]] && break; sleep 0.02; done
  [[ $(loaded) -gt $before ]] || die "no reload within 30 s after opting $uid out"
  removed=$(grep "directory search: $uid opted out" "$DIR/commonroom.log" | tail -1)
  [[ -n "$removed" ]] || die "the service never said $uid was removed from search"
  reload=$(grep 'directory search: .* people loaded' "$DIR/commonroom.log" | tail -1)
  printf '  opt-out %-8s gone from search %5s ms, reload in use %6s ms after the command returned (%s)\n' \
    "$uid" "$(ms_to_line "$returned" "$removed")" "$(ms_to_line "$returned" "$reload")" \
    "$(grep -o '([^)]*)' <<<"$reload" | head -1 | tr -d '()')"
done
