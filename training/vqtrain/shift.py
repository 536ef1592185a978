"""Move an exported detector to another point of its calibration curve, without retraining or data.

    /usr/bin/python3 -m vqtrain.shift --model ../models/candidates/detector/2.0.0 --far 0.01 \
        --out ../models/detector/2.0.0

`vqtrain.calibrate` records, for every severity offset it tried, the false-alarm rate and recall on the
calibration split (`training.calibration.far_recall_by_offset` in the manifest). This picks the offset with the
highest recall whose calibration false-alarm rate is at most `--far` (the same rule as `calibrate`), adds the
difference to the severity head's last bias in both graphs (model.onnx and full.onnx: severity = sigmoid(z + b)),
and rewrites what depends on it: the golden severities and expected classes (block outputs and state do not depend
on the offset), the manifest's sha256/bytes and calibration record, and the model card. The held-out metrics of
the old operating point are dropped from the manifest (`metrics`): score the new one and put them back with
`--metrics`.

With `--calib-pred`, the offset and the block-fraction alarm (`postprocess.fuse`) are chosen together by
`calibrate.fusion_search` on predictions of the calibration split made with this model as it is (e.g. `./vq detect`
output, which the C#/PyTorch parity makes the same numbers): severity logits are recovered from the predictions'
severities (the model must not already fuse), mask shares from their masks, labels from the sets' ground truth.

    ./vq detect /work/vq/calib/dist/*.y4m --out-dir /work/vq/eval/calib-pred/calib --model-root models/candidates
    /usr/bin/python3 -m vqtrain.shift --model ../models/candidates/detector/2.0.0 --far 0.01 \
        --calib-data /work/vq/calib /work/vq/calib_vqbench --calib-pred /work/vq/eval/calib-pred/{set}
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from . import bench, calibrate, modelcard, postprocess
from .dataset import frame_labels, manifest
from .export import sha256

# The severity head's last bias in model.onnx (DetectorHead wraps the detector as `det`) and in full.onnx.
BIAS_NAMES = ("det.sev.2.bias", "sev.2.bias")


def pick(curve: list[list[float]], far: float) -> tuple[float, float, float]:
    """(offset, calib FAR, calib recall) with the highest recall at FAR <= far."""
    ok = [c for c in curve if c[1] <= far]
    if not ok:
        raise SystemExit("no recorded offset reaches FAR <= %g on the calibration split" % far)
    return tuple(max(ok, key=lambda c: (c[2], c[0])))


def calib_arrays(sets: list[Path], pred: str, pp: dict) -> tuple[np.ndarray, ...]:
    """(severity logits, mask shares, clean frames, artifact frames) of the calibration sets' predictions, read by
    vqbench's own prediction reader."""
    if "block_fraction_alarm" in pp:
        raise SystemExit("the model already fuses the block fraction: predict with its frame head alone")
    vq = bench.module()
    z, frac, cls, keep = [], [], [], []
    for data in sets:
        for c in manifest(data)["clips"]:
            g = np.load(data / c["gt"])
            cl, _, border = frame_labels(g["comp_mask"] > 0, g["trans_mask"] > 0)
            sev, _, masks = vq.read_preds(str(Path(pred.format(set=data.name)) / (c["clip"] + ".jsonl")), c["clip"],
                                          *g["comp_mask"].shape)
            s = np.clip(sev, 1e-7, 1 - 1e-7)
            z.append(np.log(s) - np.log1p(-s))
            frac.append(np.array([m.mean() for m in masks]))
            cls.append(cl); keep.append(~border)
    cls, keep = np.concatenate(cls), np.concatenate(keep)
    return np.concatenate(z), np.concatenate(frac), keep & (cls == 0), keep & (cls > 0)


def shift_graph(path: Path, delta: float) -> None:
    m = onnx.load(str(path))
    hits = [i for i in m.graph.initializer if i.name in BIAS_NAMES]
    if len(hits) != 1:
        raise SystemExit("%s: expected one severity bias (%s), found %d" % (path, ", ".join(BIAS_NAMES), len(hits)))
    b = numpy_helper.to_array(hits[0]).astype(np.float32)
    hits[0].CopyFrom(numpy_helper.from_array((b + np.float32(delta)).astype(np.float32), hits[0].name))
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def shift_golden(gdir: Path, delta: float, pp: dict) -> int:
    """Severity files and expected results of the golden cases at the new offset; returns the number of cases."""
    cases = json.loads((gdir / "cases.json").read_text())
    for c in cases["cases"]:
        sf = gdir / c["outputs"]["severity"]["file"]
        s = np.fromfile(sf, dtype=np.float32).astype(np.float64)
        z = np.log(s) - np.log1p(-s)
        s2 = (1 / (1 + np.exp(-(z + delta)))).astype(np.float32)
        s2.tofile(sf)
        probs = np.fromfile(gdir / c["outputs"]["block_probs"]["file"], dtype=np.float32).reshape(
            c["outputs"]["block_probs"]["shape"])[0]
        res = postprocess.frame_result(0, float(s2[0]), probs, c["height"], c["width"], pp)
        c["expected"] = {k: res[k] for k in ("severity", "class", "mask")}
    (gdir / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    return len(cases["cases"])


def shift(model: Path, out: Path, far: float, metrics: dict | None, calib_sets: list[Path] | None = None,
          calib_pred: str | None = None) -> dict:
    man = json.loads((model / "manifest.json").read_text())
    cal = man["training"]["calibration"]
    pp = dict(postprocess.DEFAULT, **man["postprocess"])
    fusion = None
    if calib_pred:
        z, frac, neg, pos = calib_arrays(calib_sets or [], calib_pred, pp)
        fusion = calibrate.fusion_search(z - cal["severity_logit_offset"], frac, neg, pos, far)
        b, f, r = fusion["severity_logit_offset"], fusion["calib_far"], fusion["calib_recall"]
        if fusion["block_fraction_alarm"] is not None:
            pp["block_fraction_alarm"] = fusion["block_fraction_alarm"]
        fusion["frames"] = int(len(z))
    else:
        b, f, r = pick(cal["far_recall_by_offset"], far)
    delta = round(b - cal["severity_logit_offset"], 6)
    if out.resolve() != model.resolve():
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(model, out)
    for name in (man["file"], man["full_graph"]["file"]):
        shift_graph(out / name, delta)
    n = shift_golden(out / "golden", delta, pp)
    man["sha256"], man["bytes"] = sha256(out / man["file"]), (out / man["file"]).stat().st_size
    g = out / man["full_graph"]["file"]
    man["full_graph"].update(sha256=sha256(g), bytes=g.stat().st_size)
    man["postprocess"] = pp
    man["training"]["calibration"] = dict(
        cal, severity_logit_offset=b, calib_far=f, calib_recall=r, far_target=far, postprocess=pp,
        **({"fusion": dict(fusion, sets=[str(d) for d in calib_sets or []], pred=calib_pred)} if fusion else {}),
        shifted_from={"severity_logit_offset": cal["severity_logit_offset"], "far_target": cal["far_target"],
                      "note": "calib_class_accuracy, calib_block_f1, calib_trans_as_trans and the post-processing "
                              "thresholds were measured at the earlier offset; vqtrain.shift moved the offset only"})
    man["metrics"] = metrics or {}
    (out / "manifest.json").write_text(json.dumps(man, indent=1) + "\n")
    modelcard.write(out)
    return {"offset": b, "delta": delta, "block_fraction_alarm": pp.get("block_fraction_alarm"), "calib_far": f, "calib_recall": r, "golden_cases": n, "out": str(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="an exported detector folder (manifest.json, golden/)")
    ap.add_argument("--far", type=float, required=True, help="false-alarm target on the calibration split")
    ap.add_argument("--out", type=Path, help="write the shifted model here (default: in place)")
    ap.add_argument("--metrics", type=Path, help="JSON {set: {group: metrics}} of the new operating point")
    ap.add_argument("--calib-data", type=Path, nargs="*", help="calibration sets (with --calib-pred)")
    ap.add_argument("--calib-pred", help="prediction folder pattern with {set}: choose offset and block-fraction alarm")
    a = ap.parse_args()
    met = json.loads(a.metrics.read_text()) if a.metrics else None
    print(json.dumps(shift(a.model, a.out or a.model, a.far, met, a.calib_data, a.calib_pred), indent=1))


if __name__ == "__main__":
    main()
