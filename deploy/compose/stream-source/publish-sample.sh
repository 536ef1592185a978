#!/usr/bin/env bash
# Publishes a looped, impaired sample clip over RTSP (and a UDP MPEG-TS copy) for the local harness.
# 1. Makes a 10 s clip once: a moving synthetic scene encoded as MPEG-2 at a harsh quantiser (macroblocking).
# 2. Streams it in real time, forever, re-encoded to H.264 for RTSP with no deblocking at a high QP, so the
#    blocking survives the transport encode; the UDP copy carries the MPEG-2 stream itself.
# 3. NOISE=N (default 0 = off) corrupts about one byte in N of each encoded packet (ffmpeg's noise bitstream
#    filter) for transmission-style damage on top of the compression blocking.
set -euo pipefail

RTSP_URL="${RTSP_URL:-rtsp://mediamtx:8554/impaired}"
UDP_URL="${UDP_URL:-}"
CLIP="${CLIP:-/tmp/impaired.ts}"
SIZE="${SIZE:-640x360}"
QSCALE="${QSCALE:-28}"
NOISE="${NOISE:-0}"

if [ ! -s "$CLIP" ]; then
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=${SIZE}:rate=30:duration=10,format=yuv420p" \
    -c:v mpeg2video -q:v "$QSCALE" -g 12 -bf 0 -f mpegts "$CLIP"
fi

damage=()
if [ "$NOISE" -gt 0 ]; then
  damage=(-bsf:v "noise=amount=${NOISE}")
fi
outputs=(-map 0:v -c:v libx264 -preset veryfast -tune zerolatency -qp 40 -x264-params no-deblock=1
  -g 30 "${damage[@]}" -f rtsp -rtsp_transport tcp "$RTSP_URL")
if [ -n "$UDP_URL" ]; then
  outputs+=(-map 0:v -c:v copy "${damage[@]}" -f mpegts "$UDP_URL")
fi

# Wait for the RTSP server, then publish; on failure retry (the server may restart).
while true; do
  ffmpeg -hide_banner -loglevel warning -re -stream_loop -1 -i "$CLIP" "${outputs[@]}" || true
  sleep 2
done
