"""Export trained models to the registry: ONNX (opset 17, dynamic N/H/W), golden vectors, manifest, model card.

    /usr/bin/python3 -m vqtrain.export detector --checkpoint det.pt --version 1.0.0 --golden-data DATA \
        --metrics metrics.json --models ../models
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import torch

from . import bench, postprocess
from .dataset import manifest
from .infer import load_detector, load_enhancer
from .models import N_FEATURES, STATE, BlockEnhancer, Detector, DetectorHead, Enhancer, EnhancerAnyOrigin, block_features, conv_macs, grid_channels

OPSET = 17
STATE_IN = {"name": "state", "dtype": "float32", "shape": ["N", STATE, "H/8", "W/8"],
            "note": "the previous frame's next_state of the same stream; zeros when there is no history"}
FRAME_INPUTS = [{"name": "luma", "dtype": "float32", "shape": ["N", 1, "H", "W"], "scale": "Y/255"},
                {"name": "prev_luma", "dtype": "float32", "shape": ["N", 1, "H", "W"], "scale": "Y/255",
                 "note": "previous decoded frame of the same stream; the frame itself when there is no history"},
                STATE_IN]
FEATURES = {"name": "blockstats", "version": 1, "channels": N_FEATURES, "block": 8,
            "definition": "training/vqtrain/models.py block_features; docs/MODEL_CONTRACT.md"}
DET_IO = dict(
    inputs=[{"name": "features", "dtype": "float32", "shape": ["N", N_FEATURES, "H/8", "W/8"],
             "computed_from": ["luma", "prev_luma"], "features": "blockstats/1"},
            {"name": "luma", "dtype": "float32", "shape": ["N", 1, "H", "W"], "scale": "Y/255"},
            STATE_IN],
    outputs=[{"name": "severity", "dtype": "float32", "shape": ["N", 1]},
             {"name": "block_probs", "dtype": "float32", "shape": ["N", 2, "H/8", "W/8"],
              "channels": ["compression", "transmission"]},
             {"name": "next_state", "dtype": "float32", "shape": ["N", STATE, "H/8", "W/8"],
              "note": "the state input of the stream's next frame"}])
DET_OUTPUTS = ["severity", "block_probs", "next_state"]
ENH_IO = dict(
    inputs=[{"name": "luma", "dtype": "float32", "shape": ["N", 1, "h", "w"], "scale": "Y/255",
             "note": "a tile of the luma plane, any origin and size"},
            {"name": "grid", "dtype": "float32", "shape": ["N", 2, "h", "w"],
             "note": "1 where the pixel is in the first or last column (channel 0) / row (channel 1) of an 8x8 block "
                     "of the frame's block grid, else 0"}],
    outputs=[{"name": "restored", "dtype": "float32", "shape": ["N", 1, "h", "w"], "scale": "Y/255"}])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_onnx(model: torch.nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str]) -> None:
    dyn = {n: {0: "N", 2: "R", 3: "C"} if n in ("features", "state") else {0: "N", 2: "H", 3: "W"} for n in inputs}
    if "restored" in outputs:
        dyn["restored"] = {0: "N", 2: "H", 3: "W"}
    dyn.update({n: {0: "N"} if n == "severity" else {0: "N", 2: "R", 3: "C"} for n in outputs})
    torch.onnx.export(model, args, str(path), opset_version=OPSET, input_names=inputs, output_names=outputs,
                      dynamic_axes=dyn, do_constant_folding=True)
    m = onnx.load(str(path))
    onnx.checker.check_model(m, full_check=True)


def write_f32(path: Path, a: np.ndarray) -> None:
    path.write_bytes(np.ascontiguousarray(a, "<f4").tobytes())


def pick_clip(clips: list[dict], variant: str) -> dict:
    """The first 640x360 clip of a variant (any clip of the dataset when it has none, as in smoke runs)."""
    return next((c for c in clips if c["variant"] == variant and c["width"] == 640), clips[0])


def detector_golden(model: Detector, data: Path, gdir: Path, pp: dict) -> list[dict]:
    """Real frames from a dataset, each detected as frame `frame` of a stream that saw `history` frames before it
    (from a zero state; the first history frame has itself as previous frame): a compression frame, a transmission
    frame, a frame without history (zero state, the frame as its own previous) and a crop whose sides are not
    multiples of 8 (exercises the callers' edge padding). Each case stores its history frames, the state input
    reached after them, the block features and the three outputs, so a caller can check the graph alone (state
    given) and its own stream bookkeeping (history replayed)."""
    vq = bench.module()
    clips = manifest(data)["clips"]
    cases = []
    for variant, frame, history, crop in (("mpeg2_lowrate", 5, 3, None), ("h264_sliceloss", 12, 4, None),
                                          ("clean_h264", 3, 0, None), ("h264_nodeblock", 7, 2, (117, 203))):
        c = pick_clip(clips, variant)
        luma = vq.load_luma(str(data / c["dist"]))
        frame = min(frame, len(luma) - 1)
        seq = luma[frame - history:frame + 1]
        if crop:
            seq = seq[:, :crop[0], :crop[1]]
        name = "%s_f%d%s" % (variant, frame, "_crop" if crop else "")
        h, w = seq.shape[1:]
        y = torch.from_numpy(np.stack([postprocess.pad_to(f, 8) for f in seq])).float()[:, None] / 255.0
        state = Detector.zero_state(y[:1])
        with torch.no_grad():
            for t in range(history):
                _, _, state = model(y[t:t + 1], y[max(0, t - 1):max(0, t - 1) + 1], state)
            x, p = y[-1:], y[-2:-1] if history else y[-1:]
            s, b, nxt = model(x, p, state)
            f = block_features(x, p)
        hist_files = []
        for t in range(history):
            hist_files.append("%s.h%d.u8" % (name, t))
            (gdir / hist_files[-1]).write_bytes(np.ascontiguousarray(seq[t]).tobytes())
        (gdir / (name + ".y.u8")).write_bytes(np.ascontiguousarray(seq[-1]).tobytes())
        (gdir / (name + ".prev.u8")).write_bytes(np.ascontiguousarray(seq[-2] if history else seq[-1]).tobytes())
        for k, v in (("features", f), ("state", state), ("severity", s), ("block_probs", b), ("next_state", nxt)):
            write_f32(gdir / ("%s.%s.f32" % (name, k)), v.numpy())
        exp = postprocess.frame_result(0, float(s[0, 0]), b[0].numpy(), h, w, pp)
        cases.append({"name": name, "width": w, "height": h, "luma": name + ".y.u8", "prev_luma": name + ".prev.u8",
                      "history": hist_files, "padded": [int(x.shape[2]), int(x.shape[3])],
                      "features": {"file": name + ".features.f32", "shape": list(f.shape)},
                      "state": {"file": name + ".state.f32", "shape": list(state.shape)},
                      "outputs": {k: {"file": "%s.%s.f32" % (name, k), "shape": list(v.shape)}
                                  for k, v in (("severity", s), ("block_probs", b), ("next_state", nxt))},
                      "expected": {k: exp[k] for k in ("severity", "class", "mask")}})
    return cases


def grid_at(x: torch.Tensor, y0: int, x0: int) -> torch.Tensor:
    """Block-boundary channels of a tile whose top-left pixel is (y0, x0) of the frame."""
    n, _, h, w = x.shape
    full = grid_channels(torch.zeros(1, 1, y0 + h, x0 + w))
    return full[:, :, y0:, x0:].expand(n, 2, h, w).contiguous()


def enhancer_golden(model: Enhancer, data: Path, gdir: Path) -> list[dict]:
    vq = bench.module()
    cases = []
    # The second and third tiles do not start on the block grid and have sides that are not multiples of 8.
    for variant, frame, (y0, x0, h, w) in (("mpeg2_lowrate", 4, (96, 160, 64, 96)), ("clean_h264", 2, (40, 80, 48, 48)),
                                           ("mjpeg_lowq", 3, (53, 122, 45, 71))):
        luma = vq.load_luma(str(data / pick_clip(manifest(data)["clips"], variant)["dist"]))
        tile = luma[min(frame, len(luma) - 1), y0:y0 + h, x0:x0 + w].copy()
        name = "%s_f%d_tile" % (variant, frame)
        (gdir / (name + ".y.u8")).write_bytes(tile.tobytes())
        x = torch.from_numpy(tile).float()[None, None] / 255.0
        with torch.no_grad():
            r = model.restore(x, grid_at(x, y0, x0))
        write_f32(gdir / (name + ".restored.f32"), r.numpy())
        cases.append({"name": name, "width": w, "height": h, "origin": [y0, x0], "luma": name + ".y.u8",
                      "outputs": {"restored": {"file": name + ".restored.f32", "shape": list(r.shape)}}})
    return cases


ENH2_IO = dict(
    inputs=[{"name": "luma", "dtype": "float32", "shape": ["N", 1, "h", "w"], "scale": "Y/255",
             "note": "a tile of the luma plane whose top-left pixel is on the frame's 8-px block grid; h and w multiples of 8"}],
    outputs=[{"name": "restored", "dtype": "float32", "shape": ["N", 1, "h", "w"], "scale": "Y/255"}])
DEFAULT_PROFILE = {"cpu": "fast", "gpu": "quality"}


def enhancer2_golden(models: dict[str, torch.nn.Module], data: Path, gdir: Path) -> list[dict]:
    """Per profile: tiles on the block grid (the service aligns block-domain models' tiles so), one from the frame's
    corner; full-resolution models get their block-boundary channels for the tile's origin."""
    vq = bench.module()
    cases = []
    for variant, frame, (y0, x0, h, w) in (("mpeg2_lowrate", 4, (96, 160, 64, 96)), ("clean_h264", 2, (0, 0, 48, 48)),
                                           ("mjpeg_lowq", 3, (56, 120, 40, 72))):
        luma = vq.load_luma(str(data / pick_clip(manifest(data)["clips"], variant)["dist"]))
        tile = luma[min(frame, len(luma) - 1), y0:y0 + h, x0:x0 + w].copy()
        base = "%s_f%d_tile" % (variant, frame)
        (gdir / (base + ".y.u8")).write_bytes(tile.tobytes())
        x = torch.from_numpy(tile).float()[None, None] / 255.0
        for profile, model in models.items():
            with torch.no_grad():
                r = model.restore(x, grid_at(x, y0, x0)) if isinstance(model, Enhancer) else model(x)
            write_f32(gdir / ("%s.%s.restored.f32" % (base, profile)), r.numpy())
            cases.append({"name": "%s_%s" % (base, profile), "profile": profile, "width": w, "height": h,
                          "origin": [y0, x0], "luma": base + ".y.u8",
                          "outputs": {"restored": {"file": "%s.%s.restored.f32" % (base, profile), "shape": list(r.shape)}}})
    return cases


def export_enhancer2(checkpoints: dict[str, Path], version: str, models: Path, golden_data: Path, metrics: dict,
                     training: dict) -> Path:
    """Enhancer 2.x: one ONNX file per cost profile, one manifest. Profiles share one interface: full-resolution
    `Enhancer` widths take (luma, grid) and any tile origin; `BlockEnhancer`s take luma tiles on the 8-px grid."""
    d = models / "enhancer" / version
    if d.exists():
        shutil.rmtree(d)
    (d / "golden").mkdir(parents=True)
    loaded = {name: load_enhancer(ck) for name, ck in checkpoints.items()}
    pixel = {isinstance(m, Enhancer) for m in loaded.values()}
    if len(pixel) != 1:
        raise ValueError("the profiles of one enhancer version must share one interface (all Enhancer or all BlockEnhancer)")
    pixel = pixel.pop()
    profiles = {}
    for name, model in loaded.items():
        path = d / ("%s.onnx" % name)
        if pixel:
            x = torch.rand(1, 1, 64, 64)
            export_onnx(EnhancerAnyOrigin(model).eval(), (x, grid_at(x, 3, 5)), path, ["luma", "grid"], ["restored"])
            arch, margin = dict(ch=model.ch, mid=model.mid, full_resolution=True), Enhancer.RADIUS
        else:
            export_onnx(model, (torch.rand(1, 1, 64, 96),), path, ["luma"], ["restored"])
            arch, margin = dict(ch=model.ch, layers=model.layers, head=model.head, block_domain=True), model.radius()
        macs = conv_macs(model, torch.rand(1, 1, 360, 640))
        ck = checkpoints[name]
        info = torch.load(ck, map_location="cpu").get("info", {}) if ck.suffix == ".pt" else {"exported": str(ck)}
        profiles[name] = {"file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size,
                          "context_margin": margin, "parameters": sum(p.numel() for p in model.parameters()),
                          "architecture": arch,
                          "macs": {"per_pixel": round(macs / (640 * 360), 1), "per_frame_640x360": macs},
                          "training": info}
    cases = enhancer2_golden(loaded, golden_data, d / "golden")
    (d / "golden" / "cases.json").write_text(json.dumps({"tolerance": 1e-4, "cases": cases}, indent=1) + "\n")
    first = profiles[DEFAULT_PROFILE["cpu"] if DEFAULT_PROFILE["cpu"] in profiles else next(iter(profiles))]
    man = {"name": "vq-enhancer", "kind": "enhancer", "version": version, "file": first["file"], "sha256": first["sha256"],
           "bytes": first["bytes"], "opset": OPSET, "stride": 1 if pixel else 8, **(ENH_IO if pixel else ENH2_IO),
           "context_margin": first["context_margin"], "parameters": first["parameters"], "macs": first["macs"],
           "profiles": profiles, "default_profile": {k: v for k, v in DEFAULT_PROFILE.items() if v in profiles},
           "training": training, "metrics": metrics, "created": datetime.date.today().isoformat()}
    (d / "manifest.json").write_text(json.dumps(man, indent=1) + "\n")
    return d


def export(kind: str, checkpoint: Path, version: str, models: Path, golden_data: Path, metrics: dict,
           training: dict, pp: dict) -> Path:
    d = models / kind / version
    if d.exists():
        shutil.rmtree(d)
    (d / "golden").mkdir(parents=True)
    onnx_path = d / "model.onnx"
    if kind == "detector":
        model = load_detector(checkpoint)
        x = torch.rand(1, 1, 64, 96)
        st = torch.rand(1, STATE, 8, 12) - 0.5
        # model.onnx: the learned part, from block features, luma and state (what the services run); full.onnx: the
        # whole graph from luma planes and state (for Triton and any runtime without the feature extractor).
        export_onnx(DetectorHead(model).eval(), (block_features(x, x), x, st), onnx_path, ["features", "luma", "state"],
                    DET_OUTPUTS)
        full = d / "full.onnx"
        export_onnx(model, (x, x, st), full, ["luma", "prev_luma", "state"], DET_OUTPUTS)
        f = torch.rand(1, 1, 360, 640)
        macs = conv_macs(model, f, f, Detector.zero_state(f))
        io, cases = DET_IO, detector_golden(model, golden_data, d / "golden", pp)
        extra = {"block": 8, "postprocess": pp, "features": FEATURES,
                 "recurrent": {"input": "state", "output": "next_state", "channels": STATE, "initial": 0.0,
                               "note": "per stream: the next frame's state input is this frame's next_state; zeros "
                                       "for a stream's first frame, after a size change, and for calls without a stream"},
                 "full_graph": {"file": full.name, "sha256": sha256(full), "bytes": full.stat().st_size,
                                "inputs": FRAME_INPUTS}}
        macs_info = {"per_frame_640x360": macs, "per_pixel": round(macs / (640 * 360), 1),
                     "note": "Conv/Linear multiply-accumulates (learned luma front end, block-grid network, heads); "
                             "the fixed block statistics add about 20 additions/abs per pixel (~4.6M per 640x360 frame)"}
    else:
        model = load_enhancer(checkpoint)
        x = torch.rand(1, 1, 64, 64)
        export_onnx(EnhancerAnyOrigin(model).eval(), (x, grid_at(x, 3, 5)), onnx_path, ["luma", "grid"], ["restored"])
        macs = conv_macs(model, torch.rand(1, 1, 64, 64))
        io, cases = ENH_IO, enhancer_golden(model, golden_data, d / "golden")
        extra = {"context_margin": Enhancer.RADIUS, "stride": 1}
        macs_info = {"per_pixel": round(macs / (64 * 64), 1), "per_frame_640x360": int(macs / (64 * 64) * 640 * 360)}
    (d / "golden" / "cases.json").write_text(json.dumps({"tolerance": 2e-4 if kind == "detector" else 1e-4, "state_tolerance": 2e-3, "cases": cases}, indent=1) + "\n")
    man = {"name": "vq-" + kind, "kind": kind, "version": version, "file": "model.onnx", "sha256": sha256(onnx_path),
           "bytes": onnx_path.stat().st_size, "opset": OPSET, "stride": 8, **io, **extra, "macs": macs_info,
           "parameters": sum(p.numel() for p in model.parameters()),
           "training": training, "metrics": metrics, "created": datetime.date.today().isoformat()}
    (d / "manifest.json").write_text(json.dumps(man, indent=1) + "\n")
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["detector", "enhancer"])
    ap.add_argument("--checkpoint", required=True, nargs="+",
                    help="a checkpoint; for enhancer 2.x one PROFILE=PATH per profile (fast=..., quality=...)")
    ap.add_argument("--version", required=True)
    ap.add_argument("--models", type=Path, default=bench.REPO / "models")
    ap.add_argument("--golden-data", type=Path, required=True)
    ap.add_argument("--metrics", type=Path)
    ap.add_argument("--training", type=Path)
    a = ap.parse_args()
    torch.set_num_threads(2)
    met = json.loads(a.metrics.read_text()) if a.metrics else {}
    tr = json.loads(a.training.read_text()) if a.training else {}
    if a.kind == "enhancer" and "=" in a.checkpoint[0]:
        cks = {k: Path(v) for k, v in (c.split("=", 1) for c in a.checkpoint)}
        print(export_enhancer2(cks, a.version, a.models, a.golden_data, met, tr))
    else:
        print(export(a.kind, Path(a.checkpoint[0]), a.version, a.models, a.golden_data, met, tr, dict(postprocess.DEFAULT)))


if __name__ == "__main__":
    main()
