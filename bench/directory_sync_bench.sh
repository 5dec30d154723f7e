#!/usr/bin/env bash
# bench/directory_sync_bench.sh — time `commonroom directory sync --full` against a real
# slapd and PostgreSQL holding generated Lookup-shaped directories.
#
#   bench/directory_sync_bench.sh [--fast] [PEOPLE...]      (default: 100000 200000)
#
# For each size: generates the LDIF (scripts/gen-lookup-ldif), loads it with slapadd,
# migrates a fresh database, then runs three full syncs: into an empty directory, again
# with nothing changed, and after 1% of the people changed in LDAP. Prints seconds and
# people/s for each, next to the target (a full sync of 100,000 people under 60 s).
# --fast runs PostgreSQL without fsync (as the tests do); the default is a durable cluster.
# Environment: COMMONROOM_BIN (default build/app/commonroom), BENCH_DIR (default
# .run/bench-directory; removed and recreated).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

FAST=0
SIZES=()
for a in "$@"; do
  case "$a" in
    --fast) FAST=1 ;;
    -h | --help)
      sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      [[ "$a" =~ ^[0-9]+$ ]] || die "expected a number of people, got '$a'"
      SIZES+=("$a")
      ;;
  esac
done
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(100000 200000)

BIN=${COMMONROOM_BIN:-$COMMONROOM_ROOT/build/app/commonroom}
[[ -x "$BIN" ]] || die "commonroom binary not found at $BIN (build it, or set COMMONROOM_BIN)"
DIR=${BENCH_DIR:-$COMMONROOM_ROOT/.run/bench-directory}
TARGET_PEOPLE=100000
TARGET_SECONDS=60

cleanup() {
  bash "$COMMONROOM_ROOT/scripts/lib/slapd.sh" stop "$DIR/slapd" >/dev/null 2>&1 || true
  bash "$COMMONROOM_ROOT/scripts/lib/postgres.sh" stop "$DIR/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$DIR"
mkdir -p "$DIR"
chmod 0755 "$DIR"
PG_PORT=$(free_port)
LDAP_PORT=$(free_port)
PG_URI=$(PG_FAST=$FAST bash "$COMMONROOM_ROOT/scripts/lib/postgres.sh" start "$DIR/pg" "$PG_PORT" |
  sed -n 's/^PG_URI=//p')
[[ -n "$PG_URI" ]] || die "PostgreSQL did not start"
PG_SERVER_URI=${PG_URI%/*}/postgres

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

RESULTS=()
run_sync() { # label people config
  local label=$1 people=$2 config=$3 t0 t1 s out
  t0=$(now)
  if ! out=$("$BIN" --config "$config" directory sync --full 2>"$DIR/sync.log"); then
    tail_log "$DIR/sync.log"
    die "sync failed ($label)"
  fi
  t1=$(now)
  s=$(elapsed "$t0" "$t1")
  printf '  %-34s %8s s  %8s people/s   (%s)\n' "$label" "$s" "$(rate "$people" "$s")" \
    "${out#*: }"
  grep -o 'directory sync: [a-z].* in [0-9]* ms$' "$DIR/sync.log" | sed 's/^directory sync: /      /' |
    grep -v ' run ' || true
  LAST_SECONDS=$s
}

echo "commonroom directory sync benchmark ($(nproc) CPUs; PostgreSQL $([[ $FAST == 1 ]] &&
  echo 'without fsync' || echo 'durable'))"
for n in "${SIZES[@]}"; do
  echo
  echo "== $n people"
  t0=$(now)
  "$COMMONROOM_ROOT/scripts/gen-lookup-ldif" --people "$n" --seed 42 >"$DIR/lookup-$n.ldif"
  echo "  generate LDIF                      $(elapsed "$t0" "$(now)") s ($(du -m "$DIR/lookup-$n.ldif" | cut -f1) MB)"
  t0=$(now)
  bash "$COMMONROOM_ROOT/scripts/lib/slapd.sh" start "$DIR/slapd" "$LDAP_PORT" "$DIR/lookup-$n.ldif" \
    >/dev/null
  echo "  slapadd + start slapd              $(elapsed "$t0" "$(now)") s"
  t0=$(now)
  ldapsearch -x -LLL -H "ldap://127.0.0.1:$LDAP_PORT" -E pr=500/noprompt \
    -b "ou=people,o=University of Cambridge,dc=cam,dc=ac,dc=uk" "(uid=*)" \
    uid cn sn givenName displayName mail title misAffiliation instID ou modifyTimestamp >/dev/null
  echo "  ldapsearch, paged, all people      $(elapsed "$t0" "$(now)") s (what LDAP alone costs)"

  db="bench_$n"
  psql -X -q -v ON_ERROR_STOP=1 "$PG_SERVER_URI" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db" >/dev/null
  config="$DIR/bench-$n.ini"
  cat >"$config" <<EOF
[database]
uri = ${PG_URI%/*}/$db
[ldap]
uri = ldap://127.0.0.1:$LDAP_PORT
[logging]
level = warning
level.directory = information
EOF
  "$BIN" --config "$config" migrate >/dev/null

  run_sync "full sync, empty directory" "$n" "$config"
  first=$LAST_SECONDS
  run_sync "full sync, nothing changed" "$n" "$config"

  # 1% of the people change their display name, as a busy week of Lookup edits might.
  changes=$((n / 100))
  grep '^dn: uid=' "$DIR/lookup-$n.ldif" | awk -v k="$changes" 'NR % 100 == 0 && c < k {
    c++; print $0; print "changetype: modify"; print "replace: displayName";
    print "displayName: Changed Name " c; print "" }' >"$DIR/changes.ldif"
  ldapmodify -x -H "ldap://127.0.0.1:$LDAP_PORT" \
    -D "cn=admin,o=University of Cambridge,dc=cam,dc=ac,dc=uk" -w commonroom-ldap-admin \
    -f "$DIR/changes.ldif" >/dev/null
  run_sync "full sync, 1% changed" "$n" "$config"

  if [[ "$n" -eq $TARGET_PEOPLE ]]; then
    verdict=$(awk -v s="$first" -v t=$TARGET_SECONDS 'BEGIN { print (s < t ? "PASS" : "FAIL") }')
    RESULTS+=("target: full sync of $n people in $first s (< $TARGET_SECONDS s): $verdict")
  fi
  bash "$COMMONROOM_ROOT/scripts/lib/slapd.sh" stop "$DIR/slapd"
done
echo
for r in "${RESULTS[@]}"; do echo "$r"; done
