#!/usr/bin/env bash
# Capacity of one detector and one enhancer (docs/BENCHMARKS.md "Capacity (load tool)"): steps the open-model rate
# up until a step misses p99 <= 50 ms (or has errors or drops) and reports the last rate that held. Each step is a
# lossless stream run (so overload shows as latency, not as dropped frames) of STEP_S seconds after a 3 s warm-up.
# Then a closed-model run (STREAMS streams, one frame in flight each) gives the saturation throughput and the
# service time, which is the figure that matters when even the first step misses 50 ms.
#   loadtests/capacity.sh [detector|enhancer|all]      (default all)
# Env: DETECT_RATES, ENHANCE_RATES (space-separated steps), STREAMS (default 4), STEP_S (default 15), P99_MS (50),
# OUT (default artifacts/capacity), CLIP (a y4m clip, e.g. a vqbench one; default: the bench tool's MPEG-2 q 12 clip,
# every frame damaged, the enhancer's worst case). The enhancer is measured with its remote detector (the deployed pair).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/artifacts/capacity}"
WHAT="${1:-all}"
DETECT_RATES="${DETECT_RATES:-10 20 30 40 50 60 70 80 100 120 150}"
ENHANCE_RATES="${ENHANCE_RATES:-1 2 3 4 5 6 8 10 12 15 20 25 30}"
STREAMS="${STREAMS:-4}" STEP_S="${STEP_S:-15}" P99_MS="${P99_MS:-50}"
mkdir -p "$OUT"
rm -f "$OUT"/*.log
source "$ROOT/loadtests/lib.sh"
CLIP_ARGS=()
[ -z "${CLIP:-}" ] || CLIP_ARGS=(--clip "$CLIP")

build_all
cleanup() { for pid in ${PID_ENHANCER:-} ${PID_DETECTOR:-}; do kill -KILL "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
start_pair
echo "capacity: detector :$DET_GRPC, enhancer :$ENH_GRPC; $(nproc) cores; load average $(loadavg)"

# step SCENARIO TARGET RATES: prints one table row per step, stops after the first step that misses, then prints the capacity.
step() {
  local scenario="$1" target="$2" rate streams last=0 json
  echo "| scenario | rate (frames/s) | streams | ok | errors | dropped | throughput | p50 ms | p99 ms | max ms | load average | held |" | tee -a "$OUT/capacity.md"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|" | tee -a "$OUT/capacity.md"
  # Warm-up, not recorded: JIT tiering, ONNX Runtime's first runs, connections (a fresh service misses 50 ms otherwise).
  load "$scenario" --target "$target" --model closed --concurrency "$STREAMS" --mode lossless --duration 10 --warmup 0 "${CLIP_ARGS[@]}" >/dev/null || true
  for rate in $3; do
    streams=$(( STREAMS < ${rate%.*} ? STREAMS : ${rate%.*} ))
    json="$OUT/$scenario-$rate.json"
    local held=yes
    load "$scenario" --target "$target" --rate "$rate" --streams "$streams" --mode lossless --duration "$STEP_S" --warmup 3 \
      --max-p99-ms "$P99_MS" --max-error-rate 0 --json "$json" "${CLIP_ARGS[@]}" >/dev/null || held=no
    jq -r --arg held "$held" --arg s "$streams" \
      '"| \(.scenario) | \(.rate) | \($s) | \(.ok) | \(.errors) | \(.dropped) | \(.throughput_fps) | \(.latency_ms.p50) | \(.latency_ms.p99) | \(.latency_ms.max) | \(.load_average_start) | \($held) |"' \
      "$json" | tee -a "$OUT/capacity.md"
    [ "$held" = yes ] || break
    last=$rate
  done
  echo "capacity ($scenario, p99 <= ${P99_MS:-50} ms): ${last:-none} frames/s" | tee -a "$OUT/capacity.md"
  json="$OUT/$scenario-closed.json"
  load "$scenario" --target "$target" --model closed --concurrency "$STREAMS" --mode lossless --duration "$STEP_S" --warmup 3 \
    --json "$json" "${CLIP_ARGS[@]}" >/dev/null || true
  jq -r --arg s "$STREAMS" \
    '"| \(.scenario) closed | - | \($s) | \(.ok) | \(.errors) | \(.dropped) | \(.throughput_fps) | \(.latency_ms.p50) | \(.latency_ms.p99) | \(.latency_ms.max) | \(.load_average_start) | saturation |"' \
    "$json" | tee -a "$OUT/capacity.md"
  echo "capacity $scenario: $last frames/s at p99 <= $P99_MS ms (0 = not even the first step held)" | tee -a "$OUT/capacity.md"
  echo | tee -a "$OUT/capacity.md"
}

: >"$OUT/capacity.md"
echo "capacity run $(date -u +%FT%TZ), $(nproc) cores, load average $(loadavg) before" | tee -a "$OUT/capacity.md"
if [ "$WHAT" = all ] || [ "$WHAT" = detector ]; then step detect-stream "http://127.0.0.1:$DET_GRPC" "$DETECT_RATES"; fi
if [ "$WHAT" = all ] || [ "$WHAT" = enhancer ]; then step enhance-stream "http://127.0.0.1:$ENH_GRPC" "$ENHANCE_RATES"; fi
echo "load average after: $(loadavg)" | tee -a "$OUT/capacity.md"
stop_service "$PID_ENHANCER"; stop_service "$PID_DETECTOR"
trap - EXIT
