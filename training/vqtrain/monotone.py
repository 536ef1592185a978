"""Is severity monotone in how strongly and how much of the frame is damaged? Two controlled ladders on held-out
photos (the test collection), each source run through every rung:

  strength   MPEG-2 at q 2..31 and H.264 without deblocking at QP 24..51 (stronger quantisation, more blocking)
  extent     a lost region concealed as grey from frame 10 on, covering 1..360 macroblocks (more of the frame)

    /usr/bin/python3 -m vqtrain.monotone --detector det_cal.pt --images IMG... --work /tmp/mono [--json out.json]

Reports, per ladder, the mean severity and the mean ground-truth damaged share (vqbench `compute_gt`) per rung, and
Spearman's rho between rung and severity per source (then averaged) and pooled over all sources.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from . import bench, damage, infer, sources, variants, y4m

STRENGTH = {"mpeg2": [2, 4, 6, 8, 10, 13, 16, 20, 25, 31], "h264_nodeblock": [24, 28, 32, 36, 40, 44, 48, 51]}
EXTENT = [1, 2, 4, 8, 16, 32, 64, 128, 240, 360]   # macroblocks of a 640x360 frame (40x22.5 of them)
ONSET = 10


def _rho(x, y) -> float | None:
    return bench.module().spearman(np.asarray(x, float), np.asarray(y, float))


def strength(model, src: str, work: Path) -> dict[str, list[tuple[int, float, float]]]:
    vq = bench.module()
    sl = vq.load_luma(src)
    out = {}
    for codec, rungs in STRENGTH.items():
        rows = []
        for q in rungs:
            p = {"q": q, "g": 12} if codec == "mpeg2" else {"qp": q, "deblock": False, "keyint": 30}
            bits = variants.encode("mpeg2" if codec == "mpeg2" else "h264", p, src, str(work / ("s_%s_%d" % (codec, q))))
            dist = str(work / "dist.y4m")
            variants.decode(bits, dist)
            os.remove(bits)
            d = vq.load_luma(dist)
            sev, _ = infer.detect_frames(model, d)
            g = vq.compute_gt(d, sl)
            rows.append((q, float(sev.mean()), float(g["frac"].mean())))
        out[codec] = rows
    return out


def extent(model, src: str, work: Path) -> list[tuple[int, float, float]]:
    vq = bench.module()
    carrier = variants.encode("h264", {"crf": 16, "keyint": 250}, src, str(work / "carrier"))
    ref_p = str(work / "ref.y4m")
    variants.decode(carrier, ref_p)
    ry, ru, rv, hdr = y4m.read(ref_p)
    T, H, W = ry.shape
    cols = W // 16
    rows = []
    for mbs in EXTENT:
        n_rows = -(-mbs // cols)
        w = min(mbs, cols) * 16
        h = min(n_rows * 16, H - 64)
        ev = {"t0": ONSET, "dur": T, "rect": [32, (W - w) // 2, h, w], "fill": "grey", "shift": [0, 0]}
        dy, _, _ = damage.conceal(ry, ru, rv, {"events": [ev]}, np.random.default_rng(0))
        sev, _ = infer.detect_frames(model, dy)
        g = vq.compute_gt(dy, ry, ry)
        rows.append((mbs, float(sev[ONSET:].mean()), float(g["frac"][ONSET:].mean())))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detector", type=Path, required=True)
    ap.add_argument("--images", nargs="+", required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = infer.load_detector(a.detector)
    a.work.mkdir(parents=True, exist_ok=True)
    res = {"strength": {}, "extent": []}
    for i, img in enumerate(a.images):
        src = str(a.work / ("src%d.y4m" % i))
        sources.make({"kind": "photo", "image": img}, src, 640, 360, a.frames, 1000 + i)
        for codec, rows in strength(model, src, a.work).items():
            res["strength"].setdefault(codec, []).append(rows)
        res["extent"].append(extent(model, src, a.work))
    summary = {}
    for name, per_src in [("strength/" + c, v) for c, v in res["strength"].items()] + [("extent", res["extent"])]:
        arr = np.array(per_src)                      # [sources, rungs, 3]
        rhos = [_rho(s[:, 0], s[:, 1]) for s in arr]
        summary[name] = {"rungs": arr[0, :, 0].tolist(), "severity": arr[:, :, 1].mean(0).round(4).tolist(),
                         "gt_share": arr[:, :, 2].mean(0).round(4).tolist(),
                         "rho_per_source_mean": round(float(np.mean([r for r in rhos if r is not None])), 4),
                         "rho_pooled": round(float(_rho(arr[:, :, 0].ravel(), arr[:, :, 1].ravel())), 4),
                         "rho_gt_share_vs_severity": round(float(_rho(arr[:, :, 2].ravel(), arr[:, :, 1].ravel())), 4),
                         "sources": len(arr)}
    print(json.dumps(summary, indent=1))
    if a.json:
        a.json.write_text(json.dumps({"summary": summary, "raw": res}, indent=1) + "\n")
    shutil.rmtree(a.work, ignore_errors=True)


if __name__ == "__main__":
    main()
