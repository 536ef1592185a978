"""One command rebuilds everything: data -> train -> evaluate -> export (ONNX, golden vectors, manifest, card).

    /usr/bin/python3 -m vqtrain.pipeline --work /work/vq                  # full run (about 1.5 h on 2 cores)
    /usr/bin/python3 -m vqtrain.pipeline --smoke --work /tmp/vqsmoke      # CI: tiny data, a few steps, < 3 min

The full run writes models/detector/<version>/ and models/enhancer/<version>/ in this repository; the smoke run
writes to <work>/models and checks that every stage works end to end (export included), not model quality.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from . import bench, data, evaluate, export, modelcard, postprocess, train_detector, train_enhancer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True, help="data, checkpoints and evaluation outputs")
    ap.add_argument("--smoke", action="store_true", help="tiny data and a few steps (CI)")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--det-minutes", type=float, default=40)
    ap.add_argument("--enh-minutes", type=float, default=40)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.time()
    sets = data.make(a.work, a.smoke)
    train_sets = [p for k, p in sets.items() if k != "val"]
    ck = a.work / "checkpoints"
    det_min, enh_min = (0.15, 0.15) if a.smoke else (a.det_minutes, a.enh_minutes)
    limit = 4 if a.smoke else None
    det_info = train_detector.train(train_sets, None, ck / "detector.pt", det_min, a.seed, limit=limit,
                                    cache=a.work / "cache")
    enh_info = train_enhancer.train([sets["train640"]], ck / "enhancer.pt", enh_min, a.seed, limit=limit)
    res = evaluate.run(sets["val"], ck / "detector.pt", ck / "enhancer.pt", a.work / "eval", dict(postprocess.DEFAULT))
    recipe = {"datasets": {k: list(v) for k, v in (data.SMOKE if a.smoke else data.RECIPES).items()},
              "split": "validation = every 4th image of the sorted public pool from index 1 (9 of 37)",
              "vqbench": str(bench.vqbench_path())}
    models = a.work / "models" if a.smoke else bench.REPO / "models"
    det_metrics = {"vqbench_val": {k: res["detector"][k] for k in ("auc", "precision", "recall", "false_alarm_rate",
                                                                    "class_accuracy", "block_f1", "spearman_frac")},
                   "blockdetect_val": {k: res["blockdetect"][k] for k in ("auc", "recall", "false_alarm_rate")}}
    enh_metrics = {"vqbench_val": {g: {"dpsnr": round(m["dpsnr"], 4), "dssim": round(m["dssim"], 5)}
                                   for g, m in res["enhancer"].items()},
                   "baselines_val": {f: {g: round(res[f][g]["dpsnr"], 4) for g in ("compression", "transmission", "clean")}
                                     for f in ("deblock", "spp", "pp7")}}
    d = export.export("detector", ck / "detector.pt", a.version, models, sets["val"], det_metrics,
                      dict(recipe, **det_info), dict(postprocess.DEFAULT))
    e = export.export("enhancer", ck / "enhancer.pt", a.version, models, sets["val"], enh_metrics,
                      dict(recipe, **enh_info), dict(postprocess.DEFAULT))
    for p in (d, e):
        modelcard.write(p)
    (a.work / "eval" / "tables.md").write_text(res["markdown"] + "\n")
    print(res["markdown"])
    print("pipeline done in %.1f min: %s %s" % ((time.time() - t0) / 60, d, e), file=sys.stderr)


if __name__ == "__main__":
    main()
