"""Recall and false-alarm rate of a prediction folder at several alarm thresholds (the frame rules of vqbench).

    /usr/bin/python3 -m vqtrain.operating_points --data /work/data/val --pred PREDDIR [--thresholds 0.31,0.4,0.5]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .dataset import frame_labels, manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--pred", type=Path, required=True)
    ap.add_argument("--thresholds", default="0.31,0.4,0.5")
    ap.add_argument("--far", type=float, default=0.02, help="also report recall at this false-alarm rate")
    a = ap.parse_args()
    sev, cls, bor = [], [], []
    for c in manifest(a.data)["clips"]:
        g = np.load(a.data / c["gt"])
        cl, _, b = frame_labels(g["comp_mask"], g["trans_mask"])
        sev += [json.loads(l)["severity"] for l in open(a.pred / (c["clip"] + ".jsonl"))]
        cls += list(cl)
        bor += list(b)
    sev, cls, bor = map(np.array, (sev, cls, bor))
    neg, pos = (cls == 0) & ~bor, cls > 0
    for t in map(float, a.thresholds.split(",")):
        print("threshold %.2f: recall %.3f FAR %.4f" % (t, (sev[pos] >= t).mean(), (sev[neg] >= t).mean()))
    t = np.sort(sev[neg])[::-1][int(a.far * neg.sum())]
    print("at FAR <= %.1f%% (threshold %.3f): recall %.3f" % (100 * a.far, t, (sev[pos] > t).mean()))


if __name__ == "__main__":
    main()
