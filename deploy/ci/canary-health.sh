#!/usr/bin/env bash
# Watches one track (canary or stable) of a video-quality release for a while and fails when it is unhealthy:
# a pod not Ready, a container restart, or (with --prometheus) a frame error ratio above the limit.
# Used by .github/workflows/cd.yml between the canary and the promotion, and after the promotion; a failure
# there triggers `helm rollback`.
#
#   deploy/ci/canary-health.sh --namespace NS --release NAME --track canary|stable [--duration 300]
#       [--interval 15] [--prometheus http://localhost:9090] [--max-error-ratio 0.01]
#
# Needs kubectl (pointed at the cluster), jq, and curl when --prometheus is given.
set -euo pipefail

NAMESPACE="" RELEASE="" TRACK="canary" DURATION=300 INTERVAL=15 PROMETHEUS="" MAX_ERROR_RATIO=0.01

while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) NAMESPACE="$2"; shift ;;
    --release) RELEASE="$2"; shift ;;
    --track) TRACK="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --interval) INTERVAL="$2"; shift ;;
    --prometheus) PROMETHEUS="$2"; shift ;;
    --max-error-ratio) MAX_ERROR_RATIO="$2"; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "canary-health: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$NAMESPACE" ] || [ -z "$RELEASE" ]; then
  echo "canary-health: --namespace and --release are required" >&2
  exit 2
fi

selector="app.kubernetes.io/instance=${RELEASE},videoquality.io/track=${TRACK}"
log() { printf 'canary-health [%s/%s %s]: %s\n' "$NAMESPACE" "$RELEASE" "$TRACK" "$*"; }

# restarts: total container restarts of the track's pods; ready: "ready/total".
pod_state() {
  kubectl -n "$NAMESPACE" get pods -l "$selector" -o json |
    jq -r '[.items[] | {ready: ([.status.conditions[]? | select(.type == "Ready" and .status == "True")] | length > 0),
                        restarts: ([.status.containerStatuses[]?.restartCount] | add // 0)}]
           | "\(map(select(.ready)) | length)/\(length) \(map(.restarts) | add // 0)"'
}

error_ratio() {
  local q
  local sel="namespace=\"${NAMESPACE}\",helm_release=\"${RELEASE}\",track=\"${TRACK}\""
  local failed="sum(rate({__name__=~\"vq_(detector|enhancer)_frames_failed_total\",${sel}}[2m]))"
  local processed="sum(rate({__name__=~\"vq_(detector|enhancer)_frames_processed_total\",${sel}}[2m]))"
  q="(${failed} or vector(0)) / clamp_min((${processed} or vector(0)) + (${failed} or vector(0)), 1e-9)"
  curl -fsS --max-time 10 "${PROMETHEUS%/}/api/v1/query" --data-urlencode "query=${q}" |
    jq -r '.data.result[0].value[1] // "0"'
}

read -r start_ready start_restarts <<<"$(pod_state)"
if [ "${start_ready#*/}" = "0" ]; then
  log "no pods match ${selector}"
  exit 1
fi
log "watching ${start_ready} ready pods for ${DURATION}s (restarts at start: ${start_restarts})"

deadline=$((SECONDS + DURATION))
while [ "$SECONDS" -lt "$deadline" ]; do
  read -r ready restarts <<<"$(pod_state)"
  if [ "${ready%/*}" != "${ready#*/}" ]; then
    log "FAIL: only ${ready} pods ready"
    exit 1
  fi
  if [ "$restarts" -gt "$start_restarts" ]; then
    log "FAIL: containers restarted (${start_restarts} -> ${restarts})"
    exit 1
  fi
  if [ -n "$PROMETHEUS" ]; then
    ratio="$(error_ratio)"
    if awk -v r="$ratio" -v m="$MAX_ERROR_RATIO" 'BEGIN { exit !(r > m) }'; then
      log "FAIL: frame error ratio ${ratio} > ${MAX_ERROR_RATIO}"
      exit 1
    fi
    log "ok: ${ready} ready, ${restarts} restarts, error ratio ${ratio}"
  else
    log "ok: ${ready} ready, ${restarts} restarts"
  fi
  sleep "$INTERVAL"
done
log "healthy for ${DURATION}s"
