#!/usr/bin/env bash
# Smoke run of the benchmark harness (issue 8: the benchmark is not part of ./test.sh's pass/fail, a short smoke run
# of it is): every scenario at tiny size on the three systems (ours, the Redis-backplane peer, the single node), then
# the correctness check of bench/Telemedicina.Bench/Reporting/SmokeCheck.cs — every scenario ran on every system it
# applies to, no signal lost or reordered, every call notified, no double booking, every room relays again after the
# kill -9 and ours loses no signal after the resume. Latencies are printed, not judged (speed is for ./bench.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
LOG_TAG=bench-smoke

OUT_DIR=$ROOT/TestResults
mkdir -p "$OUT_DIR"
# ./test.sh's build stage built the solution (bench projects included) in Release.
"$ROOT/bench.sh" --smoke --no-build --out "$OUT_DIR/bench-smoke.md" --csv "$OUT_DIR/bench-smoke.csv"
log "report: ${OUT_DIR#"$ROOT"/}/bench-smoke.md"

# The BenchmarkDotNet micro-benchmarks run (one cold iteration each, in process: wiring only, no figures).
dotnet "$ROOT/bench/Telemedicina.Bench.Micro/bin/Release/net10.0/Telemedicina.Bench.Micro.dll" \
  --filter '*' --job Dry --inProcess --artifacts "$OUT_DIR/bench-micro-dry" > "$OUT_DIR/bench-micro-dry.log" 2>&1 \
  || { tail -n 40 "$OUT_DIR/bench-micro-dry.log" >&2; die "the micro-benchmarks did not run"; }
grep -q "ThirtyDays" "$OUT_DIR/bench-micro-dry.log" && grep -q "RoomMessage serialize" "$OUT_DIR/bench-micro-dry.log" \
  || die "the micro-benchmarks ran without their tables (see ${OUT_DIR#"$ROOT"/}/bench-micro-dry.log)"
log "micro-benchmarks: dry run passed"
