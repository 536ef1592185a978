"""One command rebuilds enhancer 2.x: each cost profile starts from the shipped 1.1.0 weights (pruned to the `fast`
width, or widened function-preservingly: models.Enhancer.init_from) and is fine-tuned, one profile after the other
(never two trainings at once); then both profiles are exported (ONNX, golden vectors, one manifest) with the model card.

How 2.0.0 was made (PROFILES): `fast` = 1.1.0 pruned to 16 channels, 30 min on the photo-codec calibration set
(calib_vqbench, drawn 3x as often) and the wide-codec corpus (calib); `quality` = the 1.1.0 weights as they are (0 min):
fine-tuning them, or a 48-channel widening of them, on this data lost 0.2-0.3 dB on held-out photo collections
(docs/BENCHMARKS.md), so the quality profile keeps 1.1.0's function until a better recipe beats it.

    /usr/bin/python3 -m vqtrain.enhancer2 --work /work/vq                      # 2.0.0: 30 min on 2 cores
    /usr/bin/python3 -m vqtrain.enhancer2 --work /work/vq --candidate          # to models/candidates/enhancer/

Needs the calibration and validation datasets of `vqtrain.data` (`calib`, `calib_vqbench`, `val`; made when missing).
Every stage resumes: a profile whose checkpoint exists in <work>/checkpoints is not retrained. `--metrics FILE` puts
measured figures (`./vq enhance` + `vqbench.py score-enhance`, docs/BENCHMARKS.md) into the manifest and model card.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from . import bench, data, export, modelcard, train_enhancer

# profile -> (architecture, minutes, how often each training set is drawn): how 2.0.0 was made; 0 minutes = the
# --init weights exported as they are
PROFILES = {"fast": ("fast", 30.0, {"calib_vqbench": 3, "calib": 1}), "quality": ("v1", 0.0, {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True, help="datasets and checkpoints")
    ap.add_argument("--version", default="2.0.0")
    ap.add_argument("--init", type=Path, default=bench.REPO / "models" / "enhancer" / "1.1.0",
                    help="the weights every profile starts from (a checkpoint or an exported model folder)")
    ap.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    ap.add_argument("--minutes", type=float, help="training minutes of each trained profile (default: 2.0.0's)")
    ap.add_argument("--metrics", type=Path, help="measured figures (JSON) for the manifest and model card")
    ap.add_argument("--candidate", action="store_true", help="export to models/candidates/ (not served)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(2)
    sets = data.make(a.work, False, only=["calib", "calib_vqbench", "val"], jobs=a.jobs, keep_references=True)
    ck = a.work / "checkpoints"
    checkpoints = {}
    for name in a.profiles:
        arch, minutes, mix = PROFILES[name]
        minutes = minutes if a.minutes is None or minutes <= 0 else a.minutes
        if minutes <= 0:
            checkpoints[name] = a.init
            continue
        out = ck / ("enhancer2_%s.pt" % name)
        if not out.exists():
            data_sets = [sets[k] for k, n in mix.items() for _ in range(n)]
            train_enhancer.train(arch, data_sets, out, minutes, [sets["val"]], a.seed, batch=16, init=a.init)
        checkpoints[name] = out
    models = bench.REPO / "models" / ("candidates" if a.candidate else "")
    metrics = json.loads(a.metrics.read_text()) if a.metrics else {}
    d = export.export_enhancer2(checkpoints, a.version, models, sets["val"], metrics,
                                {"recipe": "vqtrain.enhancer2", "init": str(a.init)})
    print(modelcard.write(d))


if __name__ == "__main__":
    main()
