#!/usr/bin/env bash
# bench/link_directory_bench.sh — what linked rooms' memberships cost at University size:
# a generated Lookup-shaped directory in a real slapd, synced into a real PostgreSQL by
# `commonroom directory sync --full`, then loaded as the running service loads it.
#
#   bench/link_directory_bench.sh [PEOPLE] [RUNS]      (default: 200000 5)
#
# Prints the load time (median of RUNS), the memory the loaded memberships hold, and the
# membership check the rooms engine makes, each next to a hash map of hash sets built from
# the same rows. Environment: COMMONROOM_BIN (default build/app/commonroom),
# LINK_BENCH_BIN (default build/bench/link_directory_bench), BENCH_DIR (default
# .run/bench-links; removed and recreated).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

case "${1:-}" in
  -h | --help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac
PEOPLE=${1:-200000}
RUNS=${2:-5}
[[ "$PEOPLE" =~ ^[0-9]+$ && "$RUNS" =~ ^[0-9]+$ ]] || die "usage: $0 [PEOPLE] [RUNS]"
BIN=${COMMONROOM_BIN:-$COMMONROOM_ROOT/build/app/commonroom}
BENCH=${LINK_BENCH_BIN:-$COMMONROOM_ROOT/build/bench/link_directory_bench}
[[ -x "$BIN" ]] || die "commonroom binary not found at $BIN (build it, or set COMMONROOM_BIN)"
[[ -x "$BENCH" ]] || die "benchmark not found at $BENCH (scripts/build link_directory_bench)"
DIR=${BENCH_DIR:-$COMMONROOM_ROOT/.run/bench-links}

cleanup() {
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

echo "linked rooms' memberships at $PEOPLE people ($(nproc) CPUs)"
"$COMMONROOM_ROOT/scripts/gen-lookup-ldif" --people "$PEOPLE" --seed 42 >"$DIR/lookup.ldif"
bash "$COMMONROOM_ROOT/scripts/lib/slapd.sh" start "$DIR/slapd" "$LDAP_PORT" "$DIR/lookup.ldif" \
  >/dev/null
cat >"$DIR/bench.ini" <<INI
[database]
uri = $PG_URI
[ldap]
uri = ldap://127.0.0.1:$LDAP_PORT
[logging]
level = warning
INI
"$BIN" --config "$DIR/bench.ini" migrate >/dev/null
"$BIN" --config "$DIR/bench.ini" directory sync --full >/dev/null
"$BENCH" "$PG_URI" "$RUNS"
