#!/usr/bin/env bash
# Smoke test of ./run.sh: starts the whole system into a throwaway data folder, checks what
# CONTRACT.md "Local run" promises (two silos, round-robin LB, demo accounts, health, the web UI),
# then sends Ctrl-C (SIGINT) and checks that everything stopped.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
LOG_TAG=smoke

DATA=$(mktemp -d /tmp/telemedicina-smoke.XXXXXX)
chmod 755 "$DATA"
OUT=$(mktemp /tmp/telemedicina-smoke-out.XXXXXX)  # not inside DATA: --reset empties it
fail() { warn "$*"; tail -n 60 "$OUT" >&2 || true; for f in "$DATA"/logs/silo-*.log; do [[ -f $f ]] && tail -n 30 "$f" >&2; done; exit 1; }

for port in 8000 8001 8002; do
  tcp_port_busy "$port" && fail "port $port is busy: another ./run.sh is running?"
done

# Below the kernel's ephemeral range (32768-60999): a port in it can be taken at any moment by an outgoing
# connection (the test suites leave thousands), and PostgreSQL then cannot bind it.
PG_PORT=$((15000 + RANDOM % 2000))
READY_LIMIT=${SMOKE_READY_LIMIT:-180}
RUN_PID=""
trap 'if [[ -n $RUN_PID ]]; then kill -INT -- -$RUN_PID 2>/dev/null || true; sleep 5; kill -KILL -- -$RUN_PID 2>/dev/null || true; fi; rm -rf "$DATA" "$OUT"' EXIT

# start_run ARGS... : ./run.sh in the background; waits until it says it is running, at most
# READY_LIMIT seconds (CONTRACT: ready within 3 minutes on a machine that has the packages).
# A background job of a script starts
# with SIGINT ignored (and bash cannot trap a signal ignored at entry): env restores the default so
# that the Ctrl-C below reaches run.sh as it would from a terminal.
start_run() {
  : >"$OUT"
  TELEMEDICINA_DATA_DIR=$DATA TELEMEDICINA_PG_PORT=$PG_PORT \
    setsid env --default-signal=INT "$ROOT/run.sh" "$@" >"$OUT" 2>&1 &
  RUN_PID=$!
  local started deadline
  started=$(now_s)
  deadline=$(( started + READY_LIMIT ))
  until grep -q "is running" "$OUT"; do
    pid_alive "$RUN_PID" || fail "run.sh exited before it was ready"
    (( $(now_s) < deadline )) || fail "run.sh not ready within $READY_LIMIT s"
    sleep 2
  done
  log "run.sh $* is ready after $(( $(now_s) - started )) s"
}

# ctrl_c : SIGINT to run.sh; everything must stop within 60 s, every port free.
ctrl_c() {
  kill -INT -- -"$RUN_PID"
  local deadline=$(( $(now_s) + 60 ))
  while pid_alive "$RUN_PID"; do
    (( $(now_s) < deadline )) || fail "run.sh did not stop within 60 s of Ctrl-C"
    sleep 1
  done
  RUN_PID=""
  for port in 8000 8001 8002; do
    tcp_port_busy "$port" && fail "port $port still open after Ctrl-C"
  done
  grep -q "SIGINT received" "$OUT" || fail "run.sh did not see the Ctrl-C"
  grep -q "All stopped" "$OUT" || fail "run.sh did not report a clean stop"
  [[ -z $(pgrep -f "postgres -D $DATA/pg" || true) ]] || fail "PostgreSQL still running after Ctrl-C"
  log "Ctrl-C stopped everything"
}

# The first start runs run.sh's own build steps (npm and dotnet; incremental after test.sh's build).
start_run --reset

for port in 8000 8001 8002; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready")
  [[ $code == 200 ]] || fail "GET :$port/health/ready -> $code"
done
grep -q "paciente@telemedicina.local" "$OUT" || fail "the demo accounts are not printed"

# The LB spreads requests over both silos (X-Silo header), with no affinity.
declare -A seen=()
for _ in $(seq 1 10); do
  silo=$(curl -s -D - -o /dev/null http://127.0.0.1:8000/health/live | tr -d '\r' | sed -n 's/^[Xx]-[Ss]ilo: //p')
  [[ -n $silo ]] && seen[$silo]=1
done
(( ${#seen[@]} >= 2 )) || fail "the load balancer used ${#seen[@]} silo(s): ${!seen[*]}"
log "load balancer round robin over: ${!seen[*]}"

# The web UI is served (pt-BR) and the demo patient logs in through the LB.
curl -sf http://127.0.0.1:8000/ | grep -qi 'lang="pt-BR"' || fail "the web UI is not served at /"
login=$(curl -s -H 'Content-Type: application/json' \
  -d '{"email":"paciente@telemedicina.local","password":"Telemedicina!2026"}' http://127.0.0.1:8000/api/v1/identity/login)
grep -q '"accessToken"' <<<"$login" || fail "demo patient login failed: $login"
token=$(sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p' <<<"$login")
doctors=$(curl -s -H "Authorization: Bearer $token" http://127.0.0.1:8000/api/v1/scheduling/doctors)
grep -q "doctorId" <<<"$doctors" || fail "no doctors listed: $doctors"
log "demo login and doctor list through the load balancer: ok"

# The hub's WebSocket upgrades through the load balancer, and the token in its query string stays out of nginx's
# error log (its request lines are logged whole; the hub location logs critical errors only).
upgrade=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  "http://127.0.0.1:8000/hubs/consultation?access_token=$token" || true)
[[ $upgrade == 101 ]] || fail "the hub's WebSocket did not upgrade through the load balancer (HTTP $upgrade)"
grep -A3 'location /hubs/' "$DATA/nginx/nginx.conf" | grep -q 'nginx-error.log crit;' || fail "the hub location of nginx logs more than critical errors"
! grep -q 'access_token' "$DATA/logs/nginx-error.log" 2>/dev/null || fail "an access token reached nginx's error log"
log "hub WebSocket through the load balancer: upgraded, no token in the error log"

ctrl_c

# A second start keeps the data: same cluster, same demo patient, no new initdb.
patient_id=$(sed -n 's/.*"user":{"id":"\([^"]*\)".*/\1/p' <<<"$login")
start_run --no-build
grep -q "reusing the existing cluster" "$OUT" || fail "the second ./run.sh did not reuse the database"
again=$(curl -s -H 'Content-Type: application/json' \
  -d '{"email":"paciente@telemedicina.local","password":"Telemedicina!2026"}' http://127.0.0.1:8000/api/v1/identity/login)
[[ -n $patient_id ]] && grep -q "\"id\":\"$patient_id\"" <<<"$again" || fail "the demo patient changed across restarts: $patient_id / $again"
ctrl_c
