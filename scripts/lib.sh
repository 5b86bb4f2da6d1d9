# shellcheck shell=bash
# Shared helpers for run.sh, test.sh and tests/smoke/*. Source it, do not execute it.
# Callers use `set -euo pipefail`; every helper here is safe under it.

# Prefix for log lines (callers may change it, e.g. LOG_TAG=test).
LOG_TAG=${LOG_TAG:-run}

log()  { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "$LOG_TAG" "$*"; }
warn() { printf '%s [%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$LOG_TAG" "$*" >&2; }
die()  { printf '%s [%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$LOG_TAG" "$*" >&2; exit 1; }

# usage_error MESSAGE : a bad command line: the message, the caller's usage(), exit code 2.
usage_error() {
  printf '%s [%s] ERROR: %s\n\n' "$(date +%H:%M:%S)" "$LOG_TAG" "$*" >&2
  usage >&2
  exit 2
}

is_root() { [[ $(id -u) -eq 0 ]]; }
have()    { command -v "$1" >/dev/null 2>&1; }

# Whole seconds since the epoch (bash builtin, no fork).
now_s() { printf '%(%s)T' -1; }

# ---------------------------------------------------------------------------------------------
# Debian packages: `apt-get update` runs at most once per script, and only when something is
# actually installed.
# ---------------------------------------------------------------------------------------------
_APT_UPDATED=0

# apt_install PKG... : installs packages; returns non-zero (without exiting) on failure.
apt_install() {
  is_root || { warn "not root: cannot install $*"; return 1; }
  have apt-get || { warn "apt-get not found: cannot install $*"; return 1; }
  if (( ! _APT_UPDATED )); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || { warn "apt-get update failed"; return 1; }
    _APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null || { warn "apt-get install $* failed"; return 1; }
}

# ensure_tool TOOL PACKAGE [optional] : makes TOOL available, installing PACKAGE when root.
# Required tools end the script with a clear message when they cannot be had; optional ones warn.
ensure_tool() {
  local tool=$1 pkg=$2 optional=${3:-}
  have "$tool" && return 0
  if is_root; then
    apt_install "$pkg" && have "$tool" && return 0
  fi
  if [[ $optional == optional ]]; then
    warn "'$tool' is not installed (Debian package '$pkg'); continuing without it"
    return 1
  fi
  if is_root; then
    die "'$tool' is required and installing the Debian package '$pkg' failed"
  fi
  die "'$tool' is required but not installed. Run as root to install it automatically, or: sudo apt-get install -y $pkg"
}

# ---------------------------------------------------------------------------------------------
# Ports and HTTP
# ---------------------------------------------------------------------------------------------

# tcp_port_busy PORT : true when something listens on TCP PORT (any local address).
tcp_port_busy() {
  local port=$1
  if have ss; then
    [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# udp_port_busy PORT : true when a UDP socket is bound to PORT (needs ss; false without it).
udp_port_busy() {
  local port=$1
  have ss || return 1
  [[ -n $(ss -Hlun "sport = :$port" 2>/dev/null) ]]
}

# port_owner PORT : a short description of who listens on PORT (best effort, may be empty).
port_owner() {
  local port=$1
  have ss || return 0
  ss -Hltnup "sport = :$port" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n 1 || true
}

# http_status URL : prints the HTTP status code (000 when nothing answers).
http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

# pid_alive PID : true while PID exists and is not a zombie (a dead child not yet reaped).
pid_alive() {
  local pid=$1 stat state
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  state=${stat##*) }
  state=${state%% *}
  [[ $state != Z && $state != X ]]
}

# wait_pid_gone PID TIMEOUT_S : waits until PID is gone; returns 1 on timeout.
wait_pid_gone() {
  local pid=$1 timeout=$2 deadline
  deadline=$(( $(now_s) + timeout ))
  while pid_alive "$pid"; do
    (( $(now_s) < deadline )) || return 1
    sleep 0.2
  done
  return 0
}

# stop_pid PID NAME TIMEOUT_S [SIGNAL] : SIGTERM (or SIGNAL), wait, then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 timeout=$3 sig=${4:-TERM}
  pid_alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill "-$sig" "$pid" 2>/dev/null || true
  if ! wait_pid_gone "$pid" "$timeout"; then
    warn "$name (pid $pid) did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 5 || true
  fi
  wait "$pid" 2>/dev/null || true
}

# tail_log FILE [LINES] : prints the end of a log file, indented, for error messages.
tail_log() {
  local file=$1 lines=${2:-40}
  if [[ -s $file ]]; then
    printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" | sed 's/^/  | /' >&2
    printf -- '----- end of %s -----\n' "$file" >&2
  else
    printf -- '(%s is empty or missing)\n' "$file" >&2
  fi
}

# ---------------------------------------------------------------------------------------------
# Web UI
# ---------------------------------------------------------------------------------------------

# npm_ci_if_needed DIR : `npm ci` when node_modules is missing or package-lock.json changed since
# the last install (its hash is stamped into node_modules). No browser downloads, ever.
npm_ci_if_needed() {
  local dir=$1 lock_hash stamp
  stamp=$dir/node_modules/.telemedicina-lock.sha256
  lock_hash=$(sha256sum "$dir/package-lock.json" 2>/dev/null | cut -d' ' -f1 || true)
  if [[ -d $dir/node_modules && -f $stamp && $(<"$stamp") == "$lock_hash" ]]; then
    log "npm: node_modules is up to date with package-lock.json (skipping npm ci)"
    return 0
  fi
  [[ -f $dir/package-lock.json ]] || warn "npm: $dir/package-lock.json is missing; npm ci will refuse to run"
  log "npm: npm ci in $dir"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
    npm ci --no-audit --no-fund --loglevel=error) || return 1
  printf '%s' "$lock_hash" >"$stamp"
}
