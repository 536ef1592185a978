#!/usr/bin/python3
"""Stream a video file's frames to the VideoQuality detector (Detector.DetectStream) and print each frame's verdict.

    /usr/bin/python3 examples/python/detect_stream.py clip.mp4 --target 127.0.0.1:50051

ffmpeg decodes the video to raw GRAY8 (or I420) frames through a pipe; the gRPC stubs are generated from the repo's
protos/ at start (python3-grpc-tools) into a temporary folder, or into --stubs DIR to keep them. One line per answered
frame: sequence, timestamp, severity, class, flagged blocks; a summary at the end. Exit code 0 when every frame sent
was answered (lossless mode, the default, never drops), 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]

# google/api/annotations.proto, which the protos import for their REST routes (google.api.http), is not shipped by
# Debian's python3-grpc-tools. This stand-in declares just that option, with the fields the protos use; options do not
# change the wire format, so the generated messages and stubs are the same as with the googleapis sources.
HTTP_ANNOTATION_STANDIN = """syntax = "proto3";
package google.api;
import "google/protobuf/descriptor.proto";
message HttpRule {
  string selector = 1;
  oneof pattern { string get = 2; string put = 3; string post = 4; string delete = 5; string patch = 6; }
  string body = 7;
}
extend google.protobuf.MethodOptions { HttpRule http = 72295728; }
"""


def generate_stubs(protos: Path, out: Path) -> None:
    """Compiles protos/videoquality/v1/*.proto to Python messages and gRPC stubs under `out` (importable from it)."""
    import grpc_tools
    from grpc_tools import protoc

    standin = out / "_include"
    (standin / "google" / "api").mkdir(parents=True, exist_ok=True)
    (standin / "google" / "api" / "annotations.proto").write_text(HTTP_ANNOTATION_STANDIN)
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    sources = sorted(str(p) for p in (protos / "videoquality" / "v1").glob("*.proto"))
    args = ["protoc", f"-I{protos}", f"-I{standin}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}",
            *sources, str(standin / "google" / "api" / "annotations.proto")]
    if protoc.main(args) != 0:
        raise SystemExit(f"protoc failed on {protos}")
    sys.path.insert(0, str(out))


def probe(video: str) -> tuple[int, int, float]:
    """Width, height and frame rate of the first video stream (ffprobe)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,avg_frame_rate",
         "-of", "json", video], check=True, capture_output=True, text=True).stdout
    stream = json.loads(out)["streams"][0]
    num, _, den = stream.get("avg_frame_rate", "0/1").partition("/")
    fps = float(num) / float(den or 1) if float(den or 1) else 0.0
    return int(stream["width"]), int(stream["height"]), fps or 25.0


def raw_frames(video: str, width: int, height: int, pix_fmt: str, max_frames: int) -> Iterator[bytes]:
    """Decoded frames, each exactly one frame of raw `pix_fmt` bytes, read from ffmpeg's stdout."""
    size = width * height if pix_fmt == "gray" else width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", video, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", pix_fmt]
    if max_frames > 0:
        cmd += ["-frames:v", str(max_frames)]
    with subprocess.Popen([*cmd, "-"], stdout=subprocess.PIPE) as ffmpeg:
        assert ffmpeg.stdout is not None
        while True:
            frame = ffmpeg.stdout.read(size)
            if len(frame) < size:
                break
            yield frame
    if ffmpeg.returncode not in (0, None):
        raise SystemExit(f"ffmpeg failed with exit code {ffmpeg.returncode}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", help="video file (anything ffmpeg reads)")
    parser.add_argument("--target", default="127.0.0.1:50051", help="detector gRPC address host:port (default %(default)s)")
    parser.add_argument("--format", choices=["gray8", "i420"], default="gray8", help="raw frame format sent (default %(default)s)")
    parser.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0 = all)")
    parser.add_argument("--stream-id", default="", help="stream id (default: the file's stem)")
    parser.add_argument("--mode", choices=["lossless", "live"], default="lossless", help="stream mode (live may drop frames under load)")
    parser.add_argument("--api-key", default=os.environ.get("VQ_API_KEY"), help="x-api-key for a detector with API keys (env VQ_API_KEY)")
    parser.add_argument("--stubs", type=Path, help="generate the stubs here and keep them (default: a temporary folder)")
    parser.add_argument("--protos", type=Path, default=REPO / "protos", help="protos folder (default %(default)s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vq-stubs-") as tmp:
        stubs = args.stubs or Path(tmp)
        stubs.mkdir(parents=True, exist_ok=True)
        generate_stubs(args.protos, stubs)
        return run(args)


def run(args: argparse.Namespace) -> int:
    import grpc
    from videoquality.v1 import detector_pb2, detector_pb2_grpc, frame_pb2

    width, height, fps = probe(args.video)
    pix_fmt, pixel_format = ("gray", frame_pb2.PIXEL_FORMAT_GRAY8) if args.format == "gray8" else ("yuv420p", frame_pb2.PIXEL_FORMAT_I420)
    stream_id = args.stream_id or Path(args.video).stem
    mode = frame_pb2.STREAM_MODE_LOSSLESS if args.mode == "lossless" else frame_pb2.STREAM_MODE_LIVE
    sent = 0

    def requests() -> Iterator[detector_pb2.DetectStreamRequest]:
        nonlocal sent
        yield detector_pb2.DetectStreamRequest(config=frame_pb2.StreamConfig(stream_id=stream_id, mode=mode))
        for seq, data in enumerate(raw_frames(args.video, width, height, pix_fmt, args.max_frames)):
            sent += 1
            yield detector_pb2.DetectStreamRequest(frame=frame_pb2.Frame(
                format=pixel_format, width=width, height=height, data=data,
                sequence=seq, timestamp_us=round(seq * 1_000_000 / fps)))

    metadata = [("x-api-key", args.api_key)] if args.api_key else None
    classes: dict[str, int] = {}
    severities: list[float] = []
    with grpc.insecure_channel(args.target, options=[("grpc.max_send_message_length", 64 << 20)]) as channel:
        stub = detector_pb2_grpc.DetectorStub(channel)
        try:
            for r in stub.DetectStream(requests(), metadata=metadata):
                name = detector_pb2.DamageClass.Name(r.damage_class).removeprefix("DAMAGE_CLASS_").lower()
                classes[name] = classes.get(name, 0) + 1
                severities.append(r.severity)
                print(f"frame {r.sequence:5d}  t={r.timestamp_us / 1e6:8.3f}s  severity={r.severity:.3f}  class={name:<12}"
                      f"  flagged={r.mask.flagged}/{r.mask.rows * r.mask.cols}  model={r.model.name} {r.model.version} ({r.model.execution_provider})")
        except grpc.RpcError as e:
            print(f"detector error: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1

    answered = len(severities)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(classes.items()))
    print(f"{stream_id}: {answered} of {sent} frames answered ({width}x{height} {args.format}); "
          f"max severity {max(severities, default=0):.3f}; classes: {summary or 'none'}")
    return 0 if answered == sent and sent > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
