#!/usr/bin/env bash
# Chaos runs of the enhancer in front of the detector (docs/RELIABILITY.md), against the built service binaries.
#  1. kill: an enhance-stream run (lossless, so every frame must be answered); the detector is SIGKILLed at 15 s and
#     started again at 25 s on the same port. Checks: zero errors, every frame answered (local fallback while the
#     detector is away), and the time from the restart (process start, and /readyz) to the first remote detection,
#     taken by polling the enhancer's vq_enhancer_detections_total{source="remote"} every 100 ms (the response
#     timeline, 100 ms buckets, is kept in kill.json too). Passes when remote detection is back <= 5 s after the
#     restarted detector is ready (the process start to ready time — model load and warm-up — is reported beside it).
#  2. slow: the enhancer reaches the detector through `vq-load proxy`, which delays every chunk each way. Runs (SLOW_RUNS,
#     one "NAME DELAY_MS JITTER_MS SWITCH_S MODE" per line): a healthy baseline without the proxy; SLOW_DELAYS (default
#     "50 300 800") in live and lossless mode; 300 ± 200 ms jitter in both modes; 300 ms alternating with none every 5 s.
#     SLOW_DURATION s each (40). Checks (docs/RELIABILITY.md, "Detector made slow"): zero errors everywhere; lossless:
#     every frame answered in order; healthy: hedges <= 5% of detections and >= 90% remote; +50 ms: >= 90% remote;
#     +300 ms live: p99 <= 250 ms and <= 1% dropped; +300 ms lossless: p99 <= 400 ms.
# Frames are 320x180 (the behaviour, not the capacity, is under test). Env: RATE (4), STREAMS (2), OUT (artifacts/chaos),
# SKIP_KILL=1 (only the slow runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/artifacts/chaos}"
RATE="${RATE:-4}" STREAMS="${STREAMS:-2}" SLOW_DELAYS="${SLOW_DELAYS:-50 300 800}" SLOW_DURATION="${SLOW_DURATION:-40}"
SKIP_KILL="${SKIP_KILL:-0}"
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
if [ "$SKIP_KILL" != 1 ]; then
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
fi

# --- 2. detector made slow -------------------------------------------------------------------------------------------
# One run per line of SLOW_RUNS: "NAME DELAY_MS JITTER_MS SWITCH_S MODE" (DELAY_MS "-": no proxy, the healthy baseline).
slow_runs_default() {
  echo "healthy - 0 0 live"
  for d in $SLOW_DELAYS; do for mode in live lossless; do echo "delay$d $d 0 0 $mode"; done; done
  for mode in live lossless; do echo "jitter300 300 200 0 $mode"; done
  echo "alternate300 300 0 5 live"
}
SLOW_RUNS="${SLOW_RUNS:-$(slow_runs_default)}"
while read -r name delay jitter switch mode; do
  [ -n "$name" ] || continue
  tag="$name-$mode"
  if [ "$delay" = "-" ]; then
    unset ENHANCER_DETECTOR
  else
    # Same port, other loopback address (from when the services routed gRPC by the authority's port; they match on the
    # local port now, so any listen port works).
    DET_GRPC=$(free_port)
    load_bg proxy --listen "127.0.0.2:$DET_GRPC" --upstream "127.0.0.1:$DET_GRPC" --delay-ms "$delay" --jitter-ms "$jitter" --switch-s "$switch" >"$OUT/proxy-$tag.log" 2>&1
    PID_PROXY=$!
    ENHANCER_DETECTOR="http://127.0.0.2:$DET_GRPC"
  fi
  ENHANCER_DETECTOR="${ENHANCER_DETECTOR:-}" start_pair
  read -r rss0 thr0 < <(proc_sample "$PID_ENHANCER")
  echo "chaos slow $tag: detector +${delay} ms (jitter ${jitter} ms, switch ${switch} s) each way; load average $(loadavg)"
  rc=0
  load enhance-stream --target "http://127.0.0.1:$ENH_GRPC" --rate "$RATE" --streams "$STREAMS" --mode "$mode" --duration "$SLOW_DURATION" --warmup 2 \
    "${FRAMES[@]}" --max-error-rate 0 --json "$OUT/slow-$tag.json" --md "$OUT/slow-$tag.md" >/dev/null || rc=$?
  read -r rss1 thr1 < <(proc_sample "$PID_ENHANCER")
  curl -fsS "http://127.0.0.1:$ENH_HTTP/metrics" >"$OUT/slow-$tag.metrics"
  python3 - "$OUT/slow-$tag.json" "$OUT/slow-$tag.metrics" "$name" "$mode" "$rc" "$rss0 $thr0 $rss1 $thr1" <<'PY' | tee "$OUT/slow-$tag-summary.txt"
import json, re, sys
r = json.load(open(sys.argv[1])); metrics = open(sys.argv[2]).read(); name, mode, rc = sys.argv[3], sys.argv[4], int(sys.argv[5])
rss0, thr0, rss1, thr1 = sys.argv[6].split()
def metric(pattern):
    return sum(float(m) for m in re.findall(r'^' + pattern + r'(?:\{[^}]*\})? ([0-9.e+-]+)$', metrics, re.M))
def labelled(series, label):
    m = re.search(r'^' + series + r'\{' + label + r'\} ([0-9.e+-]+)$', metrics, re.M)
    return float(m.group(1)) if m else 0.0
src = r["detection_source"]; answered = max(1, r["ok"])
detections = metric("vq_enhancer_detections_total")
hedges = metric("vq_enhancer_detector_hedges_total")
hedge_share = hedges / detections if detections else 0.0
remote_share = src["remote"] / answered
drop_share = r["dropped"] / max(1, r["sent"])
p99 = r["latency_ms"]["p99"]
checks = [("load tool exit 0 (no errors)", rc == 0 and r["errors"] == 0)]
if mode == "lossless":
    checks.append(("every frame answered, in order", r["ok"] == r["sent"] and r["unanswered"] == 0))
if name == "healthy":
    checks += [("hedges <= 5% of detections", hedge_share <= 0.05), ("remote >= 90%", remote_share >= 0.90)]
if name == "delay50":
    checks.append(("remote >= 90%", remote_share >= 0.90))
if name == "delay300" and mode == "live":
    checks += [("p99 <= 250 ms", p99 <= 250), ("dropped <= 1%", drop_share <= 0.01)]
if name == "delay300" and mode == "lossless":
    checks.append(("p99 <= 400 ms", p99 <= 400))
ok = all(c for _, c in checks)
remote_won = labelled("vq_enhancer_detector_hedges_total", 'winner="remote"')
reasons = dict(re.findall(r'^vq_enhancer_fallback_detections_total\{reason="([^"]+)"\} ([0-9.]+)$', metrics, re.M))
print(f"{name} {mode}: sent {r['sent']}, ok {r['ok']}, errors {r['errors']}, dropped {r['dropped']} ({drop_share:.1%}), "
      f"unanswered {r['unanswered']}; remote {src['remote']} ({remote_share:.0%}) / local hedge {src['local_hedge']} / "
      f"local fallback {src['local_fallback']}; p50 {r['latency_ms']['p50']} ms, p99 {p99} ms, max {r['latency_ms']['max']} ms; "
      f"hedges {hedges:.0f} of {detections:.0f} detections ({hedge_share:.1%}; remote won {remote_won:.0f}), "
      f"budget exceeded {metric('vq_enhancer_detection_budget_exceeded_total'):.0f}, circuit at end {metric('vq_enhancer_detector_circuit_state'):.0f}, "
      f"fallback reasons {reasons}; "
      f"enhancer working set {rss0} -> {rss1} KiB, threads {thr0} -> {thr1}")
print("  " + "; ".join(f"{n}: {'ok' if c else 'FAILED'}" for n, c in checks))
print("PASS" if ok else "FAIL")
PY
  grep -q '^PASS' "$OUT/slow-$tag-summary.txt" || failed=1
  stop_service "$PID_ENHANCER"; stop_service "$PID_DETECTOR"
  if [ -n "${PID_PROXY:-}" ]; then kill "$PID_PROXY" 2>/dev/null || true; wait "$PID_PROXY" 2>/dev/null || true; fi
  unset PID_ENHANCER PID_DETECTOR PID_PROXY DET_GRPC DET_HTTP ENH_GRPC ENH_HTTP ENHANCER_DETECTOR
done <<<"$SLOW_RUNS"
trap - EXIT
if [ "$failed" -ne 0 ]; then
  echo "chaos: FAILED (see $OUT)" >&2
  exit 1
fi
echo "chaos: passed"
