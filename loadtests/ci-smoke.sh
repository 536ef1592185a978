#!/usr/bin/env bash
# CI load smoke (called by .ci/run): builds the services and the load tool, starts the built detector and enhancer
# binaries as users run them (background, free loopback ports, ready on /readyz), runs detect-unary, detect-stream
# and enhance-stream for 10 s each (after a 2 s warm-up) and fails when a run has errors, drops beyond its budget or
# a p99 over the committed budget (loadtests/budgets/ci.json, generous for a loaded 2-core box). Runs the Python client
# example (examples/python) and README's REST curl call against the detector. Then stops both
# services with SIGTERM and fails unless each exits 0 within its shutdown timeout. Reports: $OUT (default
# artifacts/load-smoke/*.json|md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/artifacts/load-smoke}"
mkdir -p "$OUT"
rm -f "$OUT"/*.log
source "$ROOT/loadtests/lib.sh"

build_all
cleanup() {
  for pid in ${PID_ENHANCER:-} ${PID_DETECTOR:-}; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
start_pair
echo "load smoke: detector :$DET_GRPC, enhancer :$ENH_GRPC ready; load average $(loadavg)"

failed=0
smoke() {
  local scenario="$1"; shift
  if ! load "$scenario" --target "$@" --duration 10 --warmup 2 --budget "$ROOT/loadtests/budgets/ci.json" \
      --json "$OUT/$scenario.json" --md "$OUT/$scenario.md"; then
    echo "load smoke: $scenario FAILED its budget" >&2
    failed=1
  fi
}
smoke detect-unary "http://127.0.0.1:$DET_GRPC" --rate 10
smoke detect-stream "http://127.0.0.1:$DET_GRPC" --rate 20 --streams 4
smoke enhance-stream "http://127.0.0.1:$ENH_GRPC" --rate 1 --streams 1

# The Python client example (examples/python; python3-grpcio and python3-grpc-tools, installed by `./vq test`) streams
# a one-second generated clip to the detector and must get an answer for every frame; then README's curl call posts a
# GRAY8 frame to POST /v1/detect on the detector's HTTP port and must get a damage class back.
example_and_curl() {
  local clip="$OUT/example-clip.mkv" frame
  ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -t 1 -c:v mpeg2video -q:v 20 "$clip" &&
    /usr/bin/python3 "$ROOT/examples/python/detect_stream.py" "$clip" --target "127.0.0.1:$DET_GRPC" >"$OUT/python-example.log" 2>&1 &&
    tail -n 1 "$OUT/python-example.log" &&
    frame=$(head -c 3072 /dev/urandom | base64 -w0) &&
    curl -fsS "http://127.0.0.1:$DET_HTTP/v1/detect" -H 'content-type: application/json' \
      -d '{"frame":{"format":"PIXEL_FORMAT_GRAY8","width":64,"height":48,"data":"'"$frame"'"}}' >"$OUT/curl-detect.json" &&
    grep -q '"damageClass":"DAMAGE_CLASS_' "$OUT/curl-detect.json"
}
if example_and_curl; then
  echo "load smoke: python example and REST curl passed"
else
  echo "load smoke: python example or REST curl FAILED (see $OUT/python-example.log, $OUT/curl-detect.json)" >&2
  failed=1
fi

for name in enhancer detector; do
  pid_var="PID_${name^^}"
  stop_service "${!pid_var}"
  echo "load smoke: $name stopped by SIGTERM in $STOP_MS ms, exit code $STOP_RC"
  [ "$STOP_RC" -eq 0 ] || { echo "load smoke: $name did not exit cleanly" >&2; failed=1; }
done
trap - EXIT
if [ "$failed" -ne 0 ]; then
  echo "load smoke: FAILED (logs and reports in $OUT)" >&2
  exit 1
fi
echo "load smoke: passed"
