"""The evaluation prediction path: run the trained models (PyTorch) over a vqbench dataset and write what
vqbench scores — detector JSONL predictions and enhanced y4m clips.

    /usr/bin/python3 -m vqtrain.infer detect  --data DATA --detector det.pt --out PREDDIR
    /usr/bin/python3 -m vqtrain.infer enhance --data DATA --detector det.pt --enhancer enh.pt --out ENHDIR
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import postprocess, y4m
from .dataset import manifest
from .models import BlockEnhancer, Detector, Enhancer


def load_detector(path: Path) -> Detector:
    """A detector from a training checkpoint (.pt), or from an exported model: its folder or its full.onnx, whose
    initializers are the PyTorch state dict (so a shipped model is evaluated without its training checkpoint)."""
    m = Detector()
    path = Path(path)
    if path.is_dir() or path.suffix == ".onnx":
        import onnx
        from onnx import numpy_helper
        g = onnx.load(str(path / "full.onnx" if path.is_dir() else path)).graph
        init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in g.initializer}
        m.load_state_dict({k: init[k] for k in m.state_dict()})
    else:
        m.load_state_dict(torch.load(path)["state"])
    return m.eval()


def load_enhancer(path: Path) -> torch.nn.Module:
    """A trained enhancer: a checkpoint (.pt, its field `arch` names an `Enhancer.ARCHS` width or a `BlockEnhancer`
    profile `block_fast`/`block_quality`), or an exported 1.x model (its folder or model.onnx, whose initializers are
    the PyTorch state dict)."""
    path = Path(path)
    if path.is_dir() or path.suffix == ".onnx":
        import onnx
        from onnx import numpy_helper
        g = onnx.load(str(path / "model.onnx" if path.is_dir() else path)).graph
        init = {i.name.removeprefix("enh."): torch.from_numpy(numpy_helper.to_array(i).copy()) for i in g.initializer}
        return _full_resolution(init)
    ck = torch.load(path)
    arch, state = ck.get("arch", "v1"), ck["state"]
    if not arch.startswith("block_"):
        return _full_resolution(state)
    m = build_enhancer(arch)
    m.load_state_dict(state)
    return m.eval()


def _full_resolution(weights: dict[str, torch.Tensor]) -> Enhancer:
    """An `Enhancer` of the widths its weights have (so a checkpoint loads whatever ARCHS calls its name today); extra
    entries (an exported graph's other initializers) are ignored."""
    m = Enhancer(ch=weights["c1.weight"].shape[0], mid=weights["c4.weight"].shape[0])
    m.load_state_dict({k: weights[k] for k in m.state_dict()})
    return m.eval()


def build_enhancer(arch: str) -> torch.nn.Module:
    return BlockEnhancer.profile(arch.removeprefix("block_")) if arch.startswith("block_") else Enhancer.arch(arch)


def detect_frames(model: Detector, luma: np.ndarray, stride: int = 8):
    """luma [T,H,W] uint8 of one stream, detected in order as a stream (the previous frame and the recurrent state
    are the history) -> severity [T], block probs [T,2,R,C]."""
    y = torch.from_numpy(np.stack([postprocess.pad_to(f, stride) for f in luma])).float().unsqueeze(1) / 255.0
    state = Detector.zero_state(y[:1])
    sev, probs = [], []
    with torch.no_grad():
        for t in range(len(y)):
            s, p, state = model(y[t:t + 1], y[t - 1:t] if t else y[:1], state)
            sev.append(s[:, 0])
            probs.append(p)
    return torch.cat(sev).numpy(), torch.cat(probs).numpy()


def predict(data: Path, model: Detector, out: Path, pp: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    from . import bench
    vq = bench.module()
    for c in manifest(data)["clips"]:
        luma = vq.load_luma(str(data / c["dist"]))
        sev, probs = detect_frames(model, luma)
        with open(out / (c["clip"] + ".jsonl"), "w") as f:
            for i in range(len(luma)):
                r = postprocess.frame_result(i, float(sev[i]), probs[i], luma.shape[1], luma.shape[2], pp)
                f.write(postprocess.jsonl_line(r) + "\n")


def repair_mask(probs: np.ndarray, pp: dict, height: int, width: int, dilate: int) -> np.ndarray:
    """Pixels to repair with the model: blocks flagged as compression (not transmission), dilated by `dilate`
    blocks so both sides of a flagged block's boundary are repaired."""
    comp = (probs[0] >= pp["mask_threshold"][0]) & (probs[1] < pp["mask_threshold"][1])
    m = torch.from_numpy(comp.astype(np.float32))[None, None]
    if dilate:
        m = F.max_pool2d(m, 2 * dilate + 1, 1, dilate)
    m = m[0, 0].numpy() > 0
    return np.repeat(np.repeat(m, 8, 0), 8, 1)[:height, :width]


def enhance_frame(model: Enhancer, f: np.ndarray, mask: np.ndarray, tile: int = 64, margin: int = 8) -> np.ndarray:
    """Run the model only on the tile x tile cells that contain repair pixels, each with `margin` pixels of context
    (edge-replicated outside the frame), and return the frame with the mask's pixels replaced."""
    h, w = f.shape
    cells = [(y, x) for y in range(0, h, tile) for x in range(0, w, tile) if mask[y:y + tile, x:x + tile].any()]
    if not cells:
        return f
    big = np.pad(f, ((margin, margin + -h % tile), (margin, margin + -w % tile)), mode="edge")
    batch = np.stack([big[y:y + tile + 2 * margin, x:x + tile + 2 * margin] for y, x in cells])
    with torch.no_grad():
        r = model(torch.from_numpy(batch).float().unsqueeze(1) / 255.0)[:, 0].numpy()
    r = np.clip(np.rint(r * 255.0), 0, 255).astype(np.uint8)[:, margin:margin + tile, margin:margin + tile]
    out = np.pad(f, ((0, -h % tile), (0, -w % tile)), mode="edge")
    m = np.pad(mask, ((0, -h % tile), (0, -w % tile)))
    for (y, x), t in zip(cells, r):
        sl = np.s_[y:y + tile, x:x + tile]
        out[sl] = np.where(m[sl], t, out[sl])
    return out[:h, :w]


def enhance(data: Path, det: Detector | None, enh: Enhancer, out: Path, pp: dict, dilate: int = 1) -> dict:
    """Enhanced clips for score-enhance. det=None repairs where the ground truth marks compression (an upper
    bound for development, not a result)."""
    out.mkdir(parents=True, exist_ok=True)
    repaired = {}
    for c in manifest(data)["clips"]:
        y, u, v, hdr = y4m.read(str(data / c["dist"]))
        if det is None:
            g = np.load(data / c["gt"])
            probs = np.stack([g["comp_mask"], g["trans_mask"]], 1).astype(np.float32)
        else:
            sev, probs = detect_frames(det, y)
        new = y.copy()
        share = 0.0
        for i in range(len(y)):
            m = repair_mask(probs[i], pp, y.shape[1], y.shape[2], dilate)
            new[i] = enhance_frame(enh, y[i], m)
            share += m.mean() / len(y)
        repaired[c["clip"]] = round(float(share), 4)
        y4m.write(str(out / (c["clip"] + ".y4m")), new, u, v, hdr)
    return repaired


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["detect", "enhance"])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--detector", type=Path, help="checkpoint; for enhance without it, ground-truth masks")
    ap.add_argument("--enhancer", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--postprocess", type=str, help="JSON object overriding the post-processing parameters")
    ap.add_argument("--dilate", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(2)
    pp = dict(postprocess.DEFAULT, **(json.loads(a.postprocess) if a.postprocess else {}))
    det = load_detector(a.detector) if a.detector else None
    if a.what == "detect":
        predict(a.data, det, a.out, pp)
    else:
        print(json.dumps(enhance(a.data, det, load_enhancer(a.enhancer), a.out, pp, a.dilate)))


if __name__ == "__main__":
    main()
