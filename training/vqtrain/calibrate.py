"""Choose the severity offset and the post-processing thresholds on the CALIBRATION split (held-out photos and
new instances of the generators: never trained on, never a test set).

    /usr/bin/python3 -m vqtrain.calibrate --checkpoint det.pt --data /work/vq/calib --cache /work/vq/cache \
        --far 0.005 --out calib.json --apply det_cal.pt

The severity offset b is added to the severity logit inside the exported graph (severity = sigmoid(z + b)): the
offset with the highest recall whose false-alarm rate on the calibration split's clean frames is at most `--far`
at the 0.5 alarm threshold. Then the compression and transmission mask thresholds and the transmission share that
makes a frame "transmission" are chosen for 3-way class accuracy + block F1 + half the share of transmission frames
classified transmission. Last, the offset and the block-fraction alarm (a frame whose mask covers that share of its
blocks is flagged whatever the frame head says; `postprocess.fuse`) are chosen together: the highest recall at
false alarms <= `--far` (`fusion_search`).
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
from .postprocess import fuse_array
from .train_detector import run_clip

OFFSETS = np.round(np.arange(-4.0, 2.01, 0.05), 2)
# Block-fraction alarms tried (None: the frame head alone).
ALARMS = (None, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def fusion_search(z: np.ndarray, frac: np.ndarray, neg: np.ndarray, pos: np.ndarray, far: float) -> dict:
    """Severity offset b and block-fraction alarm f0 with the highest recall at FAR <= far on frames with base
    severity logits z and mask shares frac; with each alarm's best point (the curve)."""
    best, curve = None, []
    for f0 in ALARMS:
        top = None
        for b in OFFSETS:
            sev = fuse_array(1 / (1 + np.exp(-(z + b))), frac, f0)
            f_, r_ = float((sev[neg] >= 0.5).mean()), float((sev[pos] >= 0.5).mean())
            if f_ <= far and (top is None or r_ > top[2] + 1e-9):
                top = (float(b), f_, r_)
        if top:
            curve.append({"block_fraction_alarm": f0, "severity_logit_offset": top[0], "far": round(top[1], 5),
                          "recall": round(top[2], 4)})
            if best is None or top[2] > best[2][2] + 1e-9:
                best = (f0, top[0], top)
    if best is None:
        raise SystemExit("no offset and block-fraction alarm reach FAR <= %g on the calibration split" % far)
    f0, b, (_, f_, r_) = best
    return {"severity_logit_offset": round(b, 3), "block_fraction_alarm": f0, "calib_far": round(f_, 5),
            "calib_recall": round(r_, 4), "by_alarm": curve}


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
    for b in OFFSETS:
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
    frac = np.concatenate([((p[:, 0] >= t0) | (p[:, 1] >= t1)).mean((1, 2)) for p in probs])
    tshare = np.concatenate([(p[:, 1] >= t1).mean((1, 2)) for p in probs])
    fus = fusion_search(zc, frac, neg, pos, far)
    sev = fuse_array(1 / (1 + np.exp(-(zc + fus["severity_logit_offset"]))), frac, fus["block_fraction_alarm"])
    pc = classify(sev, tshare, tf)
    acc = (pc[keep] == cls[keep]).mean()
    tt = (pc[cls == 2] == 2).mean() if (cls == 2).any() else 0.0
    pp = {"severity_threshold": 0.5, "mask_threshold": [t0, t1], "transmission_min_fraction": tf}
    if fus["block_fraction_alarm"] is not None:
        pp["block_fraction_alarm"] = fus["block_fraction_alarm"]
    return {"severity_logit_offset": fus["severity_logit_offset"], "calib_far": fus["calib_far"],
            "calib_recall": fus["calib_recall"], "far_target": far, "postprocess": pp,
            "calib_class_accuracy": round(float(acc), 4), "calib_block_f1": round(float(f1), 4),
            "calib_trans_as_trans": round(float(tt), 4), "frames": int(len(zc)), "clips": len(clips),
            "far_recall_by_offset": [c for c in curve if c[1] <= 0.05], "by_alarm": fus["by_alarm"]}


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
