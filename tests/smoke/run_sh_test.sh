#!/usr/bin/env bash
# Smoke test of ./run.sh (acceptance point): on a clean copy of the working tree,
#   1. ./run.sh builds and brings up :8000 (LB), :8001 and :8002 ready within 180 s;
#   2. the load balancer spreads requests over both silos (X-Silo header), and the demo patient
#      can log in through it;
#   3. SIGINT stops everything (no process left, ports free) within 30 s;
#   4. ./run.sh --no-build again reuses the data: no new initdb, same demo patient id;
#   5. SIGINT stops it again.
#
# Environment: SMOKE_READY_LIMIT (default 180 s), SMOKE_KEEP=1 keeps the temp copy on failure,
# TELEMEDICINA_PG_PORT (default here 55439, so a developer's ./run.sh on 55432 does not clash).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
LOG_TAG=smoke

READY_LIMIT=${SMOKE_READY_LIMIT:-180}
STOP_LIMIT=30
PG_PORT=${TELEMEDICINA_PG_PORT:-55439}
LB=http://127.0.0.1:8000
PATIENT_EMAIL=paciente@telemedicina.local
DEMO_PASSWORD='Telemedicina!2026'

WORK=$(mktemp -d /tmp/telemedicina-smoke.XXXXXX)
# The postgres OS user (PostgreSQL runs as it when we are root) must reach the data folder.
chmod 755 "$WORK"
CLONE=$WORK/repo
RUN_PID=""
RUN_LOG=""
FAILED=1

# pids_in_clone : pids of every process whose command line mentions the temp copy.
pids_in_clone() {
  local dir cmd
  for dir in /proc/[0-9]*; do
    [[ ${dir#/proc/} == "$$" ]] && continue
    cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null) || continue
    [[ $cmd == *"$WORK"* ]] && printf '%s\n' "${dir#/proc/}"
  done
  return 0
}

finish() {
  local rc=$? pid
  set +e
  if [[ -n $RUN_PID ]] && pid_alive "$RUN_PID"; then
    warn "run.sh (pid $RUN_PID) still running: sending SIGINT"
    kill -INT "$RUN_PID" 2>/dev/null
    wait_pid_gone "$RUN_PID" 90 || kill -KILL "$RUN_PID" 2>/dev/null
  fi
  # Anything run.sh left behind (only processes started from the temp copy), by pid.
  for pid in $(pids_in_clone); do
    warn "killing leftover pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
    kill -KILL "$pid" 2>/dev/null
  done
  if (( FAILED )) || (( rc != 0 )); then
    [[ -n $RUN_LOG ]] && tail_log "$RUN_LOG" 80
    for f in "$CLONE"/.data/logs/silo-*.log "$CLONE"/.data/logs/nginx-error.log; do
      [[ -f $f ]] && tail_log "$f" 30
    done
    if [[ ${SMOKE_KEEP:-0} == 1 ]]; then
      warn "keeping $WORK for inspection (SMOKE_KEEP=1)"
      exit 1
    fi
  fi
  # The data folder holds files owned by the postgres user; we are their owner's parent anyway.
  rm -rf -- "$WORK"
  (( rc == 0 && FAILED == 0 )) || exit 1
  exit 0
}
trap finish EXIT
fail() { die "FAIL: $*"; }

# ------------------------------------------------------------------------------------------------
log "copying the working tree (tracked + untracked, not ignored) to $CLONE"
mkdir -p "$CLONE"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Files deleted in the working tree are still listed by ls-files -c: keep only existing ones.
  git -C "$ROOT" ls-files -co --exclude-standard -z |
    grep -zvE '(^|/)(\.data|bin|obj|node_modules|wwwroot|TestResults)/' |
    while IFS= read -r -d '' f; do [[ -e $ROOT/$f ]] && printf '%s\0' "$f"; done |
    tar -C "$ROOT" --null -T - -cf - | tar -C "$CLONE" -xf -
else
  tar -C "$ROOT" --exclude=.data --exclude=bin --exclude=obj --exclude=node_modules \
    --exclude=wwwroot --exclude=TestResults --exclude=.git -cf - . | tar -C "$CLONE" -xf -
fi
[[ -x $CLONE/run.sh ]] || fail "run.sh missing or not executable in the copy"
log "copied $(find "$CLONE" -type f | wc -l) files"

for port in 8000 8001 8002 "$PG_PORT"; do
  if tcp_port_busy "$port"; then
    fail "port $port is already in use $(port_owner "$port"); stop it before running this test"
  fi
done

# start_run LOG ARGS... : starts ./run.sh in the copy, in its own process group (job control on,
# so SIGINT is not ignored in the background job as it would be in a plain script).
start_run() {
  RUN_LOG=$1
  shift
  set -m
  (cd "$CLONE" && TELEMEDICINA_PG_PORT=$PG_PORT exec ./run.sh "$@") </dev/null >"$RUN_LOG" 2>&1 &
  RUN_PID=$!
  set +m
  log "started ./run.sh $* (pid $RUN_PID, output $RUN_LOG)"
}

# wait_ready START : waits until :8000, :8001 and :8002 answer /health/ready with 200.
wait_ready() {
  local start=$1 port all
  while :; do
    all=1
    for port in 8000 8001 8002; do
      [[ $(http_status "http://127.0.0.1:$port/health/ready") == 200 ]] || { all=0; break; }
    done
    (( all )) && break
    if ! pid_alive "$RUN_PID"; then
      fail "run.sh exited before the system was ready (after $(( $(now_s) - start )) s)"
    fi
    if (( $(now_s) - start >= READY_LIMIT )); then
      for port in 8000 8001 8002; do
        warn ":$port/health/ready -> $(http_status "http://127.0.0.1:$port/health/ready")"
      done
      fail "not ready within ${READY_LIMIT}s (elapsed $(( $(now_s) - start )) s)"
    fi
    sleep 1
  done
}

# stop_run : SIGINT to run.sh; it must exit within STOP_LIMIT and leave nothing behind.
stop_run() {
  local t0 rc=0 left port
  t0=$(now_s)
  kill -INT "$RUN_PID"
  if ! wait_pid_gone "$RUN_PID" "$STOP_LIMIT"; then
    fail "run.sh still running ${STOP_LIMIT}s after SIGINT"
  fi
  wait "$RUN_PID" || rc=$?
  log "run.sh exited with code $rc, $(( $(now_s) - t0 )) s after SIGINT"
  RUN_PID=""
  left=$(pids_in_clone)
  if [[ -n $left ]]; then
    ps -o pid,args -p "$(echo "$left" | paste -sd,)" >&2 || true
    fail "processes of the copy are still running after run.sh exited"
  fi
  for port in 8000 8001 8002 "$PG_PORT"; do
    tcp_port_busy "$port" && fail "port $port still in use after run.sh exited $(port_owner "$port")"
  done
  return 0
}

# login : prints the demo patient's access token (POST through the load balancer).
login() {
  local body code
  body=$(curl -s --max-time 15 -w '\n%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"email\":\"$PATIENT_EMAIL\",\"password\":\"$DEMO_PASSWORD\"}" "$LB/api/v1/identity/login") || true
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  [[ $code == 200 ]] || fail "login as $PATIENT_EMAIL through the LB answered $code: $body"
  grep -o '"accessToken":"[^"]*"' <<<"$body" | head -n 1 | cut -d'"' -f4
}

# user_id TOKEN : the id /api/v1/identity/me returns for TOKEN.
user_id() {
  local body code
  body=$(curl -s --max-time 15 -w '\n%{http_code}' -H "Authorization: Bearer $1" "$LB/api/v1/identity/me") || true
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  [[ $code == 200 ]] || fail "GET /api/v1/identity/me answered $code: $body"
  grep -o '"id":"[^"]*"' <<<"$body" | head -n 1 | cut -d'"' -f4
}

# ------------------------------------------------------------------------------------------------
log "1. first ./run.sh on a clean copy (builds everything)"
t_first=$(now_s)
start_run "$WORK/run-1.log"
wait_ready "$t_first"
first_ready=$(( $(now_s) - t_first ))
log "first run: ready in $first_ready s (limit ${READY_LIMIT} s)"

log "2. load balancer spreads requests (X-Silo header over 10 requests)"
declare -A silos=()
for _ in 1 2 3 4 5 6 7 8 9 10; do
  silo=$(curl -s --max-time 5 -o /dev/null -D - "$LB/health/live" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "x-silo" { print $2 }')
  [[ -n $silo ]] && silos[$silo]=1
done
log "silos seen through the LB: ${!silos[*]}"
(( ${#silos[@]} >= 2 )) || fail "expected at least 2 distinct X-Silo values through the LB, got ${#silos[@]} (${!silos[*]})"

token=$(login)
[[ -n $token ]] || fail "login returned no accessToken"
patient_id=$(user_id "$token")
[[ -n $patient_id ]] || fail "/me returned no id"
log "demo patient logged in through the LB, id $patient_id"
pg_version_file=$CLONE/.data/pg/PG_VERSION
[[ -f $pg_version_file ]] || fail "$pg_version_file missing: PostgreSQL data not under ./.data/pg"
pg_version_mtime=$(stat -c %y "$pg_version_file")

log "3. SIGINT"
stop_run

log "4. second ./run.sh --no-build reuses the data"
t_second=$(now_s)
start_run "$WORK/run-2.log" --no-build
wait_ready "$t_second"
second_ready=$(( $(now_s) - t_second ))
log "second run: ready in $second_ready s"
[[ $(stat -c %y "$pg_version_file") == "$pg_version_mtime" ]] || fail "PG_VERSION changed: the cluster was re-initialized"
grep -q 'initdb' "$RUN_LOG" && fail "the second run ran initdb again"
grep -q 'reusing the existing cluster' "$RUN_LOG" || fail "the second run did not report reusing the cluster"
token=$(login)
second_id=$(user_id "$token")
[[ $second_id == "$patient_id" ]] || fail "demo patient id changed: $patient_id -> $second_id (data not reused)"
log "same demo patient id after restart: $second_id"

log "5. SIGINT again"
stop_run

FAILED=0
log "PASS: first run ready in $first_ready s, second run (--no-build, data reused) ready in $second_ready s"
