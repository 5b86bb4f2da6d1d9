#!/usr/bin/env bash
# Telemedicina Para Todos: the whole test run (what CI runs through .ci/run).
#
#   deps     -> installs what the tests need when root: postgresql, chromium, coturn, nginx
#   npm      -> npm ci in src/Web and tests/tools (only when node_modules is missing or the lock changed)
#   webtest  -> npm run typecheck, npm test (vitest)
#   webbuild -> npm run build (writes the host's wwwroot)
#   build    -> dotnet build Telemedicina.sln -c Release
#   dotnet   -> dotnet test (unit, architecture, integration, cluster and browser tests)
#   logscan  -> scripts/logscan.sh over the silo logs this run wrote: no secret or personal data
#   smoke    -> tests/smoke/*_test.sh (./run.sh end to end; ./bench.sh --smoke with its correctness check)
#
# The web UI is built before the .NET build so that the host's wwwroot exists when it is built.
# A failing build stops the run; failing tests are reported and the remaining test stages still
# run. Exit code: 0 only when every stage passed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/pg.sh
source "$ROOT/scripts/pg.sh"
LOG_TAG="test"

usage() {
  cat <<'EOF'
Usage: ./test.sh [--filter EXPR] [--skip-smoke]

  --filter EXPR   run only the .NET tests matching EXPR (VSTest filter syntax, passed to
                  dotnet test; e.g. "FullyQualifiedName~Scheduling"); web tests still run
  --skip-smoke    do not run the smoke tests under tests/smoke/
  -h, --help      show this help

Environment: TEST_TIMEOUT_DOTNET_MIN (default 30), TEST_TIMEOUT_SMOKE_MIN (default 10).
EOF
}

FILTER=""
SKIP_SMOKE=0
while (( $# > 0 )); do
  case $1 in
    --filter)
      [[ $# -ge 2 && -n $2 ]] || usage_error "--filter needs an expression"
      FILTER=$2
      shift 2
      ;;
    --filter=*) FILTER=${1#--filter=}; shift ;;
    --skip-smoke) SKIP_SMOKE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
WEB_DIR=$ROOT/src/Web
RESULTS_DIR=$ROOT/TestResults
# Silo logs of this run only (the Testing library honours it), so that logscan reads no older run's.
export TELEMEDICINA_TEST_LOG_DIR=/tmp/telemedicina-test-logs/run-$(date -u +%Y%m%dT%H%M%SZ)-$$
T_START=$(now_s)

# ------------------------------------------------------------------------------------------------
# Stages: each one is timed; the summary at the end lists them all.
# ------------------------------------------------------------------------------------------------
declare -a SUMMARY=()
FAILED=0

# stage NAME CMD... : runs CMD, records its time and outcome; returns CMD's status.
stage() {
  local name=$1 t0 rc=0
  shift
  t0=$(now_s)
  printf '\n%s [%s] ===== stage %s =====\n' "$(date +%H:%M:%S)" "$LOG_TAG" "$name"
  "$@" || rc=$?
  local dt
  dt=$(( $(now_s) - t0 ))
  if (( rc == 0 )); then
    SUMMARY+=("$(printf '%-9s passed  %5ss' "$name" "$dt")")
    log "stage $name passed in ${dt}s"
  else
    SUMMARY+=("$(printf '%-9s FAILED  %5ss  (exit code %s)' "$name" "$dt" "$rc")")
    warn "stage $name FAILED in ${dt}s (exit code $rc)"
    FAILED=1
  fi
  return "$rc"
}

print_summary() {
  local rc=$? line
  trap - EXIT
  echo
  echo "==================================== summary ===================================="
  for line in "${SUMMARY[@]}"; do echo "  $line"; done
  echo "  total    $(( $(now_s) - T_START ))s"
  if [[ -s $RESULTS_DIR/figures.txt ]]; then
    echo "  ----- measured figures -----"
    sed 's/^/  /' "$RESULTS_DIR/figures.txt"
  fi
  if [[ -s $RESULTS_DIR/failures.txt ]]; then
    echo "  ----- failed tests -----"
    head -n 120 "$RESULTS_DIR/failures.txt" | sed 's/^/  /'
  fi
  if (( FAILED || rc != 0 )); then
    echo "  RESULT: FAILED"
    echo "================================================================================="
    exit 1
  fi
  echo "  RESULT: passed"
  echo "================================================================================="
  exit 0
}
trap print_summary EXIT

# ------------------------------------------------------------------------------------------------
deps() {
  pg_find_bin
  log "PostgreSQL tools: $PG_BIN"
  if [[ ! -x /usr/bin/chromium ]]; then
    if is_root; then
      apt_install chromium || return 1
    else
      warn "/usr/bin/chromium missing (Debian package chromium): browser tests will fail"
    fi
  fi
  ensure_tool turnserver coturn optional || true
  ensure_tool nginx nginx optional || true
  ensure_tool curl curl
  have dotnet || die "the .NET SDK (dotnet) is required"
  log "dotnet $(dotnet --version), node $(node --version 2>/dev/null || echo missing), chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"
}

npm_deps() {
  have npm || { warn "npm is missing (Node.js 20+)"; return 1; }
  npm_ci_if_needed "$WEB_DIR" || return 1
  # Servers the .NET tests start themselves (s3rver for the S3 file store tests).
  npm_ci_if_needed "$ROOT/tests/tools"
}

web_checks() {
  (
    cd "$WEB_DIR"
    log "npm run typecheck"
    npm run --silent typecheck
    log "npm test"
    npm test --silent
  )
}

web_build() {
  log "npm run build"
  (cd "$WEB_DIR" && npm run --silent build)
}

build() {
  timeout 20m dotnet build Telemedicina.sln -c Release --nologo -v minimal -clp:Summary
}

# dotnet_tests : every test project of the solution, with TRX reports and a per-module summary.
# One test project at a time: the cluster tests and the browser tests each start real silos (and
# the browser tests four Chromiums); side by side on two cores they starved each other (WebRTC
# dropping, renderers stalling) and failed for reasons that were not bugs.
dotnet_tests() {
  local DOTNET_MIN=${TEST_TIMEOUT_DOTNET_MIN:-30}
  local -a args=(--solution Telemedicina.sln -c Release --no-build
    --results-directory "$RESULTS_DIR" --report-xunit-trx --show-slowest-tests 10
    --timeout "${DOTNET_MIN}m" --max-parallel-test-modules 1)
  if [[ -n $FILTER ]]; then
    # A test project in which nothing matches exits with 8 ("zero tests"): not a failure here.
    args+=(--filter "$FILTER" --ignore-exit-code 8)
    log "filter: $FILTER"
  fi
  rm -rf "$RESULTS_DIR"
  mkdir -p "$RESULTS_DIR"
  export TELEMEDICINA_FIGURES_FILE=$RESULTS_DIR/figures.txt
  local rc=0
  # The outer timeout is a safety net for a hung test host (the platform's --timeout ends tests).
  timeout --kill-after=30s "$((DOTNET_MIN + 3))m" dotnet test "${args[@]}" || rc=$?
  trx_summary
  return "$rc"
}

# trx_summary : one line per TRX report (test module): total, passed, failed, skipped.
trx_summary() {
  local trx counters name total passed failed executed
  shopt -s nullglob
  local -a files=("$RESULTS_DIR"/*.trx)
  shopt -u nullglob
  (( ${#files[@]} > 0 )) || { warn "no TRX reports in $RESULTS_DIR"; return 0; }
  echo
  echo "----- .NET test results (TRX in ${RESULTS_DIR#"$ROOT"/}) -----"
  for trx in "${files[@]}"; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
    name=$(grep -o 'storage="[^"]*"' "$trx" | head -n 1 | sed 's/.*\///; s/"$//' || true)
    [[ -n $name ]] || name="(no tests) $(basename "$trx")"
    total=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
    executed=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    printf '  %-45s total %4s  executed %4s  passed %4s  failed %4s\n' \
      "$name" "${total:-?}" "${executed:-?}" "${passed:-?}" "${failed:-?}"
  done
  echo "---------------------------------------------------------------------"
  # Failed tests with the start of their messages, printed again at the very end of the summary.
  awk -v max=14 -f "$ROOT/scripts/trx-failures.awk" "${files[@]}" > "$RESULTS_DIR/failures.txt" || true
}

# logscan : the silo logs of this run hold no password, token, CPF, SDP, peer address or TURN
# credential (a filtered run may have started no silo at all).
logscan() {
  local -a args=()
  if [[ -n $FILTER ]]; then args+=(--allow-empty); fi
  log "scanning $TELEMEDICINA_TEST_LOG_DIR"
  # The network-partition test's silos advertise 10.232.N.1/.2 and its isolated silo listens on 10.231.N.2
  # (NetworkPartitionTests.IsolatedNetwork): the cluster's own addresses. Its clients' side, 10.231.N.1, is not.
  LOGSCAN_OWN_ADDRESSES='10\.232\.[0-9]+\.[12]|10\.231\.[0-9]+\.2' \
    bash "$ROOT/scripts/logscan.sh" "${args[@]}" "$TELEMEDICINA_TEST_LOG_DIR"
}

smoke() {
  local t rc=0
  shopt -s nullglob
  local -a tests=("$ROOT"/tests/smoke/*_test.sh)
  shopt -u nullglob
  (( ${#tests[@]} > 0 )) || { warn "no smoke tests found"; return 0; }
  for t in "${tests[@]}"; do
    log "smoke: ${t#"$ROOT"/}"
    timeout --kill-after=60s "${TEST_TIMEOUT_SMOKE_MIN:-10}m" bash "$t" || { rc=$?; warn "smoke test ${t#"$ROOT"/} failed"; }
  done
  return "$rc"
}

# ------------------------------------------------------------------------------------------------
stage deps deps || exit 1
if [[ -f $WEB_DIR/package.json ]]; then
  stage npm npm_deps || exit 1
  stage webtest web_checks || true
  stage webbuild web_build || exit 1
else
  warn "src/Web/package.json not found: skipping the web UI stages"
  SUMMARY+=("$(printf '%-9s skipped (no src/Web)' web)")
fi
stage build build || exit 1
stage dotnet dotnet_tests || true
stage logscan logscan || true
if (( SKIP_SMOKE )); then
  SUMMARY+=("$(printf '%-9s skipped (--skip-smoke)' smoke)")
else
  stage smoke smoke || true
fi
