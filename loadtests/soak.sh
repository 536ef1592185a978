#!/usr/bin/env bash
# Soak (docs/RELIABILITY.md): the deployed pair — enhancer with its remote detector — under an open-model
# enhance-stream run of MINUTES minutes (default 10) at RATE frames/s (80% of the capacity measured by capacity.sh),
# plus a detect-stream run at DETECT_RATE frames/s straight at the detector (0 = none). Samples both processes'
# working set (VmRSS) and thread count from /proc every SAMPLE_S seconds into soak-samples.csv. Passes with zero
# errors; reports first/last/max memory and threads (flatness is judged from the samples after the first minute).
#   RATE=... DETECT_RATE=... loadtests/soak.sh
# Env: STREAMS (2), MODE (live), SIZE (640x360), OUT (artifacts/soak).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/artifacts/soak}"
MINUTES="${MINUTES:-10}" RATE="${RATE:?RATE (frames/s for enhance-stream) is required}" DETECT_RATE="${DETECT_RATE:-0}"
STREAMS="${STREAMS:-2}" MODE="${MODE:-live}" SIZE="${SIZE:-640x360}" SAMPLE_S="${SAMPLE_S:-15}"
mkdir -p "$OUT"
rm -f "$OUT"/*.log
source "$ROOT/loadtests/lib.sh"

build_all
cleanup() { for pid in ${PID_ENHANCER:-} ${PID_DETECTOR:-} ${P1:-} ${P2:-}; do kill -KILL "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
start_pair
duration=$((MINUTES * 60))
echo "soak: ${MINUTES} min, enhance-stream $RATE frames/s, detect-stream $DETECT_RATE frames/s; $(nproc) cores; load average $(loadavg)" | tee "$OUT/soak.txt"
load_bg enhance-stream --target "http://127.0.0.1:$ENH_GRPC" --rate "$RATE" --streams "$STREAMS" --mode "$MODE" --size "$SIZE" \
  --duration "$duration" --warmup 5 --max-error-rate 0 --json "$OUT/enhance.json" --md "$OUT/enhance.md" >"$OUT/enhance.out" 2>&1
P1=$!
if [ "$DETECT_RATE" != 0 ]; then
  load_bg detect-stream --target "http://127.0.0.1:$DET_GRPC" --rate "$DETECT_RATE" --streams 4 --mode "$MODE" --size "$SIZE" \
    --duration "$duration" --warmup 5 --max-error-rate 0 --json "$OUT/detect.json" --md "$OUT/detect.md" >"$OUT/detect.out" 2>&1
  P2=$!
fi
echo "t_s,detector_rss_kib,detector_threads,enhancer_rss_kib,enhancer_threads,load1" >"$OUT/soak-samples.csv"
t0=$SECONDS
while kill -0 "$P1" 2>/dev/null; do
  read -r drss dthr < <(proc_sample "$PID_DETECTOR"); read -r erss ethr < <(proc_sample "$PID_ENHANCER")
  echo "$((SECONDS - t0)),$drss,$dthr,$erss,$ethr,$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/soak-samples.csv"
  sleep "$SAMPLE_S"
done
rc=0; wait "$P1" || rc=$?
[ -z "${P2:-}" ] || wait "$P2" || rc=$?
P1="" P2=""
python3 - "$OUT" "$rc" <<'PY' | tee -a "$OUT/soak.txt"
import csv, json, os, sys
out, rc = sys.argv[1], int(sys.argv[2])
rows = [r for r in csv.DictReader(open(os.path.join(out, "soak-samples.csv")))]
settled = [r for r in rows if int(r["t_s"]) >= 60] or rows
for name in ("detector", "enhancer"):
    rss = [int(r[f"{name}_rss_kib"]) for r in settled]; thr = [int(r[f"{name}_threads"]) for r in settled]
    print(f"{name}: working set {rows[0][name + '_rss_kib']} KiB at start, {rss[0]} KiB at 1 min, {rss[-1]} KiB at end "
          f"(min {min(rss)}, max {max(rss)} after 1 min); threads {rows[0][name + '_threads']} at start, {thr[0]} at 1 min, "
          f"{thr[-1]} at end (max {max(thr)})")
for f in ("enhance.json", "detect.json"):
    p = os.path.join(out, f)
    if os.path.exists(p):
        r = json.load(open(p))
        print(f"{r['scenario']}: sent {r['sent']}, ok {r['ok']}, errors {r['errors']} {r['errors_by_code']}, dropped {r['dropped']}, "
              f"throughput {r['throughput_fps']} frames/s, p50 {r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms, "
              f"max {r['latency_ms']['max']} ms; load average {r['load_average_start']} -> {r['load_average_end']}")
print(f"load tool exit code {rc}: {'PASS' if rc == 0 else 'FAIL'}")
PY
stop_service "$PID_ENHANCER"; echo "enhancer SIGTERM: exit $STOP_RC in $STOP_MS ms" | tee -a "$OUT/soak.txt"
stop_service "$PID_DETECTOR"; echo "detector SIGTERM: exit $STOP_RC in $STOP_MS ms" | tee -a "$OUT/soak.txt"
trap - EXIT
[ "$rc" -eq 0 ]
