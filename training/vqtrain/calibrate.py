"""Choose the severity offset and the post-processing thresholds on the CALIBRATION split (held-out photos and
new instances of the generators: never trained on, never a test set).

    /usr/bin/python3 -m vqtrain.calibrate --checkpoint det.pt --data /work/vq/calib --cache /work/vq/cache \
        --far 0.005 --out calib.json --apply det_cal.pt

The severity offset b is added to the severity logit inside the exported graph (severity = sigmoid(z + b)): the
offset with the highest recall whose false-alarm rate on the calibration split's clean frames is at most `--far`
at the 0.5 alarm threshold. Then the compression and transmission mask thresholds and the transmission share that
makes a frame "transmission" are chosen for 3-way class accuracy + block F1 + half the share of transmission frames
classified transmission.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from . import framecache
from .dataset import frame_labels
from .infer import load_detector
from .train_detector import run_clip


def collect(model, clips: list[framecache.Clip]):
    z, probs, cls, border, comp, trans = [], [], [], [], [], []
    for c in clips:
        zz, lg = run_clip(model, c.luma)
        cm, tm = c.masks & 1 > 0, c.masks >> 1 & 1 > 0
        cl, _, bo = frame_labels(cm, tm)
        z.append(zz); probs.append((1 / (1 + np.exp(-lg))).astype(np.float16)); cls.append(cl); border.append(bo)
        comp.append(cm); trans.append(tm)
    return z, probs, np.concatenate(cls), np.concatenate(border), comp, trans


def classify(sev, tshare, tf):
    return np.where(sev < 0.5, 0, np.where(tshare >= tf, 2, 1))


def calibrate(model, clips: list[framecache.Clip], far: float) -> dict:
    z, probs, cls, border, comp, trans = collect(model, clips)
    zc = np.concatenate(z)
    keep = ~border
    neg, pos = keep & (cls == 0), keep & (cls > 0)
    best_b, best, curve = 0.0, None, []
    for b in np.arange(-4.0, 2.01, 0.05):
        sev = 1 / (1 + np.exp(-(zc + b)))
        f_, r_ = (sev[neg] >= 0.5).mean(), (sev[pos] >= 0.5).mean()
        curve.append((round(float(b), 2), round(float(f_), 5), round(float(r_), 4)))
        if f_ <= far and (best is None or r_ > best[1] + 1e-9):
            best_b, best = float(b), (f_, r_)
    if best is None:
        raise SystemExit("no severity offset reaches FAR <= %g on the calibration split" % far)
    sev = 1 / (1 + np.exp(-(zc + best_b)))
    res = []
    for t0 in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
        for t1 in (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
            tp = fp = fn = 0
            tshare = []
            for p, cm, tm in zip(probs, comp, trans):
                pc, pt = p[:, 0] >= t0, p[:, 1] >= t1
                pm, gt = pc | pt, cm | tm
                tp += int((pm & gt).sum()); fp += int((pm & ~gt).sum()); fn += int((~pm & gt).sum())
                tshare.append(pt.mean((1, 2)))
            tshare = np.concatenate(tshare)
            f1 = 2 * tp / max(1, 2 * tp + fp + fn)
            for tf in (0.001, 0.002, 0.003, 0.005, 0.008):
                pc = classify(sev, tshare, tf)
                acc = (pc[keep] == cls[keep]).mean()
                tt = (pc[cls == 2] == 2).mean() if (cls == 2).any() else 0.0
                res.append((acc + f1 + 0.5 * tt, t0, t1, tf, acc, f1, tt))
    score, t0, t1, tf, acc, f1, tt = max(res)
    return {"severity_logit_offset": round(best_b, 3), "calib_far": round(float(best[0]), 5),
            "calib_recall": round(float(best[1]), 4), "far_target": far,
            "postprocess": {"severity_threshold": 0.5, "mask_threshold": [t0, t1], "transmission_min_fraction": tf},
            "calib_class_accuracy": round(float(acc), 4), "calib_block_f1": round(float(f1), 4),
            "calib_trans_as_trans": round(float(tt), 4), "frames": int(len(zc)), "clips": len(clips),
            "far_recall_by_offset": [c for c in curve if c[1] <= 0.05]}


def apply(checkpoint: Path, calib: dict, out: Path) -> None:
    """Bake the severity offset into the frame head's last bias; keep the calibration beside the weights."""
    ck = torch.load(checkpoint)
    key = [k for k in ck["state"] if k.startswith("sev.") and k.endswith(".bias")][-1]
    ck["state"][key] = ck["state"][key] + calib["severity_logit_offset"]
    ck["info"] = dict(ck["info"], calibration=calib)
    ck.pop("opt", None)
    torch.save(ck, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True, help="the calibration dataset")
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--far", type=float, default=0.005)
    ap.add_argument("--out", type=Path, required=True, help="calibration JSON")
    ap.add_argument("--apply", type=Path, help="also write the calibrated checkpoint here")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    clips = framecache.load(framecache.build(a.data, a.cache))
    res = calibrate(load_detector(a.checkpoint), clips, a.far)
    a.out.write_text(json.dumps(res, indent=1) + "\n")
    if a.apply:
        apply(a.checkpoint, res, a.apply)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
