# shellcheck shell=bash
# A private PostgreSQL cluster in a folder of ours (used by run.sh). Source after scripts/lib.sh.
#
# initdb refuses to run as root, so when we are root the cluster belongs to the `postgres` OS user
# and every server command runs through `runuser -u postgres`. Without root it runs as ourselves.
# The server listens on 127.0.0.1 only, with its unix socket inside the data folder.

PG_BIN=""      # folder holding initdb, pg_ctl, psql
PG_OS_USER=""  # OS user that owns and runs the cluster

# pg_find_bin : sets PG_BIN, installing the `postgresql` package when root and absent.
pg_find_bin() {
  local candidate
  _pg_locate() {
    if have pg_ctl && have initdb; then
      PG_BIN=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
      [[ -x $PG_BIN/initdb ]] && return 0
    fi
    # Debian keeps the server tools off PATH, one folder per major version: take the newest.
    candidate=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1)
    [[ -n $candidate ]] || return 1
    PG_BIN=$(dirname "$candidate")
    [[ -x $PG_BIN/initdb ]]
  }
  _pg_locate && return 0
  if is_root; then
    apt_install postgresql && _pg_locate && return 0
    die "PostgreSQL server tools (initdb, pg_ctl) not found and installing 'postgresql' failed"
  fi
  die "PostgreSQL server tools (initdb, pg_ctl) not found. Run as root to install them, or: sudo apt-get install -y postgresql"
}

# pg_run CMD... : runs a PostgreSQL tool as the cluster's OS user, in its own session so that a
# Ctrl-C in the terminal reaches only run.sh (which then stops the server in order).
pg_run() {
  if [[ $PG_OS_USER != "$(id -un)" ]]; then
    setsid runuser -u "$PG_OS_USER" -- "$@"
  else
    setsid "$@"
  fi
}

# pg_choose_user DIR : decides who owns the cluster in DIR.
pg_choose_user() {
  local dir=$1 owner
  if ! is_root; then
    PG_OS_USER=$(id -un)
    return 0
  fi
  if [[ -s $dir/PG_VERSION ]]; then
    owner=$(stat -c %U "$dir")
    [[ $owner != root ]] || die "$dir is owned by root; PostgreSQL cannot run as root. Use --reset or chown -R postgres $dir"
    PG_OS_USER=$owner
  else
    id -u postgres >/dev/null 2>&1 || die "the 'postgres' OS user does not exist (install the 'postgresql' package)"
    PG_OS_USER=postgres
  fi
}

# pg_check_reachable DIR : the cluster's OS user must be able to reach DIR's parent folders.
pg_check_reachable() {
  local dir=$1
  [[ $PG_OS_USER == "$(id -un)" ]] && return 0
  if ! runuser -u "$PG_OS_USER" -- test -x "$(dirname "$dir")"; then
    die "the '$PG_OS_USER' user cannot reach $(dirname "$dir") (a parent folder is not searchable by others). Use chmod o+x on it, or point TELEMEDICINA_DATA_DIR elsewhere"
  fi
}

# pg_init DIR : creates the cluster once; an existing one is reused untouched.
pg_init() {
  local dir=$1 log_file=$2
  if [[ -s $dir/PG_VERSION ]]; then
    log "PostgreSQL: reusing the existing cluster in $dir (PG_VERSION $(<"$dir/PG_VERSION"))"
    return 0
  fi
  log "PostgreSQL: initdb in $dir (as $PG_OS_USER)"
  mkdir -p "$dir"
  chmod 700 "$dir"
  [[ $PG_OS_USER == "$(id -un)" ]] || chown "$PG_OS_USER" "$dir"
  if ! pg_run "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$log_file.initdb" 2>&1; then
    tail_log "$log_file.initdb"
    die "initdb failed in $dir"
  fi
  # Settings that may change between runs (port, socket folder) live in an included file that
  # pg_start rewrites each time.
  printf "\n# Added by run.sh\ninclude_if_exists = 'telemedicina.conf'\n" >>"$dir/postgresql.conf"
}

# pg_start DIR PORT LOG_FILE : starts the server and waits until it accepts connections.
pg_start() {
  local dir=$1 port=$2 log_file=$3 socket_dir=$1
  # A unix socket path must fit in 107 bytes; fall back to TCP only when the folder is too deep.
  if (( ${#socket_dir} + 20 > 107 )); then
    warn "PostgreSQL: $dir is too long for a unix socket path; TCP (127.0.0.1:$port) only"
    socket_dir=""
  fi
  cat >"$dir/telemedicina.conf" <<EOF
# Written by run.sh on every start; edits are overwritten.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
max_connections = 300
shared_buffers = 128MB
synchronous_commit = off
log_line_prefix = '%m [%p] %d '
log_min_duration_statement = 2000
EOF
  [[ $PG_OS_USER == "$(id -un)" ]] || chown "$PG_OS_USER" "$dir/telemedicina.conf"
  touch "$log_file"
  [[ $PG_OS_USER == "$(id -un)" ]] || chown "$PG_OS_USER" "$log_file"
  if ! pg_run "$PG_BIN/pg_ctl" -D "$dir" -l "$log_file" -w -t 60 start >/dev/null 9>&-; then
    tail_log "$log_file"
    die "PostgreSQL did not start (data $dir, port $port)"
  fi
}

# pg_is_running DIR : true when a server runs on the cluster in DIR (its postmaster.pid names a
# live postgres process).
pg_is_running() {
  local pid comm
  [[ -r $1/postmaster.pid ]] || return 1
  { read -r pid <"$1/postmaster.pid"; } 2>/dev/null || return 1
  [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
  { read -r comm <"/proc/$pid/comm"; } 2>/dev/null || return 1
  [[ $comm == postgres || $comm == postmaster ]]
}

# pg_stop DIR : fast shutdown (disconnects clients, checkpoints, exits).
pg_stop() {
  local dir=$1
  pg_is_running "$dir" || return 0
  pg_run "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null 2>&1 ||
    warn "pg_ctl stop failed for $dir"
}

# pg_psql PORT DB SQL : runs one statement over TCP, printing unaligned tuples only.
pg_psql() {
  "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$1" -U postgres -d "$2" -v ON_ERROR_STOP=1 -tA -c "$3"
}

# pg_ensure_database PORT NAME : creates database NAME when absent.
pg_ensure_database() {
  local port=$1 name=$2
  if [[ $(pg_psql "$port" postgres "SELECT 1 FROM pg_database WHERE datname = '$name'") == 1 ]]; then
    return 0
  fi
  log "PostgreSQL: creating database $name"
  pg_psql "$port" postgres "CREATE DATABASE \"$name\"" >/dev/null
}
