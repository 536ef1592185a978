"""One command rebuilds the detector: data -> train -> calibrate -> export (ONNX, golden vectors, manifest) ->
evaluate on the held-out sets -> model card.

    /usr/bin/python3 -m vqtrain.pipeline --work /work/vq                  # full run (data ~1 h, training 3 h, 2 cores)
    /usr/bin/python3 -m vqtrain.pipeline --smoke --work /tmp/vqsmoke      # CI: tiny data, a few steps, < 3 min

Every stage resumes: datasets that exist are kept (and half-built ones continue), an interrupted training continues
from its checkpoint (`<work>/checkpoints/detector.pt`), and finished predictions are not recomputed.
The full run writes models/detector/<version>/ in this repository; the smoke run writes to <work>/models and checks
that every stage works end to end (export included), not model quality. `--enhancer-minutes N` also retrains the
enhancer (deblocking) on the training corpus's compression clips (the smoke run always does, for a few seconds).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from . import bench, calibrate, data, evaluate as enh_eval, export, framecache, infer, modelcard, postprocess, report, \
    train_detector, train_enhancer

HELD_OUT_SETS = ("test_collection", "test_collection_wide", "test_codec", "test_content", "test_synthetic")


def evaluate(sets: dict[str, Path], names: list[str], det_pt: Path, pp: dict, out: Path) -> dict:
    """vqbench scores of the calibrated detector (PyTorch path) on each set: {set: {group: metrics}}."""
    model = infer.load_detector(det_pt)
    res = {}
    for name in names:
        pred = out / "pred" / name
        if not (pred / ".done").is_file():
            infer.predict(sets[name], model, pred, pp)
            (pred / ".done").write_text("")
        res[name] = report.score_set(sets[name], pred, out / "scores" / name, ("variant", "kind", "codec", "loss"))
    return res


def _train(out: Path, datasets: list[Path], calib: Path, minutes: float, cache: Path, seed: int, smoke: bool,
           **kw) -> Path:
    """Train (or resume, or skip when finished) one phase; returns its checkpoint."""
    if out.is_file() and torch.load(out).get("final"):
        print("trained: %s" % out)
    else:
        train_detector.train(datasets, calib, out, minutes, cache, seed, resume=True, eval_clips=4 if smoke else 60, **kw)
    return out


KEEP = ("auc", "precision", "recall", "false_alarm_rate", "class_accuracy", "trans_as_trans", "block_f1", "spearman_frac")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True, help="data, caches, checkpoints and evaluation outputs")
    ap.add_argument("--smoke", action="store_true", help="tiny data and a few steps (CI)")
    ap.add_argument("--version", default="2.0.0")
    ap.add_argument("--det-minutes", type=float, default=180, help="phase 1: the first training recipe, from scratch")
    ap.add_argument("--det-stop-minutes", type=float, default=81, help="phase 1 stops after this many minutes")
    ap.add_argument("--finetune-minutes", type=float, default=45, help="phase 2: both training recipes (0: skip); 2.0.0: 45")
    ap.add_argument("--finetune-lr", type=float, default=1e-3)
    ap.add_argument("--enhancer-minutes", type=float, default=0, help="also retrain the enhancer (0: keep the shipped one)")
    ap.add_argument("--far", type=float, default=0.01,
                    help="false-alarm target on the calibration split (2.0.0: 0.01, the issue's bound)")
    ap.add_argument("--candidate", action="store_true", help="export to models/candidates/ (not served)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.time()
    sets = data.make(a.work, a.smoke, jobs=a.jobs, keep_references=a.enhancer_minutes > 0)
    ck, cache = a.work / "checkpoints", a.work / "cache"
    det_min = 0.15 if a.smoke else a.det_minutes
    # phase 1: the first training recipe, from scratch: a 180-minute cosine schedule stopped after 81 minutes (how
    # 2.0.0 was made: the run was stopped there to move on to phase 2 with more data)
    det_pt = _train(ck / "detector.pt", [sets["train"]], sets["calib"], det_min, cache, a.seed, a.smoke,
                    pos_weight=(2.0, 4.0), sev_weight=0.5, stop_minutes=None if a.smoke else a.det_stop_minutes)
    if "train2" in sets and a.finetune_minutes > 0:
        # phase 2: both training recipes (the second adds milder packet-loss bursts and near-lossless clean encodes),
        # from phase 1's weights
        det_pt = _train(ck / "detector_ft.pt", [sets["train"], sets["train2"]], sets["calib"], a.finetune_minutes, cache,
                        a.seed + 1, a.smoke, init=det_pt, lr=a.finetune_lr)
    det_info = torch.load(det_pt)["info"]
    calib_clips = [c for k in ("calib", "calib_vqbench") if k in sets for c in framecache.load(framecache.build(sets[k], cache))]
    cal = calibrate.calibrate(infer.load_detector(det_pt), calib_clips, 1.0 if a.smoke else a.far)
    det_cal = ck / "detector_calibrated.pt"
    calibrate.apply(det_pt, cal, det_cal)
    pp = dict(postprocess.DEFAULT, **cal["postprocess"])
    names = ["val"] + ([] if a.smoke else list(HELD_OUT_SETS))
    scores = evaluate(sets, names, det_cal, pp, a.work / "eval" / ("vq-detector-" + a.version))
    metrics = {name: {g: {k: (round(m[k], 4) if isinstance(m.get(k), float) else m.get(k)) for k in KEEP}
                      for g, m in s.items()} for name, s in scores.items()}
    recipe = {"split": data.SPLIT_NOTE, "calibration": cal,
              "vqbench": str(bench.vqbench_path()), "held_out": {"collection": data.TEST_COLLECTION,
                                                                 "content": data.HELD_OUT_KIND,
                                                                 "variants": list(data.HELD_OUT_VARIANTS)}}
    # The full run writes models/detector/<version>/ (the highest version is what the services serve); give
    # --candidate to write models/candidates/ instead, to measure a model before it is promoted (docs/BENCHMARKS.md).
    models = a.work / "models" if a.smoke else bench.REPO / "models" / ("candidates" if a.candidate else "")
    d = export.export("detector", det_cal, a.version, models, sets["val"], metrics, dict(recipe, **det_info), pp)
    modelcard.write(d)
    out = [d]
    if a.smoke or a.enhancer_minutes > 0:
        enh_pt = ck / "enhancer.pt"
        enh_info = train_enhancer.train("v1", [sets["train"]], enh_pt, 0.15 if a.smoke else a.enhancer_minutes, [],
                                        a.seed, limit=4 if a.smoke else None)
        res = enh_eval.run(sets["val"], det_cal, enh_pt, a.work / "eval" / "enhancer", pp)
        enh_metrics = {"vqbench_val": {g: {"dpsnr": round(m["dpsnr"], 4), "dssim": round(m["dssim"], 5)}
                                       for g, m in res["enhancer"].items()}}
        e = export.export("enhancer", enh_pt, "1.0.0" if a.smoke else a.version, models, sets["val"], enh_metrics,
                          dict(enh_info, data=str(sets["train"])), pp)
        modelcard.write(e)
        out.append(e)
    (a.work / "eval" / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    print(json.dumps({k: v["ALL"] for k, v in metrics.items()}, indent=1))
    print("pipeline done in %.1f min: %s" % ((time.time() - t0) / 60, " ".join(map(str, out))), file=sys.stderr)


if __name__ == "__main__":
    main()
