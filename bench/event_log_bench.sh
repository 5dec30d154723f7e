#!/usr/bin/env bash
# Runs bench/event_log_bench on a throwaway PostgreSQL cluster (fsync and synchronous_commit
# on, as in production), migrated with `commonroom migrate`.
#
#   bench/event_log_bench.sh [BUILD_DIR] [event_log_bench options...]
#   e.g. bench/event_log_bench.sh build --events 100000 --runs 3
set -euo pipefail
SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-$SOURCE_DIR/build}
shift || true
BENCH=$BUILD_DIR/bench/event_log_bench
COMMONROOM=$BUILD_DIR/app/commonroom
for f in "$BENCH" "$COMMONROOM"; do
  [[ -x $f ]] || { echo "missing $f (ninja -C $BUILD_DIR event_log_bench commonroom)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/commonroom-event-log-bench.XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  "$SOURCE_DIR/scripts/lib/postgres.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
URI=$("$SOURCE_DIR/scripts/lib/postgres.sh" start "$WORK/pg" "$PORT" | sed -n 's/^PG_URI=//p')
printf '[database]\nuri = %s\n' "$URI" >"$WORK/commonroom.ini"
"$COMMONROOM" --config "$WORK/commonroom.ini" migrate >/dev/null
"$BENCH" --database "$URI" --journal-dir "$WORK/journal" "$@"
