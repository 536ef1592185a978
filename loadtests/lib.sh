# shellcheck shell=bash
# Shared by the load scripts (source it): build the tool and the services, start/stop the built service binaries as
# users run them (`dotnet <Assembly>.dll` from the Release build output, configured by environment variables, as
# `vq serve` and the compose/helm deployments do), wait for /readyz,
# sample a process's memory and threads. Needs ROOT (the repo root) and OUT (a folder for logs and reports).

LOAD_DLL="$ROOT/loadtests/bin/Release/net10.0/linux-x64/vq-load.dll"

# build_all: the detector, the enhancer and the load tool (Release; incremental, so quick after `./vq test`).
build_all() {
  local p
  for p in services/Detector/VideoQuality.Detector.csproj services/Enhancer/VideoQuality.Enhancer.csproj loadtests/VideoQuality.LoadTests.csproj; do
    dotnet build "$ROOT/$p" -c Release -m:1 -nologo -v q -clp:NoSummary >&2
  done
}

# load ARGS...: runs the load tool (built by build_all). load_bg ARGS...: the same in the background; $! is the tool's
# own pid (a backgrounded `load` would give a subshell's, and killing that leaves the tool running).
load() { dotnet "$LOAD_DLL" "$@"; }
load_bg() { dotnet "$LOAD_DLL" "$@" & }

# start_service NAME GRPC_PORT HTTP_PORT [KEY=VALUE...]: starts detector|enhancer in the background; sets PID_<NAME>.
start_service() {
  local name="$1" grpc="$2" http="$3"; shift 3
  local asm; asm="VideoQuality.$(tr '[:lower:]' '[:upper:]' <<<"${name:0:1}")${name:1}"
  env Ports__Grpc="$grpc" Ports__Http="$http" Ports__Address=127.0.0.1 Model__Root="$ROOT/models" \
    Logging__LogLevel__Microsoft.AspNetCore=Warning "$@" \
    dotnet "$ROOT/services/${name^}/bin/Release/net10.0/linux-x64/$asm.dll" >>"$OUT/$name.log" 2>&1 &
  printf -v "PID_${name^^}" '%s' "$!"
}

# wait_ready HTTP_PORT [SECONDS]: polls /readyz until 200.
wait_ready() {
  local port="$1" until=$((SECONDS + ${2:-180}))
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; do
    [ $SECONDS -lt "$until" ] || { echo "service on :$port not ready in time" >&2; return 1; }
    sleep 0.2
  done
}

# stop_service PID [SECONDS]: SIGTERM, wait for the exit (graceful shutdown), kill after the grace period; sets
# STOP_RC to the exit code and STOP_MS to the time it took. Call it directly (not in $(...)): it waits for its child.
stop_service() {
  local pid="$1" grace="${2:-30}" i t0
  t0=$(date +%s%3N); STOP_RC=0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then echo "pid $pid did not stop in ${grace} s; killing" >&2; kill -KILL "$pid"; fi
  # shellcheck disable=SC2034  # STOP_RC and STOP_MS are read by the scripts that source this file
  wait "$pid" 2>/dev/null || STOP_RC=$?
  # shellcheck disable=SC2034
  STOP_MS=$(($(date +%s%3N) - t0))
}

# proc_sample PID: "rss_kib threads" from /proc/PID/status (VmRSS = working set).
proc_sample() { awk '/^VmRSS:/ {r=$2} /^Threads:/ {t=$2} END {print r, t}' "/proc/$1/status"; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# free_port: a free loopback TCP port.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_pair: a detector and an enhancer pointed at it (ENHANCER_DETECTOR overrides the address, e.g. a proxy), on
# free ports (ENHANCER_ENV adds enhancer settings, e.g. "Enhancer__Hedging=false"); sets DET_GRPC DET_HTTP ENH_GRPC ENH_HTTP PID_DETECTOR PID_ENHANCER and waits for both /readyz.
start_pair() {
  DET_GRPC=${DET_GRPC:-$(free_port)} DET_HTTP=${DET_HTTP:-$(free_port)}
  ENH_GRPC=${ENH_GRPC:-$(free_port)} ENH_HTTP=${ENH_HTTP:-$(free_port)}
  start_service detector "$DET_GRPC" "$DET_HTTP"
  wait_ready "$DET_HTTP"
  # shellcheck disable=SC2086  # ENHANCER_ENV: extra KEY=VALUE settings of the enhancer, space-separated
  start_service enhancer "$ENH_GRPC" "$ENH_HTTP" Enhancer__DetectorAddress="${ENHANCER_DETECTOR:-http://127.0.0.1:$DET_GRPC}" ${ENHANCER_ENV:-}
  wait_ready "$ENH_HTTP"
}
