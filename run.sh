#!/usr/bin/env bash
# Telemedicina Para Todos: everything on one machine with one command.
#
#   PostgreSQL (private, under ./.data/pg) -> migrate -> seed-demo -> N silos (default 2)
#   -> nginx round-robin load balancer on :8000 (no affinity) -> coturn on :3478 when installed.
#
# Ctrl-C stops it all in order (silos, nginx, coturn, PostgreSQL). Run ./run.sh --help for options.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/pg.sh
source "$ROOT/scripts/pg.sh"
LOG_TAG=run

usage() {
  cat <<'EOF'
Usage: ./run.sh [options]

Starts PostgreSQL, the schema migrations, the demo data, N silos and a load balancer.

Options:
  --silos N     number of silos, 1..5 (default 2); silo k serves http://127.0.0.1:(8000+k)
  --no-lb       do not start the nginx load balancer on http://127.0.0.1:8000
  --reset       delete the data folder (database, files, logs) before starting
  --no-demo     do not create the demo accounts
  --no-build    do not build the web UI and the host when their outputs already exist
  -h, --help    show this help

Environment:
  TELEMEDICINA_DATA_DIR       data folder (default ./.data)
  TELEMEDICINA_PG_PORT        PostgreSQL port (default 55432)
  TELEMEDICINA_READY_TIMEOUT  seconds to wait for the silos to be ready (default 180)
  ASPNETCORE_ENVIRONMENT      host environment (default Development)
EOF
}

# ------------------------------------------------------------------------------------------------
# Options
# ------------------------------------------------------------------------------------------------
SILOS=2
USE_LB=1
RESET=0
DEMO=1
BUILD=1
while (( $# > 0 )); do
  case $1 in
    --silos)
      [[ $# -ge 2 ]] || usage_error "--silos needs a number"
      SILOS=$2
      shift 2
      ;;
    --silos=*) SILOS=${1#--silos=}; shift ;;
    --no-lb) USE_LB=0; shift ;;
    --reset) RESET=1; shift ;;
    --no-demo) DEMO=0; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done
[[ $SILOS =~ ^[1-5]$ ]] || usage_error "--silos must be a number from 1 to 5 (got '$SILOS')"

DATA_DIR=${TELEMEDICINA_DATA_DIR:-$ROOT/.data}
PG_PORT=${TELEMEDICINA_PG_PORT:-55432}
READY_TIMEOUT=${TELEMEDICINA_READY_TIMEOUT:-180}
[[ $PG_PORT =~ ^[0-9]+$ ]] || die "TELEMEDICINA_PG_PORT must be a port number (got '$PG_PORT')"
[[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || die "TELEMEDICINA_READY_TIMEOUT must be a number of seconds"
mkdir -p "$DATA_DIR"
DATA_DIR=$(cd "$DATA_DIR" && pwd)

PG_DIR=$DATA_DIR/pg
LOG_DIR=$DATA_DIR/logs
NGINX_DIR=$DATA_DIR/nginx
TURN_DIR=$DATA_DIR/turn
FILES_DIR=$DATA_DIR/files
OUTBOX_DIR=$DATA_DIR/outbox
DB_NAME=telemedicina

LB_PORT=8000
TURN_PORT=3478
HOST_PROJECT_DIR=$ROOT/src/Host/Telemedicina.Host
HOST_PROJECT=$HOST_PROJECT_DIR/Telemedicina.Host.csproj
WEB_DIR=$ROOT/src/Web
# TELEMEDICINA_HOST_DLL points at another build of the host (for testing this script only).
HOST_DLL=${TELEMEDICINA_HOST_DLL:-$HOST_PROJECT_DIR/bin/Release/net10.0/Telemedicina.Host.dll}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}

STARTED_AT=$(now_s)

# ------------------------------------------------------------------------------------------------
# Shutdown: everything we start is recorded here and stopped in order on exit, Ctrl-C or SIGTERM.
# ------------------------------------------------------------------------------------------------
declare -a SILO_PIDS=()
NGINX_PID=""
TURN_PID=""
PG_STARTED=0
SLEEP_PID=""
CLEANED=0
STOP_REQUESTED=0

cleanup() {
  local rc=$?
  (( CLEANED )) && return 0
  CLEANED=1
  set +e
  # Ignore SIGPIPE too: with `./run.sh | tee log`, Ctrl-C also ends tee, and stopping must go on.
  trap '' INT TERM PIPE
  [[ -n $SLEEP_PID ]] && kill "$SLEEP_PID" 2>/dev/null
  local running=0 pid
  for pid in "${SILO_PIDS[@]}"; do pid_alive "$pid" && running=1; done
  if (( running || ${#SILO_PIDS[@]} > 0 )) || [[ -n $NGINX_PID || -n $TURN_PID ]] || (( PG_STARTED )); then
    log "Stopping..."
  fi
  # Silos first: SIGTERM lets Orleans leave the cluster gracefully (the host allows itself 45 s).
  for pid in "${SILO_PIDS[@]}"; do
    pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
  done
  local k=0
  for pid in "${SILO_PIDS[@]}"; do
    k=$((k + 1))
    stop_pid "$pid" "silo $k" 60
  done
  (( ${#SILO_PIDS[@]} > 0 )) && log "silos stopped"
  if [[ -n $NGINX_PID ]]; then
    stop_pid "$NGINX_PID" nginx 15 QUIT
    log "nginx stopped"
  fi
  if [[ -n $TURN_PID ]]; then
    stop_pid "$TURN_PID" coturn 10
    log "coturn stopped"
  fi
  if (( PG_STARTED )); then
    pg_stop "$PG_DIR"
    log "PostgreSQL stopped"
  fi
  if (( STOP_REQUESTED )); then
    log "All stopped. Data kept in $DATA_DIR (./run.sh --reset starts from scratch)."
    rc=0
  fi
  exit "$rc"
}
on_signal() {
  STOP_REQUESTED=1
  echo
  log "$1 received"
  cleanup
}
trap cleanup EXIT
trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM

# ------------------------------------------------------------------------------------------------
# One run per data folder
# ------------------------------------------------------------------------------------------------
if (( RESET )); then
  case $DATA_DIR in
    /|"$HOME"|"$ROOT"|/usr|/usr/*|/etc|/etc/*|/var|/root) die "refusing to delete $DATA_DIR" ;;
  esac
  exec 9>"$DATA_DIR/.run.lock"
  flock -n 9 || die "another ./run.sh is using $DATA_DIR; stop it first"
  if [[ -s $PG_DIR/postmaster.pid ]]; then
    pg_find_bin
    pg_choose_user "$PG_DIR"
    pg_stop "$PG_DIR"
  fi
  log "--reset: deleting $DATA_DIR"
  find "$DATA_DIR" -mindepth 1 -maxdepth 1 ! -name .run.lock -exec rm -rf -- {} +
else
  exec 9>"$DATA_DIR/.run.lock"
  flock -n 9 || die "another ./run.sh is using $DATA_DIR; stop it first"
fi
mkdir -p "$LOG_DIR" "$NGINX_DIR" "$TURN_DIR" "$FILES_DIR" "$OUTBOX_DIR"

# ------------------------------------------------------------------------------------------------
# Tools
# ------------------------------------------------------------------------------------------------
have dotnet || die "the .NET SDK (dotnet) is required: https://dot.net"
ensure_tool curl curl
ensure_tool setsid util-linux
pg_find_bin
(( USE_LB )) && ensure_tool nginx nginx
USE_TURN=0
if ensure_tool turnserver coturn optional; then USE_TURN=1; fi

# ------------------------------------------------------------------------------------------------
# Ports: fail fast, naming the port, instead of starting half the system.
# ------------------------------------------------------------------------------------------------
check_tcp_port() {
  local port=$1 what=$2
  if tcp_port_busy "$port"; then
    die "port $port ($what) is already in use $(port_owner "$port"). Stop whatever uses it (a previous ./run.sh?) and try again"
  fi
}

pg_choose_user "$PG_DIR"
if [[ -s $PG_DIR/postmaster.pid ]] && pg_is_running "$PG_DIR"; then
  # Left behind by a run that was killed without cleaning up: stop it and start it as ours.
  warn "PostgreSQL from a previous run is still running on $PG_DIR; restarting it"
  pg_stop "$PG_DIR"
fi
check_tcp_port "$PG_PORT" "PostgreSQL"
for ((k = 1; k <= SILOS; k++)); do
  check_tcp_port $((8000 + k)) "silo $k HTTP"
  check_tcp_port $((11110 + k)) "silo $k Orleans silo port"
  check_tcp_port $((30000 + k)) "silo $k Orleans gateway port"
done
(( USE_LB )) && check_tcp_port "$LB_PORT" "load balancer"
if (( USE_TURN )); then
  check_tcp_port "$TURN_PORT" "coturn"
  if udp_port_busy "$TURN_PORT"; then
    die "UDP port $TURN_PORT (coturn) is already in use $(port_owner "$TURN_PORT")"
  fi
fi

# ------------------------------------------------------------------------------------------------
# Build
# ------------------------------------------------------------------------------------------------
build_web() {
  if [[ ! -f $WEB_DIR/package.json ]]; then
    warn "src/Web not found: skipping the web UI build (the API still works)"
    return 0
  fi
  if (( ! BUILD )) && [[ -f $HOST_PROJECT_DIR/wwwroot/index.html ]]; then
    log "web UI: --no-build, using the existing wwwroot"
    return 0
  fi
  have npm || die "npm (Node.js 20+) is required to build the web UI"
  local t0
  npm_ci_if_needed "$WEB_DIR" || die "npm ci failed in src/Web"
  t0=$(now_s)
  log "web UI: npm run build"
  (cd "$WEB_DIR" && npm run build --silent) >"$LOG_DIR/web-build.log" 2>&1 || {
    tail_log "$LOG_DIR/web-build.log" 60
    die "the web UI build failed (full log: $LOG_DIR/web-build.log)"
  }
  log "web UI: built in $(( $(now_s) - t0 )) s"
}

build_host() {
  if [[ -n ${TELEMEDICINA_HOST_DLL:-} ]]; then
    [[ -f $HOST_DLL ]] || die "TELEMEDICINA_HOST_DLL=$HOST_DLL does not exist"
    log "host: using TELEMEDICINA_HOST_DLL=$HOST_DLL (not building)"
    return 0
  fi
  if (( ! BUILD )) && [[ -f $HOST_DLL ]]; then
    log "host: --no-build, using the existing $HOST_DLL"
    return 0
  fi
  local t0
  t0=$(now_s)
  log "host: dotnet build -c Release"
  # --disable-build-servers: no compiler or MSBuild server stays behind after run.sh.
  if ! dotnet build "$HOST_PROJECT" -c Release --nologo -v quiet --disable-build-servers \
      >"$LOG_DIR/host-build.log" 2>&1; then
    grep -E ': error ' "$LOG_DIR/host-build.log" | sort -u | head -n 30 >&2 || true
    tail_log "$LOG_DIR/host-build.log" 20
    die "dotnet build failed (full log: $LOG_DIR/host-build.log)"
  fi
  [[ -f $HOST_DLL ]] || die "the build succeeded but $HOST_DLL is missing"
  log "host: built in $(( $(now_s) - t0 )) s"
}

build_web
build_host

# ------------------------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------------------------
pg_check_reachable "$PG_DIR"
pg_init "$PG_DIR" "$LOG_DIR/postgres.log"
pg_start "$PG_DIR" "$PG_PORT" "$LOG_DIR/postgres.log"
PG_STARTED=1
log "PostgreSQL: listening on 127.0.0.1:$PG_PORT (log $LOG_DIR/postgres.log)"
pg_ensure_database "$PG_PORT" "$DB_NAME"

# ------------------------------------------------------------------------------------------------
# Configuration shared by every host process
# ------------------------------------------------------------------------------------------------
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$DB_NAME"
export Orleans__ClusterId=${Orleans__ClusterId:-telemedicina}
export Orleans__ServiceId=${Orleans__ServiceId:-telemedicina}
export Orleans__AdvertisedIPAddress=127.0.0.1
export Storage__Provider=${Storage__Provider:-FileSystem}
export Storage__FileSystem__Root=$FILES_DIR
export Email__OutboxDirectory=$OUTBOX_DIR
# Links in e-mails point at the load balancer (or silo 1 without it).
if (( USE_LB )); then
  export Email__PublicBaseUrl=${Email__PublicBaseUrl:-http://127.0.0.1:$LB_PORT}
else
  export Email__PublicBaseUrl=${Email__PublicBaseUrl:-http://127.0.0.1:8001}
fi
# The content root is the project folder: appsettings.json and the wwwroot built by npm live there.
export ASPNETCORE_CONTENTROOT=$HOST_PROJECT_DIR

# host_command NAME ARGS... : runs a one-shot host command, its output in the log folder.
host_command() {
  local name=$1 t0
  shift
  t0=$(now_s)
  log "host: $name"
  if ! (cd "$HOST_PROJECT_DIR" && dotnet "$HOST_DLL" "$@") >"$LOG_DIR/$name.log" 2>&1 9>&-; then
    tail_log "$LOG_DIR/$name.log" 60
    die "'$name' failed (log $LOG_DIR/$name.log)"
  fi
  log "host: $name done in $(( $(now_s) - t0 )) s"
}

host_command migrate migrate
(( DEMO )) && host_command seed-demo seed-demo

# ------------------------------------------------------------------------------------------------
# coturn (optional): TURN REST shared secret generated once and kept in the data folder
# ------------------------------------------------------------------------------------------------
if (( USE_TURN )); then
  if [[ ! -s $TURN_DIR/secret ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TURN_DIR/secret")
  fi
  TURN_SECRET=$(<"$TURN_DIR/secret")
  # The secret goes in a config file (mode 600), not on the command line where ps shows it.
  (umask 077 && cat >"$TURN_DIR/turnserver.conf" <<EOF
# Generated by run.sh on every start; edits are overwritten.
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port=$TURN_PORT
use-auth-secret
static-auth-secret=$TURN_SECRET
realm=telemedicina.local
allow-loopback-peers
no-cli
no-tls
no-dtls
fingerprint
min-port=49160
max-port=49359
userdb=$TURN_DIR/turndb
pidfile=$TURN_DIR/turnserver.pid
log-file=$LOG_DIR/turnserver.log
simple-log
no-stdout-log
EOF
  )
  # shellcheck disable=SC2094 # early errors (before the log file opens) go to the same log
  setsid turnserver -c "$TURN_DIR/turnserver.conf" \
    </dev/null >>"$LOG_DIR/turnserver.log" 2>&1 9>&- &
  TURN_PID=$!
  export Turn__Urls__0="turn:127.0.0.1:$TURN_PORT?transport=udp"
  export Turn__Urls__1="turn:127.0.0.1:$TURN_PORT?transport=tcp"
  export Turn__Secret=$TURN_SECRET
  log "coturn: starting on 127.0.0.1:$TURN_PORT (udp+tcp, log $LOG_DIR/turnserver.log)"
else
  warn "coturn is not installed: calls will use direct connections only (no TURN relay)"
fi

# ------------------------------------------------------------------------------------------------
# Silos
# ------------------------------------------------------------------------------------------------
for ((k = 1; k <= SILOS; k++)); do
  log_file=$LOG_DIR/silo-$k.log
  printf '\n===== %s silo %s starting =====\n' "$(date -Is)" "$k" >>"$log_file"
  (
    cd "$HOST_PROJECT_DIR"
    export Urls="http://127.0.0.1:$((8000 + k))"
    export Orleans__SiloPort=$((11110 + k))
    export Orleans__GatewayPort=$((30000 + k))
    export Node__Name="silo-$k"
    exec setsid dotnet "$HOST_DLL" </dev/null >>"$log_file" 2>&1 9>&-
  ) &
  SILO_PIDS+=("$!")
  log "silo $k: starting on http://127.0.0.1:$((8000 + k)) (silo port $((11110 + k)), gateway $((30000 + k)), pid $!)"
done

# Wait for every silo's readiness (database reachable and silo Active in the cluster).
deadline=$(( $(now_s) + READY_TIMEOUT ))
declare -a READY=()
while :; do
  pending=0
  for ((k = 1; k <= SILOS; k++)); do
    [[ ${READY[k]:-0} == 1 ]] && continue
    pid=${SILO_PIDS[k - 1]}
    if ! pid_alive "$pid"; then
      rc=0
      wait "$pid" || rc=$?
      tail_log "$LOG_DIR/silo-$k.log" 60
      die "silo $k exited during startup (exit code $rc; log $LOG_DIR/silo-$k.log)"
    fi
    if [[ $(http_status "http://127.0.0.1:$((8000 + k))/health/ready") == 200 ]]; then
      READY[k]=1
      log "silo $k: ready after $(( $(now_s) - STARTED_AT )) s"
    else
      pending=1
    fi
  done
  (( pending )) || break
  if (( $(now_s) >= deadline )); then
    for ((k = 1; k <= SILOS; k++)); do
      if [[ ${READY[k]:-0} != 1 ]]; then
        warn "silo $k: /health/ready answers $(http_status "http://127.0.0.1:$((8000 + k))/health/ready")"
        tail_log "$LOG_DIR/silo-$k.log" 60
      fi
    done
    die "silos not ready within ${READY_TIMEOUT}s (TELEMEDICINA_READY_TIMEOUT)"
  fi
  sleep 0.5
done

# ------------------------------------------------------------------------------------------------
# nginx: round robin, no affinity, WebSocket-capable
# ------------------------------------------------------------------------------------------------
write_nginx_conf() {
  local k servers=""
  for ((k = 1; k <= SILOS; k++)); do
    servers+="        server 127.0.0.1:$((8000 + k)) max_fails=1 fail_timeout=5s;"$'\n'
  done
  mkdir -p "$NGINX_DIR/tmp"
  cat >"$NGINX_DIR/nginx.conf" <<EOF
# Generated by run.sh on every start; edits are overwritten.
daemon off;
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $LOG_DIR/nginx-error.log notice;

events {
    worker_connections 8192;
}

http {
    # The path without the query string: the hub's credential travels in the query (browsers
    # cannot set headers on a WebSocket). The web sends a single-use hub ticket there; other clients
    # may send their access token, which must not land in the access log.
    log_format telemedicina '\$remote_addr - \$remote_user [\$time_local] "\$request_method \$uri \$server_protocol" '
                            '\$status \$body_bytes_sent "\$http_user_agent" \$request_time';
    access_log $LOG_DIR/nginx-access.log telemedicina;
    client_body_temp_path $NGINX_DIR/tmp/client_body;
    proxy_temp_path       $NGINX_DIR/tmp/proxy;
    fastcgi_temp_path     $NGINX_DIR/tmp/fastcgi;
    uwsgi_temp_path       $NGINX_DIR/tmp/uwsgi;
    scgi_temp_path        $NGINX_DIR/tmp/scgi;
    server_tokens off;

    # WebSocket upgrade when asked for; otherwise an empty Connection header keeps upstream
    # connections alive.
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      '';
    }

    # Plain round robin: no ip_hash, no sticky cookie. Any silo serves any request.
    upstream telemedicina {
$servers        keepalive 32;
    }

    server {
        listen 127.0.0.1:$LB_PORT;
        client_max_body_size 25m;

        location / {
            proxy_pass http://telemedicina;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$http_host;
            # Long-lived WebSockets (SignalR keep-alive is 15 s; calls can last an hour or more).
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            proxy_connect_timeout 5s;
            proxy_buffering off;
            # A silo that is down or restarting: try the next one (idempotent requests only).
            proxy_next_upstream error timeout http_502;

            # The hub's WebSocket carries the access token in its query string, and nginx's error log writes the
            # client's request line whole (a WebSocket reset is logged at "error"): only critical errors here.
            location /hubs/ {
                proxy_pass http://telemedicina;
                error_log $LOG_DIR/nginx-error.log crit;
            }
        }
    }
}
EOF
}

if (( USE_LB )); then
  write_nginx_conf
  nginx -q -t -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log" 2>"$LOG_DIR/nginx-test.log" || {
    tail_log "$LOG_DIR/nginx-test.log"
    die "the generated nginx configuration is invalid ($NGINX_DIR/nginx.conf)"
  }
  # shellcheck disable=SC2094 # nginx prints nothing on stdout; stray errors join its error log
  setsid nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log" \
    </dev/null >>"$LOG_DIR/nginx-error.log" 2>&1 9>&- &
  NGINX_PID=$!
  lb_deadline=$(( $(now_s) + 20 ))
  until [[ $(http_status "http://127.0.0.1:$LB_PORT/health/ready") == 200 ]]; do
    if ! pid_alive "$NGINX_PID"; then
      tail_log "$LOG_DIR/nginx-error.log"
      die "nginx exited during startup"
    fi
    (( $(now_s) < lb_deadline )) || { tail_log "$LOG_DIR/nginx-error.log"; die "load balancer not ready on :$LB_PORT"; }
    sleep 0.2
  done
  log "load balancer: ready on http://127.0.0.1:$LB_PORT"
fi

if (( USE_TURN )) && ! pid_alive "$TURN_PID"; then
  tail_log "$LOG_DIR/turnserver.log"
  warn "coturn exited; continuing without TURN"
  wait "$TURN_PID" 2>/dev/null || true
  TURN_PID=""
fi

# ------------------------------------------------------------------------------------------------
# Summary
# ------------------------------------------------------------------------------------------------
if (( USE_LB )); then BASE=http://127.0.0.1:$LB_PORT; else BASE=http://127.0.0.1:8001; fi
{
  echo
  echo "=================================================================================="
  echo " Telemedicina Para Todos is running ($SILOS silo(s), ready in $(( $(now_s) - STARTED_AT )) s)"
  echo "=================================================================================="
  (( USE_LB )) && echo " App (load balancer):  $BASE/"
  for ((k = 1; k <= SILOS; k++)); do
    echo " Silo $k:               http://127.0.0.1:$((8000 + k))/"
  done
  echo " Ops dashboard:        $BASE/ops/dashboard/   (admin)"
  echo " OpenAPI:              $BASE/openapi/v1.json"
  echo " Health:               $BASE/health/live   $BASE/health/ready"
  echo " PostgreSQL:           127.0.0.1:$PG_PORT database $DB_NAME user postgres (psql -h 127.0.0.1 -p $PG_PORT -U postgres $DB_NAME)"
  if (( USE_TURN )); then
    echo " TURN:                 turn:127.0.0.1:$TURN_PORT (udp, tcp), secret in $TURN_DIR/secret"
  else
    echo " TURN:                 not running (install coturn for relayed calls)"
  fi
  if (( DEMO )); then
    echo
    echo " Demo accounts (password: Telemedicina!2026)"
    echo "   admin@telemedicina.local     admin, 2FA: TOTP secret JBSWY3DPEHPK3PXP"
    echo "   medica@telemedicina.local    doctor (verified, weekly availability)"
    echo "   paciente@telemedicina.local  patient"
  fi
  echo
  echo " Logs:    $LOG_DIR/ (silo-N.log, postgres.log, nginx-*.log, turnserver.log)"
  echo " E-mails: $OUTBOX_DIR/    Files: $FILES_DIR/"
  echo
  echo " Ctrl-C para parar (Ctrl-C to stop)."
  echo "=================================================================================="
}

# ------------------------------------------------------------------------------------------------
# Supervise until Ctrl-C / SIGTERM. A silo that dies is reported (the load balancer routes around
# it); losing nginx or PostgreSQL stops everything.
# ------------------------------------------------------------------------------------------------
declare -a REPORTED=()
while :; do
  sleep 2 &
  SLEEP_PID=$!
  wait "$SLEEP_PID" 2>/dev/null || true
  SLEEP_PID=""
  alive=0
  for ((k = 1; k <= SILOS; k++)); do
    pid=${SILO_PIDS[k - 1]}
    if pid_alive "$pid"; then
      alive=$((alive + 1))
    elif [[ ${REPORTED[k]:-0} != 1 ]]; then
      REPORTED[k]=1
      rc=0
      wait "$pid" 2>/dev/null || rc=$?
      warn "silo $k (pid $pid) exited with code $rc"
      tail_log "$LOG_DIR/silo-$k.log" 20
    fi
  done
  (( alive > 0 )) || die "all silos have exited"
  if [[ -n $NGINX_PID ]] && ! pid_alive "$NGINX_PID"; then
    tail_log "$LOG_DIR/nginx-error.log"
    die "nginx exited unexpectedly"
  fi
  if [[ -n $TURN_PID ]] && ! pid_alive "$TURN_PID"; then
    tail_log "$LOG_DIR/turnserver.log"
    warn "coturn exited unexpectedly; continuing without TURN"
    wait "$TURN_PID" 2>/dev/null || true
    TURN_PID=""
  fi
  if ! pg_is_running "$PG_DIR"; then
    PG_STARTED=0
    tail_log "$LOG_DIR/postgres.log"
    die "PostgreSQL stopped unexpectedly"
  fi
done
