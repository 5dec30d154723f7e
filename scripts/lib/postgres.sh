#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the demo and the tests.
#
#   scripts/lib/postgres.sh start DIR PORT   cluster in DIR/data on 127.0.0.1:PORT, unix socket
#                                            in DIR, database "commonroom" with pg_trgm;
#                                            prints PG_URI=postgresql://postgres@127.0.0.1:PORT/commonroom
#   scripts/lib/postgres.sh stop DIR         fast shutdown; no-op if it is not running
#   scripts/lib/postgres.sh status DIR       exit 0 if running
#
# An existing cluster in DIR is reused (its data kept); a half-created one is rebuilt.
# Environment: PG_FAST=1 turns off fsync/synchronous_commit/full_page_writes — for tests,
# where speed matters and a crash only loses a scratch database. PG_OPTIONS adds server
# options when the cluster starts (e.g. "-c shared_preload_libraries=pg_stat_statements"
# for bench/muc_e2e.py --pg-statements).
# Run as root (the cluster runs as user postgres) or as an ordinary user (runs as you).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

PG_USER=postgres
DB_NAME=commonroom

usage() {
  echo "usage: $0 start DIR PORT | stop DIR | status DIR" >&2
  exit 2
}

# Debian keeps the server binaries out of PATH (/usr/lib/postgresql/N/bin); some images
# link them into /usr/local/bin. Prefer PATH, else the newest installed major version.
find_pg_bin() {
  if have initdb && have pg_ctl; then
    dirname "$(command -v pg_ctl)"
    return
  fi
  local d
  d=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  [[ -n "$d" && -x "$d/initdb" ]] || die "PostgreSQL server binaries not found (run scripts/setup)"
  echo "$d"
}

# The cluster's owner: postgres when we are root, otherwise ourselves.
cluster_user() {
  if is_root; then echo "$PG_USER"; else id -un; fi
}

pg() { run_as "$(cluster_user)" "$PG_BIN/$1" "${@:2}"; }

is_running() {
  [[ -f "$DATA/postmaster.pid" ]] && pg pg_ctl -D "$DATA" status >/dev/null 2>&1
}

psql_q() {
  local bin=psql
  [[ -x "$PG_BIN/psql" ]] && bin="$PG_BIN/psql"
  "$bin" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"
}

cmd_start() {
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "port must be a number, got '$PORT'"
  local owner
  owner=$(cluster_user)
  mkdir -p "$DIR"
  DIR=$(realpath "$DIR")
  DATA="$DIR/data"

  if is_running; then
    local running_port
    running_port=$(sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true)
    if [[ "$running_port" != "$PORT" ]]; then
      die "a cluster is already running in $DIR on port $running_port (asked for $PORT); stop it first"
    fi
  else
    if port_open 127.0.0.1 "$PORT"; then
      die "port $PORT on 127.0.0.1 is already in use by another program"
    fi
    ensure_traversable "$owner" "$DIR"
    if is_root; then chown "$owner:" "$DIR"; fi
    chmod 0755 "$DIR"
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
      rm -rf "$DATA"
      if ! pg initdb -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$DIR/initdb.log" 2>&1; then
        tail_log "$DIR/initdb.log"
        die "initdb failed in $DATA"
      fi
    fi
    local opts="-c listen_addresses=127.0.0.1 -p $PORT -k $DIR"
    if [[ "${PG_FAST:-0}" == 1 ]]; then
      opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if [[ -n "${PG_OPTIONS:-}" ]]; then
      opts+=" $PG_OPTIONS"
    fi
    # The log is created by the cluster user, so it must be writable by them.
    touch "$DIR/postgres.log"
    if is_root; then chown "$owner:" "$DIR/postgres.log"; fi
    if ! pg pg_ctl -D "$DATA" -l "$DIR/postgres.log" -w -t 60 -o "$opts" start >/dev/null 2>&1; then
      tail_log "$DIR/postgres.log"
      die "PostgreSQL did not start (data $DATA, port $PORT)"
    fi
  fi

  wait_for_port 127.0.0.1 "$PORT" 30 || die "PostgreSQL is running but port $PORT does not answer"
  if [[ -z "$(psql_q -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]]; then
    psql_q -d postgres -c "CREATE DATABASE $DB_NAME ENCODING 'UTF8' TEMPLATE template0" >/dev/null
  fi
  psql_q -d "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null 2>&1 ||
    die "could not create extension pg_trgm (is postgresql-contrib / postgresql-15 complete?)"
  echo "PG_URI=postgresql://postgres@127.0.0.1:$PORT/$DB_NAME"
}

cmd_stop() {
  [[ -d "$DIR" ]] || return 0
  DIR=$(realpath "$DIR")
  DATA="$DIR/data"
  [[ -f "$DATA/postmaster.pid" ]] || return 0
  if is_running; then
    pg pg_ctl -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      die "PostgreSQL in $DATA did not stop"
  fi
}

cmd_status() {
  [[ -d "$DIR" ]] || return 1
  DIR=$(realpath "$DIR")
  DATA="$DIR/data"
  is_running
}

[[ $# -ge 2 ]] || usage
ACTION=$1
DIR=$2
PORT=${3:-}
PG_BIN=$(find_pg_bin)
DATA="$DIR/data"
case "$ACTION" in
  start)
    [[ -n "$PORT" ]] || usage
    cmd_start
    ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
