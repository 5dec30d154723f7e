# shellcheck shell=bash
# Shared helpers for commonroom's bash scripts. Source it; it defines functions and
# COMMONROOM_ROOT (the repository root) and changes nothing else in the caller's shell.
#
#   log MSG...              progress line on stderr ("[script] MSG")
#   warn MSG...             warning on stderr
#   die MSG...              error on stderr, exit 1
#   have CMD                true if CMD is on PATH
#   is_root                 true when running as uid 0
#   run_as USER CMD...      run CMD as USER (runuser as root; as ourselves otherwise)
#   port_open HOST PORT     true if something accepts TCP connections there
#   wait_for_port HOST PORT TIMEOUT_SECONDS   wait until it accepts (fails on timeout)
#   wait_for_port_closed HOST PORT TIMEOUT_SECONDS
#   free_port               print a currently unused loopback TCP port
#   proc_running PID        true if PID is a live process (not a zombie)
#   pid_alive PIDFILE       true if the pid in PIDFILE is a live process
#   stop_pidfile PIDFILE [TIMEOUT]  TERM (then KILL after TIMEOUT) the pid, remove the file
#   ensure_traversable USER DIR     let USER reach DIR (adds o+x on parents that block it)
#   tail_log FILE [N]       last N lines of FILE on stderr, indented (for failure messages)

if [[ -n "${COMMONROOM_COMMON_SH:-}" ]]; then
  return 0
fi
COMMONROOM_COMMON_SH=1

# shellcheck disable=SC2034 # used by the scripts that source this file
COMMONROOM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COMMONROOM_SCRIPT_NAME="$(basename "${0:-commonroom}")"

log() { printf '[%s] %s\n' "$COMMONROOM_SCRIPT_NAME" "$*" >&2; }
warn() { printf '[%s] warning: %s\n' "$COMMONROOM_SCRIPT_NAME" "$*" >&2; }
die() {
  printf '[%s] error: %s\n' "$COMMONROOM_SCRIPT_NAME" "$*" >&2
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Servers drop privileges to their own system user when we are root. A developer running
# the scripts unprivileged still gets working throwaway servers, owned by themselves.
run_as() {
  local user=$1
  shift
  if is_root && [[ "$user" != root ]]; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

# Bash's /dev/tcp avoids depending on nc/ss being installed.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Deadline in milliseconds from the monotonic-enough wall clock; fractional timeouts work.
_cr_now_ms() { date +%s%3N; }

wait_for_port() {
  local host=$1 port=$2 timeout=${3:-30}
  local deadline=$(($(_cr_now_ms) + ${timeout%.*} * 1000))
  while ! port_open "$host" "$port"; do
    if (($(_cr_now_ms) >= deadline)); then
      return 1
    fi
    sleep 0.05
  done
}

wait_for_port_closed() {
  local host=$1 port=$2 timeout=${3:-30}
  local deadline=$(($(_cr_now_ms) + ${timeout%.*} * 1000))
  while port_open "$host" "$port"; do
    if (($(_cr_now_ms) >= deadline)); then
      return 1
    fi
    sleep 0.05
  done
}

# Ask the kernel for an ephemeral port, then release it. Racy by nature but good enough
# for test servers on loopback; callers still check that their server came up.
free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# A zombie (exited, not yet reaped: e.g. in a container whose init does not reap)
# still answers kill -0, so look at its state too.
proc_running() {
  local pid=$1 state
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)
  [[ "$state" != Z ]]
}

pid_alive() {
  local pidfile=$1 pid
  [[ -r "$pidfile" ]] || return 1
  pid=$(head -n1 "$pidfile" 2>/dev/null | tr -cd '0-9')
  proc_running "$pid"
}

stop_pidfile() {
  local pidfile=$1 timeout=${2:-15} pid i
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    return 0
  fi
  pid=$(head -n1 "$pidfile" | tr -cd '0-9')
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 20; i++)); do
    proc_running "$pid" || break
    sleep 0.05
  done
  if proc_running "$pid"; then
    warn "pid $pid ($pidfile) ignored SIGTERM for ${timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.1
  fi
  rm -f "$pidfile"
}

# A server running as its own user (postgres, openldap, prosody) must be able to walk
# down to its data directory. Checkouts under /root or a 0700 home would stop it, so
# grant search (x, not read) permission on each parent that blocks the user.
ensure_traversable() {
  local user=$1 dir d
  dir=$(realpath -m "$2")
  is_root || return 0
  [[ "$user" == root ]] && return 0
  d=$dir
  while [[ "$d" != / && -n "$d" ]]; do
    d=$(dirname "$d")
    if [[ -d "$d" ]] && ! runuser -u "$user" -- test -x "$d"; then
      chmod o+x "$d" || die "cannot make $d traversable for user $user"
    fi
  done
}

tail_log() {
  local file=$1 n=${2:-20}
  if [[ -r "$file" ]]; then
    printf '  --- last lines of %s ---\n' "$file" >&2
    tail -n "$n" "$file" | sed 's/^/  /' >&2
  fi
}

# --- host-server scripts (prosody.sh, ejabberd.sh) ------------------------------------------
# Waits until the client and component ports recorded in DIR/ports stop answering.
wait_recorded_ports_closed() {
  local dir=$1 name=$2 c2s comp
  [[ -r "$dir/ports" ]] || return 0
  read -r c2s comp <"$dir/ports"
  if ! wait_for_port_closed 127.0.0.1 "$c2s" 10 || ! wait_for_port_closed 127.0.0.1 "$comp" 10; then
    die "$name stopped but ports $c2s/$comp still answer"
  fi
}

# The command line both host-server scripts share: ACTION DIR [start arguments]. The caller
# defines usage, cmd_start, cmd_stop, cmd_restart and is_running; DIR is set for them.
host_server_main() {
  [[ $# -ge 2 ]] || usage
  local action=$1
  DIR=$2
  case "$action" in
    start)
      [[ $# -ge 5 ]] || usage
      cmd_start "$3" "$4" "$5" "${6:-}" "${7:-}"
      ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    status)
      [[ -d "$DIR" ]] || exit 1
      DIR=$(realpath "$DIR")
      is_running
      ;;
    shell)
      # Only where the server has an admin shell (Prosody's prosodyctl shell).
      declare -F cmd_shell >/dev/null || usage
      [[ -d "$DIR" ]] || die "no server was started in $DIR"
      DIR=$(realpath "$DIR")
      cmd_shell "${@:3}"
      ;;
    *) usage ;;
  esac
}
