#!/usr/bin/env bash
# Telemedicina Para Todos: the benchmark harness (issue 8). Builds what it runs, makes sure redis-server is
# installed (for the SignalR-on-Redis baseline only; the product needs no Redis), then runs the load generator,
# which starts every system under test itself: a throwaway PostgreSQL and two silos of the built host (as the
# tests do), two plain SignalR nodes on a Redis backplane, and one plain SignalR node. Writes
# docs/benchmarks.md and docs/benchmarks.csv (a copy of the CSV goes to bench/results/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
LOG_TAG=bench

usage() {
  cat <<'USAGE'
Usage: ./bench.sh [--quick | --full | --smoke] [--no-build] [generator options]

Profiles:
  --quick      (default) S1 at 100/200/400 rooms, 45 s system warm-up, 5 s warm-up + 15 s per point, S3, Signal cost,
               S4 (64 clients, 8 doctors, 20 s), S2 (ours, limit: up to 19,500 connections), S5 (200 rooms, ours and peer-redis)
  --full       60 s per point, the S1 ramp to saturation, finer S2 steps, longer S4/S5; for a quiet machine
  --smoke      every scenario at tiny size (10 rooms, 5 s per point, S2 to 100 connections, S4 8 clients, S5 10 rooms);
               proves the wiring (writes bench/results/smoke.*)

Generator options (passed through): --systems ours,peer-redis,limit  --rooms 100,200,400  --rate 5
  --payload 1024-4096  --warmup S  --duration S  --ramp 10,20,40  --call-rate 50  --out FILE.md  --csv FILE.csv
  --scenarios S1,S2,S4,S5 (set-up with S3 and the Signal cost always runs)  --connections 1000,5000  --connection-cap N
  --booking-clients 64  --booking-doctors 8  --booking-duration S  --failover-rooms 200  --failover-rate 2
USAGE
}

PROFILE=quick
BUILD=1
declare -a PASS=()
while (( $# > 0 )); do
  case $1 in
    --quick) PROFILE=quick; shift ;;
    --full) PROFILE=full; shift ;;
    --smoke) PROFILE=smoke; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) PASS+=("$1"); shift ;;
  esac
done

cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ensure_tool redis-server redis-server
have initdb || [[ -n $(find /usr/lib/postgresql -maxdepth 3 -name initdb 2>/dev/null | head -n 1) ]] || ensure_tool psql postgresql

if (( BUILD )); then
  for project in src/Host/Telemedicina.Host bench/Telemedicina.Bench.Peer bench/Telemedicina.Bench; do
    log "dotnet build $project -c Release"
    dotnet build "$project" -c Release --nologo -v quiet >"${TMPDIR:-/tmp}/telemedicina-bench-build.log" 2>&1 || {
      tail_log "${TMPDIR:-/tmp}/telemedicina-bench-build.log" 40
      die "build of $project failed"
    }
  done
fi

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then COMMIT="$COMMIT (+ uncommitted changes)"; fi
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results

log "profile $PROFILE; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
dotnet bench/Telemedicina.Bench/bin/Release/net10.0/Telemedicina.Bench.dll --profile "$PROFILE" --commit "$COMMIT" "${PASS[@]}" || rc=$?

if [[ $PROFILE == smoke ]]; then
  csv=bench/results/smoke.csv
else
  csv=docs/benchmarks.csv
  for ((i = 0; i < ${#PASS[@]}; i++)); do [[ ${PASS[i]} == --csv ]] && csv=${PASS[i + 1]}; done
fi
if [[ $csv == docs/benchmarks.csv && -f $csv ]]; then
  cp "$csv" "bench/results/$PROFILE-$STAMP.csv"
  log "results: $csv (copy: bench/results/$PROFILE-$STAMP.csv)"
elif [[ -f $csv ]]; then
  log "results: $csv"
fi
exit "$rc"
