#!/usr/bin/env bash
# Chaos runs of the enhancer in front of the detector (docs/RELIABILITY.md), against the built service binaries.
#  1. kill: an enhance-stream run (lossless, so every frame must be answered); the detector is SIGKILLed at 15 s and
#     started again at 25 s on the same port. Checks: zero errors, every frame answered (local fallback while the
#     detector is away), and the time from the restart (process start, and /readyz) to the first remote detection,
#     taken by polling the enhancer's vq_enhancer_detections_total{source="remote"} every 100 ms (the response
#     timeline, 100 ms buckets, is kept in kill.json too). Passes when remote detection is back <= 5 s after the
#     restarted detector is ready (the process start to ready time — model load and warm-up — is reported beside it).
#  2. slow: the enhancer reaches the detector through `vq-load proxy`, which delays every chunk by DELAY_MS each way:
#     SLOW_DELAYS (default "300 1500": within and beyond the enhancer's 1000 ms attempt timeout). A live-mode run per
#     delay. Checks: zero errors, bounded latency (max), the enhancer's working set and threads before/after, drops.
# Frames are 320x180 (the behaviour, not the capacity, is under test). Env: RATE (4), STREAMS (2), OUT (artifacts/chaos).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/artifacts/chaos}"
RATE="${RATE:-4}" STREAMS="${STREAMS:-2}" SLOW_DELAYS="${SLOW_DELAYS:-300 1500}"
mkdir -p "$OUT"
rm -f "$OUT"/*.log
source "$ROOT/loadtests/lib.sh"
FRAMES=(--size 320x180 --frames 30)
now_ms() { date +%s%3N; }
remote_count() { curl -fsS "http://127.0.0.1:$ENH_HTTP/metrics" 2>/dev/null | awk -F' ' '/^vq_enhancer_detections_total\{source="remote"\}/ {print int($2)}' || true; }

build_all
cleanup() { for pid in ${PID_PROXY:-} ${PID_ENHANCER:-} ${PID_DETECTOR:-} ${LOAD_PID:-}; do kill -KILL "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
failed=0

# --- 1. detector killed and restarted -------------------------------------------------------------------------------
start_pair
echo "chaos kill: detector :$DET_GRPC, enhancer :$ENH_GRPC; load average $(loadavg)"
load_bg enhance-stream --target "http://127.0.0.1:$ENH_GRPC" --rate "$RATE" --streams "$STREAMS" --mode lossless --duration 50 --warmup 0 \
  --timeline-ms 100 "${FRAMES[@]}" --max-error-rate 0 --json "$OUT/kill.json" --md "$OUT/kill.md" >"$OUT/kill.out" 2>&1
LOAD_PID=$!
sleep 15
kill_ms=$(now_ms); kill -KILL "$PID_DETECTOR"; wait "$PID_DETECTOR" 2>/dev/null || true
sleep 10
before=$(remote_count)
restart_ms=$(now_ms)
start_service detector "$DET_GRPC" "$DET_HTTP"
remote_ms=""; ready_ms=""
for _ in $(seq 1 300); do
  [ -n "$ready_ms" ] || ! curl -fsS -o /dev/null "http://127.0.0.1:$DET_HTTP/readyz" 2>/dev/null || ready_ms=$(now_ms)
  if [ "$(remote_count)" != "$before" ]; then remote_ms=$(now_ms); break; fi
  sleep 0.1
done
[ -n "$ready_ms" ] || { wait_ready "$DET_HTTP"; ready_ms=$(now_ms); }
load_rc=0; wait "$LOAD_PID" || load_rc=$?; LOAD_PID=""
python3 - "$OUT/kill.json" "$kill_ms" "$restart_ms" "$ready_ms" "${remote_ms:-0}" "$load_rc" >"$OUT/kill-summary.txt" <<'PY' || echo FAIL: analysis >>"$OUT/kill-summary.txt"
import json, sys
r = json.load(open(sys.argv[1])); kill, restart, ready, remote, rc = map(int, sys.argv[2:])
t0 = r["started_unix_ms"]
def first(pred):
    return next((p for p in r["timeline"] if pred(p)), None)
fb = first(lambda p: t0 + p["at_s"] * 1000 >= kill and p["local_fallback"] > 0)
back = first(lambda p: t0 + (p["at_s"] + 0.1) * 1000 >= restart and p["remote"] > 0)
print(f"sent {r['sent']}, ok {r['ok']}, errors {r['errors']} {r['errors_by_code']}, unanswered {r['unanswered']}, "
      f"detection remote {r['detection_source']['remote']} / local fallback {r['detection_source']['local_fallback']}, "
      f"p50 {r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms, max {r['latency_ms']['max']} ms, load tool exit {rc}")
print(f"detector killed at +{(kill - t0) / 1000:.1f} s; first fallback answer at +{fb['at_s'] if fb else None} s; "
      f"restarted at +{(restart - t0) / 1000:.1f} s, ready after {(ready - restart) / 1000:.2f} s")
rec = (remote - restart) / 1000 if remote else None
after_ready = "n/a" if rec is None else "%.2f" % ((remote - ready) / 1000)
in_timeline = "n/a" if back is None else "%.1f" % ((t0 + (back["at_s"] + 0.1) * 1000 - restart) / 1000)
print(f"first remote detection (metrics) {'n/a' if rec is None else '%.2f' % rec} s after the restart, "
      f"{after_ready} s after ready; first remote answer in the timeline {in_timeline} s after the restart")
back_after_ready = (remote - ready) / 1000 if remote else None
ok = rc == 0 and r["errors"] == 0 and r["unanswered"] == 0 and r["sent"] == r["ok"] and back_after_ready is not None and back_after_ready <= 5.0
print("PASS" if ok else "FAIL")
PY
cat "$OUT/kill-summary.txt"
grep -q '^PASS' "$OUT/kill-summary.txt" || failed=1
stop_service "$PID_ENHANCER"; stop_service "$PID_DETECTOR"
unset PID_ENHANCER PID_DETECTOR DET_GRPC DET_HTTP ENH_GRPC ENH_HTTP

# --- 2. detector made slow -------------------------------------------------------------------------------------------
for delay in $SLOW_DELAYS; do
  # Same port, other loopback address: the detector routes gRPC by the authority's port.
  DET_GRPC=$(free_port)
  load_bg proxy --listen "127.0.0.2:$DET_GRPC" --upstream "127.0.0.1:$DET_GRPC" --delay-ms "$delay" >"$OUT/proxy-$delay.log" 2>&1
  PID_PROXY=$!
  ENHANCER_DETECTOR="http://127.0.0.2:$DET_GRPC" start_pair
  read -r rss0 thr0 < <(proc_sample "$PID_ENHANCER")
  echo "chaos slow: detector +${delay} ms each way through the proxy; load average $(loadavg)"
  rc=0
  load enhance-stream --target "http://127.0.0.1:$ENH_GRPC" --rate "$RATE" --streams "$STREAMS" --mode live --duration 40 --warmup 2 \
    "${FRAMES[@]}" --max-error-rate 0 --json "$OUT/slow-$delay.json" --md "$OUT/slow-$delay.md" >/dev/null || rc=$?
  read -r rss1 thr1 < <(proc_sample "$PID_ENHANCER")
  metrics=$(curl -fsS "http://127.0.0.1:$ENH_HTTP/metrics" | grep -E '^vq_enhancer_(detections_total|detector_retries_total|frames_dropped_total|active_streams|detector_circuit_state)' | tr '\n' ' ')
  jq -r --arg d "$delay" --arg rc "$rc" --arg m "$metrics" --arg mem "working set ${rss0} -> ${rss1} KiB, threads ${thr0} -> ${thr1}" \
    '"delay \($d) ms: sent \(.sent), ok \(.ok), errors \(.errors), dropped \(.dropped), remote \(.detection_source.remote) / fallback \(.detection_source.local_fallback), p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, max \(.latency_ms.max) ms, exit \($rc); enhancer \($mem); metrics: \($m)"' \
    "$OUT/slow-$delay.json" | tee "$OUT/slow-$delay-summary.txt"
  [ "$rc" -eq 0 ] || failed=1
  stop_service "$PID_ENHANCER"; stop_service "$PID_DETECTOR"; kill "$PID_PROXY" 2>/dev/null || true; wait "$PID_PROXY" 2>/dev/null || true
  unset PID_ENHANCER PID_DETECTOR PID_PROXY DET_GRPC DET_HTTP ENH_GRPC ENH_HTTP
done
trap - EXIT
if [ "$failed" -ne 0 ]; then
  echo "chaos: FAILED (see $OUT)" >&2
  exit 1
fi
echo "chaos: passed"
