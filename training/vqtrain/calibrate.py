"""Choose the post-processing parameters (transmission mask threshold and minimum share) and the severity offset
on TRAINING data, never on validation.

    /usr/bin/python3 -m vqtrain.calibrate --checkpoint det.pt --features CACHE.pt --out calib.json

The severity offset b is added to the severity logit inside the exported graph (severity = sigmoid(z + b)), chosen
as the largest shift that keeps recall on the training frames while bringing the false-alarm rate on clean frames
to at most `--far` at the 0.5 alarm threshold.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from .dataset import frame_labels
from .infer import load_detector


def collect(model, items, max_frames: int = 6):
    z, probs, cls, border, comp, trans = [], [], [], [], [], []
    with torch.no_grad():
        for f, c, t, _ in items:
            idx = np.linspace(0, f.shape[0] - 1, min(max_frames, f.shape[0])).astype(int)
            s, logits = model.from_features(f[idx].float())
            z.append(s[:, 0].numpy()); probs.append(torch.sigmoid(logits).numpy())
            cl, _, bo = frame_labels(c[idx].numpy(), t[idx].numpy())
            cls.append(cl); border.append(bo); comp.append(c[idx].numpy()); trans.append(t[idx].numpy())
    return (np.concatenate(z), np.concatenate(probs), np.concatenate(cls), np.concatenate(border),
            np.concatenate(comp), np.concatenate(trans))


def classify(sev, probs, tm, tf):
    tshare = (probs[:, 1] >= tm).mean((1, 2))
    return np.where(sev < 0.5, 0, np.where(tshare >= tf, 2, 1))


def calibrate(model, items, far: float) -> dict:
    z, probs, cls, border, comp, trans = collect(model, items)
    keep = ~border
    neg = keep & (cls == 0)
    # severity offset: the most negative shift not needed... search b in a grid, keep FAR <= far, maximise recall
    best_b, best = 0.0, None
    for b in np.arange(-3.0, 1.01, 0.1):
        sev = 1 / (1 + np.exp(-(z + b)))
        f_ = (sev[neg] >= 0.5).mean()
        r_ = (sev[cls > 0] >= 0.5).mean()
        if f_ <= far and (best is None or r_ > best[1] + 1e-9 or (abs(r_ - best[1]) < 1e-9 and abs(b) < abs(best_b))):
            best_b, best = float(b), (f_, r_)
    sev = 1 / (1 + np.exp(-(z + best_b)))
    gt_union = comp | trans
    res = []
    for tm in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5):
        for tf in (0.002, 0.004, 0.008, 0.015):
            acc = (classify(sev, probs, tm, tf)[keep] == cls[keep]).mean()
            pm = (probs[:, 0] >= 0.5) | (probs[:, 1] >= tm)
            tp, fp, fn = (pm & gt_union).sum(), (pm & ~gt_union).sum(), (~pm & gt_union).sum()
            res.append((acc + 2 * tp / (2 * tp + fp + fn), tm, tf, acc, 2 * tp / (2 * tp + fp + fn)))
    score, tm, tf, acc, f1 = max(res)
    return {"severity_logit_offset": round(best_b, 2), "train_far": round(float(best[0]), 4),
            "train_recall": round(float(best[1]), 4),
            "postprocess": {"severity_threshold": 0.5, "mask_threshold": [0.5, tm], "transmission_min_fraction": tf},
            "train_class_accuracy": round(float(acc), 4), "train_block_f1": round(float(f1), 4),
            "frames": int(len(z))}


def apply(checkpoint: Path, calib: dict, out: Path) -> None:
    """Bake the severity offset into the frame head's last bias; keep the calibration beside the weights."""
    ck = torch.load(checkpoint)
    key = [k for k in ck["state"] if k.startswith("sev.") and k.endswith(".bias")][-1]
    ck["state"][key] = ck["state"][key] + calib["severity_logit_offset"]
    ck["info"] = dict(ck["info"], calibration=calib)
    torch.save(ck, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--features", type=Path, nargs="+", required=True, help="cached training features (.pt)")
    ap.add_argument("--far", type=float, default=0.01)
    ap.add_argument("--out", type=Path, required=True, help="calibration JSON")
    ap.add_argument("--apply", type=Path, help="also write the calibrated checkpoint here")
    a = ap.parse_args()
    torch.set_num_threads(1)
    items = [it for p in a.features for it in torch.load(p)]
    res = calibrate(load_detector(a.checkpoint), items, a.far)
    a.out.write_text(json.dumps(res, indent=1) + "\n")
    if a.apply:
        apply(a.checkpoint, res, a.apply)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
