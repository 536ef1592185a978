#!/usr/bin/env bash
# Publishes a looped, impaired sample clip over RTSP (and a UDP MPEG-TS copy) for the local harness.
# 1. Makes a 10 s clip once: a moving synthetic scene with grain, encoded as intra-only MPEG-2 at the harshest
#    quantiser (macroblocking that the detector flags on nearly every frame, so `vq monitor` raises its alarm;
#    the earlier 640x360 q 28 GOP-12 clip was flagged on a few isolated frames only, never long enough to alarm).
# 2. Streams it in real time, forever, re-encoded to H.264 for RTSP with no deblocking at a high QP, so the
#    blocking survives the transport encode; the UDP copy carries the MPEG-2 stream itself.
#    RTSP_URL set to "" publishes the UDP copy only (deploy/containers/smoke.sh: no RTSP server image there).
# 3. NOISE=N (default 0 = off) corrupts about one byte in N of each encoded packet (ffmpeg's noise bitstream
#    filter) for transmission-style damage on top of the compression blocking.
set -euo pipefail

RTSP_URL="${RTSP_URL-rtsp://mediamtx:8554/impaired}"  # set and empty: no RTSP output (UDP only)
UDP_URL="${UDP_URL:-}"
CLIP="${CLIP:-/tmp/impaired.ts}"
SIZE="${SIZE:-320x180}"
QSCALE="${QSCALE:-31}"
GOP="${GOP:-1}"
NOISE="${NOISE:-0}"

if [ ! -s "$CLIP" ]; then
  width="${SIZE%x*}" height="${SIZE#*x}"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=$((width + 1))x$((height + 1)):rate=30:duration=10,scale=${SIZE/x/:},noise=alls=6:allf=t,format=yuv420p" \
    -c:v mpeg2video -q:v "$QSCALE" -g "$GOP" -bf 0 -f mpegts "$CLIP"
fi

damage=()
if [ "$NOISE" -gt 0 ]; then
  damage=(-bsf:v "noise=amount=${NOISE}")
fi
outputs=()
if [ -n "$RTSP_URL" ]; then
  outputs+=(-map 0:v -c:v libx264 -preset veryfast -tune zerolatency -qp 40 -x264-params no-deblock=1
    -g 30 "${damage[@]}" -f rtsp -rtsp_transport tcp "$RTSP_URL")
fi
if [ -n "$UDP_URL" ]; then
  outputs+=(-map 0:v -c:v copy "${damage[@]}" -f mpegts "$UDP_URL")
fi

[ ${#outputs[@]} -gt 0 ] || { echo "publish-sample: neither RTSP_URL nor UDP_URL is set" >&2; exit 2; }

# Wait for the RTSP server, then publish; on failure retry (the server may restart).
while true; do
  ffmpeg -hide_banner -loglevel warning -re -stream_loop -1 -i "$CLIP" "${outputs[@]}" || true
  sleep 2
done
