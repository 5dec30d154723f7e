#!/usr/bin/env bash
# The abuse staff's searches on a big abuse log: loads EVENTS generated room events
# (bench/abuse_log_gen.py) into a throwaway PostgreSQL with COPY, then runs
# bench/abuse_search_bench, which prints p50/p95/max per query kind, the export time and
# the plans used.
#
#   bench/abuse_search_bench.sh EVENTS [BUILD_DIR] [abuse_search_bench options...]
#   e.g. bench/abuse_search_bench.sh 2000000
#
# The load drops room_events' secondary indexes, COPYs, and builds them again (how a
# restore is done; the live writer keeps them up to date instead). PG_FAST=1 is used for
# the load: fsync does not change how fast a query reads. KEEP_DB=1 leaves the cluster
# running afterwards (it prints how to reach and stop it) for more queries by hand.
set -euo pipefail
SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EVENTS=${1:?usage: $0 EVENTS [BUILD_DIR] [options...]}
BUILD_DIR=${2:-$SOURCE_DIR/build}
shift 2 || shift || true
BENCH=$BUILD_DIR/bench/abuse_search_bench
COMMONROOM=$BUILD_DIR/app/commonroom
for f in "$BENCH" "$COMMONROOM"; do
  [[ -x $f ]] || { echo "missing $f (scripts/build abuse_search_bench commonroom)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/commonroom-abuse-search-bench.XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  if [[ ${KEEP_DB:-0} == 1 ]]; then
    echo "kept: PG_URI=$URI; stop with: scripts/lib/postgres.sh stop $WORK/pg && rm -rf $WORK"
    return
  fi
  "$SOURCE_DIR/scripts/lib/postgres.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
URI=
trap cleanup EXIT
URI=$(PG_FAST=1 "$SOURCE_DIR/scripts/lib/postgres.sh" start "$WORK/pg" "$PORT" | sed -n 's/^PG_URI=//p')
printf '[database]\nuri = %s\n' "$URI" >"$WORK/commonroom.ini"
"$COMMONROOM" --config "$WORK/commonroom.ini" migrate >/dev/null
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$URI" "$@"; }
now() { date +%s.%N; }
t0=$(now)
/usr/bin/python3 "$SOURCE_DIR/bench/abuse_log_gen.py" "$EVENTS" --rooms-sql | q >/dev/null
q -c "SELECT indexdef FROM pg_indexes WHERE tablename = 'room_events' AND indexname <> 'room_events_pkey'" >"$WORK/indexes.sql"
q -c "SELECT indexname FROM pg_indexes WHERE tablename = 'room_events' AND indexname <> 'room_events_pkey'" |
  while read -r ix; do q -c "DROP INDEX $ix"; done
/usr/bin/python3 "$SOURCE_DIR/bench/abuse_log_gen.py" "$EVENTS" |
  q -c "COPY room_events (event_id, room, stanza_id, occurred_at, kind, actor_jid, actor_nick, target, body, detail, raw) FROM STDIN"
t1=$(now)
{
  echo "SET maintenance_work_mem = '1GB';"
  sed 's/$/;/' "$WORK/indexes.sql"
  echo "ANALYZE room_events; ANALYZE rooms;"
} | q >/dev/null
t2=$(now)
printf 'loaded %s events: generate + COPY %.0f s, indexes + ANALYZE %.0f s; table %s, indexes %s\n' \
  "$EVENTS" "$(awk "BEGIN{print $t1 - $t0}")" "$(awk "BEGIN{print $t2 - $t1}")" \
  "$(q -c "SELECT pg_size_pretty(pg_table_size('room_events'))")" \
  "$(q -c "SELECT pg_size_pretty(pg_indexes_size('room_events'))")"
"$BENCH" --database "$URI" "$@"
