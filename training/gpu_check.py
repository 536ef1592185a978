"""Detector on a GPU: do the shipped ONNX graphs run on ONNX Runtime's CUDA / TensorRT providers with the golden
outputs, and how fast? Meant for a machine with an NVIDIA GPU and a GPU build of onnxruntime (and PyTorch with
CUDA for the PyTorch-path numbers); never part of CI.

    python3 training/gpu_check.py [--models models] [--version 2.0.0] [--checkpoint det.pt] [--out DIR]

For each available provider (TensorRT, CUDA, CPU) it runs model.onnx (features, luma, state) and full.onnx (luma,
prev_luma, state) on every golden case and reports the largest difference from the golden outputs, then times
batch-1 and batch-8 runs at 640x360 and 1280x720. With --checkpoint it also times the PyTorch model on CUDA.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def golden(d: Path):
    cases = json.loads((d / "golden" / "cases.json").read_text())["cases"]
    for c in cases:
        f32 = lambda s: np.fromfile(d / "golden" / s["file"], "<f4").reshape(s["shape"])
        h, w = c["padded"]
        pad = lambda name: np.pad(np.fromfile(d / "golden" / name, np.uint8).reshape(c["height"], c["width"]),
                                  ((0, h - c["height"]), (0, w - c["width"])), mode="edge").astype(np.float32)[None, None] / 255.0
        yield c["name"], {"features": f32(c["features"]), "luma": pad(c["luma"]), "prev_luma": pad(c["prev_luma"]),
                          "state": f32(c["state"])}, {k: f32(v) for k, v in c["outputs"].items()}


def timeit(fn, n=50):
    for _ in range(5):
        fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    ap.add_argument("--version", default="2.0.0")
    ap.add_argument("--checkpoint", type=Path)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    import onnxruntime as ort
    d = a.models / "detector" / a.version
    m = json.loads((d / "manifest.json").read_text())
    report = {"onnxruntime": ort.__version__, "available": ort.get_available_providers(), "runs": []}
    print("onnxruntime", ort.__version__, report["available"], flush=True)
    wanted = [p for p in ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider") if p in report["available"]]
    ch = m["recurrent"]["channels"]
    for prov in wanted:
        for graph, names in (("model.onnx", ("features", "luma", "state")), ("full.onnx", ("luma", "prev_luma", "state"))):
            opts = [{"trt_fp16_enable": False}] if prov == "TensorrtExecutionProvider" else [{}]
            try:
                s = ort.InferenceSession(str(d / graph), providers=[prov], provider_options=opts)
            except Exception as e:  # provider present in the build but not usable here (missing CUDA/TensorRT libs)
                report["runs"].append({"provider": prov, "graph": graph, "error": str(e)[:300]})
                print(prov, graph, "FAILED:", str(e)[:300], flush=True)
                continue
            used = s.get_providers()
            worst = 0.0
            for name, inputs, outputs in golden(d):
                got = s.run(None, {k: inputs[k] for k in names})
                for (k, want), have in zip(outputs.items(), got):
                    worst = max(worst, float(np.abs(want - have).max()))
            row = {"provider": prov, "graph": graph, "session_providers": used, "max_abs_diff_vs_golden": worst}
            for (h, w) in ((360, 640), (720, 1280)):
                for n in (1, 8):
                    feed = {"features": np.random.rand(n, 50, h // 8, w // 8).astype(np.float32),
                            "luma": np.random.rand(n, 1, h, w).astype(np.float32),
                            "prev_luma": np.random.rand(n, 1, h, w).astype(np.float32),
                            "state": np.zeros((n, ch, h // 8, w // 8), np.float32)}
                    ms = timeit(lambda: s.run(None, {k: feed[k] for k in names}))
                    row["%dx%d_batch%d_ms" % (w, h, n)] = round(ms, 3)
                    row["%dx%d_batch%d_frames_per_s" % (w, h, n)] = round(1000 * n / ms, 1)
            report["runs"].append(row)
            print(json.dumps(row), flush=True)
    if a.checkpoint:
        import torch
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from vqtrain.models import Detector
        net = Detector()
        net.load_state_dict(torch.load(a.checkpoint, map_location="cpu")["state"])
        net = net.cuda().eval()
        for (h, w) in ((360, 640), (720, 1280)):
            for n in (1, 8):
                x = torch.rand(n, 1, h, w, device="cuda")
                st = Detector.zero_state(x)
                with torch.no_grad():
                    def run():
                        net(x, x, st)
                        torch.cuda.synchronize()
                    ms = timeit(run)
                report.setdefault("pytorch_cuda", {})["%dx%d_batch%d_ms" % (w, h, n)] = round(ms, 3)
        print(json.dumps(report["pytorch_cuda"]), flush=True)
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "gpu_check.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
