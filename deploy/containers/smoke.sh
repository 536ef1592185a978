#!/usr/bin/env bash
# Container smoke (called by .ci/run; run it by hand the same way: `bash deploy/containers/smoke.sh`). Builds the
# CPU images of both services with deploy/docker/Dockerfile and runs them with docker-compose from deploy/compose/
# as production runs them (user 10001, read-only root filesystem, all capabilities dropped, health checks,
# 127.0.0.1-only port mappings on the compose network), with nothing pulled from a registry:
#
#   1. engine     uses a running Docker engine, or installs docker.io (+ debootstrap, docker-compose) with apt and
#                 starts dockerd in the background (stopped again on exit); none can start: SKIPPED, exit 0
#   2. base       `debootstrap --variant=minbase` bookworm from apt's Debian mirror + `docker import`, tagged
#                 vq-base:<sha256 of suite + package list>, reused while that image exists
#   3. images     `dotnet publish -r linux-x64 --self-contained` of Detector, Enhancer and the CLI into
#                 .vq/containers/<name>/app (+ models/ without golden vectors), then the Dockerfile targets
#                 runtime-cpu-prebuilt (both services) and cli-prebuilt (the `vq` CLI), and
#                 deploy/containers/Dockerfile.harness (mosquitto, Prometheus, ffmpeg from Debian packages)
#   4. compose    deploy/compose/docker-compose.yml + deploy/containers/docker-compose.smoke.yml, free host ports
#   5. checks     both services healthy; `vq detect --detector` on the published port writes the same JSONL as
#                 in-process; the enhancer's detections come from the detector container, fall back in-process
#                 while it is stopped and come back when it is started (REST detectionSource and
#                 vq_enhancer_detections_total{source}); host `vq monitor` raises an alarm on the mosquitto
#                 container; the stream-source container's live UDP stream raises an alarm in the vq-monitor
#                 container; Prometheus (else the script) scrapes the frames counted; `docker stop` ends both
#                 services with exit 0 within the grace period
#
# Prints image sizes, build times and start-to-ready times, and writes them to $OUT/summary.md (default
# artifacts/containers/). Needs root (or sudo) only to install packages, start dockerd and run debootstrap.
# VQ_CONTAINERS_KEEP=1 leaves the stack running at the end (ports in the summary).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${OUT:-$ROOT/artifacts/containers}"
CACHE="$ROOT/.vq/containers"
PROJECT="${VQ_CONTAINERS_PROJECT:-vq-smoke}"
SUITE=bookworm
BASE_PACKAGES=(libssl3 ca-certificates passwd)
START=$SECONDS
STARTED_DOCKERD_PID=""
STACK_UP=0
failed=0
SUMMARY=()

log() { printf 'containers smoke: %s\n' "$*"; }
note() { SUMMARY+=("$*"); log "$*"; }
fail() { log "FAILED: $*"; failed=1; }
skip() { log "SKIPPED: $* (not a failure: this machine cannot run containers)"; exit 0; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi; }
since() { echo $((SECONDS - $1)); }

mkdir -p "$OUT" "$CACHE"
rm -f "$OUT"/*.log "$OUT"/*.jsonl "$OUT"/*.json "$OUT"/*.txt
cd "$ROOT"

# ------------------------------------------------------------------------------------------------ 1. engine
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$OUT/apt.log" 2>&1
}
engine() {
  local need=()
  command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
  if ! docker info >/dev/null 2>&1; then
    command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  fi
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]} (apt-get)"
    apt_install "${need[@]}" || skip "apt-get install ${need[*]} failed (see $OUT/apt.log)"
  fi
  if docker info >/dev/null 2>&1; then
    log "using the running Docker engine"
    return
  fi
  command -v dockerd >/dev/null 2>&1 || skip "no dockerd"
  [ "$(id -u)" = 0 ] || skip "no Docker engine running, and starting dockerd needs root"
  log "starting dockerd (log: $OUT/dockerd.log)"
  dockerd >"$OUT/dockerd.log" 2>&1 &
  STARTED_DOCKERD_PID=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -n 5 "$OUT/dockerd.log" >&2; stop_dockerd; skip "dockerd did not start"; }
}
stop_dockerd() {
  [ -n "$STARTED_DOCKERD_PID" ] || return 0
  kill -TERM "$STARTED_DOCKERD_PID" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
  log "stopped the dockerd this script started"
  STARTED_DOCKERD_PID=""
}
cleanup() {
  if [ "$STACK_UP" = 1 ] && [ -z "${VQ_CONTAINERS_KEEP:-}" ]; then
    "${COMPOSE[@]}" logs --no-color >"$OUT/compose.log" 2>&1 || true
    "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  [ -n "${VQ_CONTAINERS_KEEP:-}" ] || stop_dockerd
}
trap cleanup EXIT
trap 'exit 130' INT TERM
engine

# BuildKit builds only the stages a target needs (the classic builder would pull the SDK, ASP.NET and CUDA bases).
# A client without the buildx plugin cannot use BuildKit; Debian's docker.io client (/usr/bin/docker) has it built in.
if docker buildx version >/dev/null 2>&1; then
  BUILD=(docker buildx build --load --progress=plain)
elif [ -x /usr/bin/docker ] && DOCKER_BUILDKIT=1 /usr/bin/docker build --help >/dev/null 2>&1; then
  BUILD=(env DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain)
else
  BUILD=(env DOCKER_BUILDKIT=1 docker build --progress=plain)
fi
if command -v docker-compose >/dev/null 2>&1; then DC=(docker-compose); else DC=(docker compose); fi
COMPOSE=("${DC[@]}" -p "$PROJECT" -f "$ROOT/deploy/compose/docker-compose.yml"
  -f "$ROOT/deploy/containers/docker-compose.smoke.yml")

# ------------------------------------------------------------------------------------------------ 2. base image
mirror() {
  local m
  m="$(grep -h -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -v -E 'security|nodesource|google' | grep -o -E 'https?://[^ ]*debian/?' | head -n 1)"
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR="$(mirror)"
BASE_HASH="$(printf '%s\n' "debootstrap minbase $SUITE" "${BASE_PACKAGES[@]}" | sha256sum | cut -c1-16)"
BASE_IMAGE="videoquality/base:$SUITE-$BASE_HASH"
t=$SECONDS
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  note "base image $BASE_IMAGE: cached"
else
  log "debootstrap --variant=minbase $SUITE from $MIRROR (+ ${BASE_PACKAGES[*]})"
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/vq-rootfs.XXXXXX")"
  if ! as_root debootstrap --variant=minbase --include="$(IFS=,; echo "${BASE_PACKAGES[*]}")" "$SUITE" "$rootfs" "$MIRROR" \
    >"$OUT/debootstrap.log" 2>&1; then
    tail -n 20 "$OUT/debootstrap.log" >&2
    as_root rm -rf "$rootfs"
    fail "debootstrap (log: $OUT/debootstrap.log)"
    exit 1
  fi
  as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  as_root tar -C "$rootfs" -c . | docker import -c 'ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1' -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  as_root rm -rf "$rootfs"
  note "base image $BASE_IMAGE: debootstrap + import in $(since "$t") s"
fi
note "base image size: $(($(docker image inspect --format '{{.Size}}' "$BASE_IMAGE") / 1000000)) MB"

# ------------------------------------------------------------------------------------------------ 3. images
# publish NAME PROJECT: self-contained linux-x64 publish into .vq/containers/NAME/app, models beside it.
publish() {
  local ctx="$CACHE/$1"
  mkdir -p "$ctx"
  if ! nice -n 19 dotnet publish "$2" -c Release -r linux-x64 --self-contained true -p:DebugType=none \
    -p:Version=0.0.0 -p:SourceRevisionId="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
    -o "$ctx/app" -nologo -v q -clp:NoSummary >"$OUT/publish-$1.log" 2>&1; then
    cat "$OUT/publish-$1.log" >&2
    return 1
  fi
  # As runtime-cpu: the CUDA/TensorRT provider libraries (hundreds of MB) cannot load on CPU.
  rm -f "$ctx"/app/libonnxruntime_providers_cuda.so "$ctx"/app/libonnxruntime_providers_tensorrt.so
  rm -rf "$ctx/models" && mkdir -p "$ctx/models"
  cp -r "$ROOT/models/detector" "$ROOT/models/enhancer" "$ctx/models/"
  find "$ctx/models" -type d -name golden -prune -exec rm -rf {} +
}
# image TAG SECONDS_VAR BUILD_ARGS...: build and record the time.
declare -A BUILD_S SIZE_MB
image() {
  local tag="$1" t0=$SECONDS
  shift
  if ! "${BUILD[@]}" -t "$tag" "$@" >"$OUT/build-${tag//[\/:]/_}.log" 2>&1; then
    tail -n 30 "$OUT/build-${tag//[\/:]/_}.log" >&2
    fail "docker build $tag"
    exit 1
  fi
  BUILD_S[$tag]=$(since "$t0")
  SIZE_MB[$tag]=$(($(docker image inspect --format '{{.Size}}' "$tag") / 1000000))
  note "image $tag: ${SIZE_MB[$tag]} MB, built in ${BUILD_S[$tag]} s"
}
# The real Dockerfile, less its `# syntax=` line: that line makes BuildKit pull the docker/dockerfile frontend
# image from Docker Hub; the builder's built-in frontend reads every stage these targets need.
dockerfile() { sed '1{/^# syntax=/d}' "$ROOT/deploy/docker/Dockerfile"; }

t=$SECONDS
publish detector services/Detector/VideoQuality.Detector.csproj || { fail "publish Detector"; exit 1; }
publish enhancer services/Enhancer/VideoQuality.Enhancer.csproj || { fail "publish Enhancer"; exit 1; }
publish cli services/Cli/VideoQuality.Cli.csproj || { fail "publish CLI"; exit 1; }
PUBLISH_S=$(since "$t")
note "self-contained publish of Detector, Enhancer, CLI: $PUBLISH_S s"

HARNESS_IMAGE=videoquality/harness:dev CLI_IMAGE=videoquality/cli:dev-cpu
export VQ_HARNESS_IMAGE="$HARNESS_IMAGE" VQ_CLI_IMAGE="$CLI_IMAGE"
REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
for svc in Detector Enhancer; do
  name="${svc,,}"
  grpc=50051 http=8081
  [ "$svc" = Enhancer ] && grpc=50052 http=8082
  dockerfile | image "videoquality/$name:dev-cpu" -f - --target runtime-cpu-prebuilt --build-arg SERVICE="$svc" \
    --build-arg PREBUILT_BASE="$BASE_IMAGE" --build-arg GRPC_PORT=$grpc --build-arg HTTP_PORT=$http \
    --build-arg VERSION=0.0.0-dev --build-arg REVISION="$REVISION" "$CACHE/$name"
done
image "$HARNESS_IMAGE" -f "$ROOT/deploy/containers/Dockerfile.harness" --build-arg BASE="$BASE_IMAGE" "$ROOT/deploy/containers"
dockerfile | image "$CLI_IMAGE" -f - --target cli-prebuilt --build-arg CLI_BASE="$HARNESS_IMAGE" \
  --build-arg REVISION="$REVISION" "$CACHE/cli"

# ------------------------------------------------------------------------------------------------ 4. compose
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
DET_GRPC=$(free_port) DET_HTTP=$(free_port) ENH_GRPC=$(free_port) ENH_HTTP=$(free_port) MQTT=$(free_port) PROM=$(free_port)
export VQ_DETECTOR_GRPC_PORT=$DET_GRPC VQ_DETECTOR_HTTP_PORT=$DET_HTTP VQ_ENHANCER_GRPC_PORT=$ENH_GRPC \
  VQ_ENHANCER_HTTP_PORT=$ENH_HTTP VQ_MQTT_PORT=$MQTT VQ_PROMETHEUS_PORT=$PROM
"${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
STACK_UP=1
cid() { "${COMPOSE[@]}" ps -q "$1"; }
health() { docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$(cid "$1")"; }
# up SERVICE HTTP_PORT: start it (no dependencies: they are started here in order), then time /readyz on the
# published port and the engine's health status (the HEALTHCHECK runs every 15 s, so "healthy" lags readiness).
up() {
  local svc="$1" port="$2" t0=$SECONDS ready=""
  "${COMPOSE[@]}" up -d --no-deps "$svc" >>"$OUT/compose-up.log" 2>&1 || { cat "$OUT/compose-up.log" >&2; return 1; }
  for _ in $(seq 1 240); do
    if [ -z "$ready" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then ready=$(since "$t0"); fi
    [ "$(health "$svc")" = healthy ] && break
    [ "$(health "$svc")" = unhealthy ] && break
    sleep 0.5
  done
  if [ "$(health "$svc")" != healthy ]; then
    docker logs --tail 30 "$(cid "$svc")" >&2 || true
    fail "$svc is not healthy ($(health "$svc"))"
    return 1
  fi
  note "$svc: ready (/readyz) ${ready:-?} s after start, healthy (HEALTHCHECK) after $(since "$t0") s"
}
hardening() {
  docker inspect --format '{{.Config.User}} ro={{.HostConfig.ReadonlyRootfs}} capdrop={{.HostConfig.CapDrop}} {{range $p, $b := .HostConfig.PortBindings}}{{$p}}->{{range $b}}{{.HostIp}}:{{.HostPort}}{{end}} {{end}}' "$(cid "$1")"
}
"${COMPOSE[@]}" up -d --no-deps mosquitto prometheus >"$OUT/compose-up.log" 2>&1 || { cat "$OUT/compose-up.log" >&2; fail "compose up mosquitto prometheus"; exit 1; }
up detector "$DET_HTTP" || exit 1
up enhancer "$ENH_HTTP" || exit 1
for svc in detector enhancer; do
  h="$(hardening "$svc")"
  log "$svc: $h"
  case "$h" in
    "10001:10001 ro=true capdrop=[ALL] "*) ;;
    *) fail "$svc does not run hardened: $h" ;;
  esac
  if grep -q -E -- '->:|->0\.0\.0\.0:' <<<"$h"; then fail "$svc publishes a port beyond 127.0.0.1: $h"; fi
done

# ------------------------------------------------------------------------------------------------ 5. checks
# A blocky clip, the stream source's recipe (deploy/compose/stream-source/publish-sample.sh): intra-only MPEG-2 at
# the harshest quantiser, flagged on nearly every frame.
CLIP="$OUT/blocky.ts"
ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=321x181:rate=30:duration=4,scale=320:180,noise=alls=6:allf=t,format=yuv420p" \
  -c:v mpeg2video -q:v 31 -g 1 -bf 0 -f mpegts "$CLIP"

# detect: in-process and through the detector container, byte-identical JSONL.
t=$SECONDS
./vq detect "$CLIP" --out-dir "$OUT/detect-local" >"$OUT/detect-local.txt" 2>&1 || { cat "$OUT/detect-local.txt"; fail "vq detect (in-process)"; }
VQ_NO_BUILD=1 ./vq detect "$CLIP" --out-dir "$OUT/detect-container" --detector "http://127.0.0.1:$DET_GRPC" \
  >"$OUT/detect-container.txt" 2>&1 || { cat "$OUT/detect-container.txt"; fail "vq detect --detector (container)"; }
FRAMES=$(wc -l <"$OUT/detect-local/blocky.jsonl" 2>/dev/null || echo 0)
if [ "$FRAMES" -gt 0 ] && cmp -s "$OUT/detect-local/blocky.jsonl" "$OUT/detect-container/blocky.jsonl"; then
  note "vq detect --detector (container): the same JSONL as in-process, $FRAMES frames ($(since "$t") s with the CLI build)"
else
  fail "vq detect --detector gave different JSONL from in-process ($OUT/detect-{local,container}/blocky.jsonl)"
fi

# enhancer: REST enhance of a GRAY8 frame; detectionSource tells where its detection came from.
FRAME_JSON="$OUT/enhance-request.json"
printf '{"frame":{"format":"PIXEL_FORMAT_GRAY8","width":64,"height":48,"data":"%s"}}' \
  "$(head -c 3072 /dev/urandom | base64 -w0)" >"$FRAME_JSON"
source_of_enhance() {
  curl -sS -m 10 "http://127.0.0.1:$ENH_HTTP/v1/enhance" -H 'content-type: application/json' -d @"$FRAME_JSON" |
    grep -o -E '"detectionSource":"[A-Z_]+"' | cut -d'"' -f4
}
# await_source WANT SECONDS: enhance until the answer's detection source is WANT.
await_source() {
  local want="$1" limit="$2" t0=$SECONDS got=""
  while [ $((SECONDS - t0)) -lt "$limit" ]; do
    got="$(source_of_enhance || true)"
    [ "$got" = "$want" ] && { since "$t0"; return 0; }
    sleep 0.5
  done
  echo "last: ${got:-no answer}"
  return 1
}
metric() { # metric PORT REGEX: sum of the matching series
  { curl -fsS "http://127.0.0.1:$1/metrics" || true; } | { grep -E "$2" || true; } | awk '{s += $NF} END {print s + 0}'
}
# stop_service SERVICE: docker stop (the compose file's grace period, 30 s); exit code and time.
stop_service() {
  local c t0 rc
  c="$(cid "$1")"
  t0=$(date +%s%N)
  docker stop -t 30 "$c" >/dev/null
  STOP_MS=$((($(date +%s%N) - t0) / 1000000))
  rc="$(docker inspect --format '{{.State.ExitCode}}' "$c")"
  if [ "$rc" = 0 ] && [ "$STOP_MS" -lt 30000 ]; then
    note "docker stop $1: exit 0 in $STOP_MS ms (grace period 30 s)"
  else
    fail "docker stop $1: exit $rc in $STOP_MS ms"
  fi
}
if w=$(await_source DETECTION_SOURCE_REMOTE 30); then
  log "enhancer: detection from the detector container (remote)"
else
  fail "enhancer never answered with a remote detection ($w)"
fi
# Metrics (before the detector restarts, which resets its counters): Prometheus (scrapes every 5 s) must show the
# frames counted; without it, the script scrapes.
prom_value() {
  curl -fsS "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode "query=sum($1)" 2>/dev/null |
    grep -o -E '"value":\[[0-9.]+,"[0-9.e+]+"\]' | cut -d'"' -f4
}
det_frames="" enh_frames=""
for _ in $(seq 1 40); do
  det_frames="$(prom_value vq_detector_frames_processed_total || true)"
  enh_frames="$(prom_value vq_enhancer_frames_processed_total || true)"
  [ -n "$det_frames" ] && [ -n "$enh_frames" ] && [ "${det_frames%.*}" -ge "$FRAMES" ] && break
  sleep 1
done
if [ -n "$det_frames" ] && [ -n "$enh_frames" ]; then
  scraper="Prometheus (container)"
else
  scraper="the script (Prometheus gave no answer)"
  det_frames=$(metric "$DET_HTTP" '^vq_detector_frames_processed_total')
  enh_frames=$(metric "$ENH_HTTP" '^vq_enhancer_frames_processed_total')
fi
if [ "${det_frames%.*}" -ge "$FRAMES" ] && [ "${enh_frames%.*}" -gt 0 ]; then
  note "metrics scraped by $scraper: vq_detector_frames_processed_total=$det_frames (>= $FRAMES detected), vq_enhancer_frames_processed_total=$enh_frames"
else
  fail "metrics scraped by $scraper: detector frames $det_frames (want >= $FRAMES), enhancer frames $enh_frames"
fi

stop_service detector
if w=$(await_source DETECTION_SOURCE_LOCAL_FALLBACK 30); then
  note "enhancer: falls back to in-process detection ${w} s after the detector container stopped"
else
  fail "enhancer did not fall back with the detector stopped ($w)"
fi
t=$SECONDS
"${COMPOSE[@]}" start detector >>"$OUT/compose-up.log" 2>&1
if w=$(await_source DETECTION_SOURCE_REMOTE 90); then
  note "enhancer: back on the detector container $(since "$t") s after it was started again"
else
  fail "enhancer did not return to the detector after it restarted ($w)"
fi
remote=$(metric "$ENH_HTTP" '^vq_enhancer_detections_total\{.*source="remote"')
fallback=$(metric "$ENH_HTTP" '^vq_enhancer_detections_total\{.*source="local_fallback"')
if [ "${remote%.*}" -gt 0 ] && [ "${fallback%.*}" -gt 0 ]; then
  note "enhancer /metrics: vq_enhancer_detections_total remote=$remote local_fallback=$fallback"
else
  fail "enhancer /metrics: remote=$remote local_fallback=$fallback (want both > 0)"
fi

# MQTT: subscribe in the mosquitto container, publish with `vq monitor` on the host.
# await_alarm STREAM SECONDS FILE: the first event on the stream's alarm topic, in FILE (run in the background).
await_alarm() {
  docker exec "$(cid mosquitto)" mosquitto_sub -h 127.0.0.1 -t "video/quality/macroblocking/$1" -C 1 -W "$2" >"$3" 2>&1
}
await_alarm host-clip 60 "$OUT/alarm-host.json" &
sub=$!
sleep 1
VQ_NO_BUILD=1 ./vq monitor "$CLIP" --fast --mqtt "mqtt://127.0.0.1:$MQTT" --stream-id host-clip >"$OUT/monitor-host.txt" 2>&1 ||
  fail "vq monitor (host) exited non-zero (see $OUT/monitor-host.txt)"
if wait "$sub" && grep -q '"state":"raised"' "$OUT/alarm-host.json"; then
  note "vq monitor (host) -> mosquitto container: alarm raised ($(cut -c1-80 "$OUT/alarm-host.json")...)"
else
  fail "no raised alarm from vq monitor on the mosquitto container ($OUT/alarm-host.json)"
fi

# Live stream: the stream-source container (ffmpeg from Debian) publishes UDP MPEG-TS; the vq-monitor container
# reads it and raises the alarm.
t=$SECONDS
await_alarm sample-live 120 "$OUT/alarm-live.json" &
sub=$!
sleep 1
"${COMPOSE[@]}" up -d --no-deps stream-source vq-monitor >>"$OUT/compose-up.log" 2>&1 || fail "compose up stream-source vq-monitor"
if wait "$sub" && grep -q '"state":"raised"' "$OUT/alarm-live.json"; then
  note "live stream: stream-source container -> vq-monitor container -> mosquitto: alarm raised $(since "$t") s after start"
else
  docker logs --tail 20 "$(cid vq-monitor)" >&2 || true
  docker logs --tail 20 "$(cid stream-source)" >&2 || true
  fail "no raised alarm from the vq-monitor container on the live stream ($OUT/alarm-live.json)"
fi
"${COMPOSE[@]}" stop -t 5 vq-monitor stream-source >/dev/null 2>&1 || true

# Stop both services as the engine stops them.
if [ -z "${VQ_CONTAINERS_KEEP:-}" ]; then
  stop_service enhancer
  stop_service detector
fi

{
  echo "# Container smoke ($(date -u +%FT%TZ), $(nproc) cores)"
  echo
  printf -- '- %s\n' "${SUMMARY[@]}"
  echo "- total: $(since "$START") s"
} >"$OUT/summary.md"
if [ -n "${VQ_CONTAINERS_KEEP:-}" ]; then
  log "left running (VQ_CONTAINERS_KEEP): detector gRPC 127.0.0.1:$DET_GRPC HTTP :$DET_HTTP, enhancer :$ENH_GRPC/:$ENH_HTTP, MQTT :$MQTT, Prometheus :$PROM"
fi
if [ "$failed" -ne 0 ]; then
  log "FAILED after $(since "$START") s (logs in $OUT)"
  exit 1
fi
log "passed in $(since "$START") s (summary: $OUT/summary.md)"
