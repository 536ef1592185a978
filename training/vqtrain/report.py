"""Score a detector on datasets with vqbench, overall and per group (variant, content kind, codec, loss pattern),
beside ffmpeg's blockdetect on the same clips.

    /usr/bin/python3 -m vqtrain.report --work /work/vq --sets val test_collection test_codec \
        --name vq-2.0.0 --detector det_cal.pt --postprocess calib.json --out /work/vq/eval
    /usr/bin/python3 -m vqtrain.report --work /work/vq --sets val --name vq-1.1.0 --pred-dir /work/vq/eval/csharp-1.1.0/{set}

A prediction folder per set is `OUT/<name>/<set>` (written by the PyTorch path when --detector is given and the
folder is missing) or `--pred-dir` (a pattern with {set}, e.g. what `./vq detect --out-dir` wrote). Scores go to
`OUT/<name>/<set>.json` (vqbench `score --json` per group) and a markdown table to stdout / --markdown.
Groups are scored on a view of the set (`corpus.subset`) that keeps every clean-variant clip, because vqbench's
per-group AUC compares the group's artifact frames with all clean frames.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import bench, corpus, infer, postprocess
from .dataset import manifest

COLS = [("AUC", "auc"), ("P", "precision"), ("R", "recall"), ("FAR", "false_alarm_rate"), ("rho", "spearman_frac"),
        ("class acc", "class_accuracy"), ("trans->trans", "trans_as_trans"), ("block P", "block_precision"),
        ("block R", "block_recall"), ("block F1", "block_f1")]
GROUP_KEYS = ("variant", "kind", "codec", "loss")


def score(data: Path, pred: Path, out: Path) -> dict:
    bench.run("score", "--data", str(data), "--pred", str(pred), "--json", str(out), capture=True)
    res = json.loads(out.read_text())
    o = res["overall"]
    conf = o.get("confusion")
    if conf and sum(conf[2]):
        o["trans_as_trans"] = conf[2][2] / sum(conf[2])
    return res


def groups(data: Path) -> dict[str, list[str]]:
    """group key -> values present in the set (vqbench-made sets have no codec/loss/kind fields)."""
    clips = manifest(data)["clips"]
    return {k: sorted({str(c[k]) for c in clips if c.get(k) is not None}) for k in GROUP_KEYS}


def score_set(data: Path, pred: Path, out: Path, by: tuple[str, ...]) -> dict:
    """{"ALL": overall, "<key>=<value>": overall of that group}."""
    out.mkdir(parents=True, exist_ok=True)
    res = {"ALL": score(data, pred, out / "ALL.json")["overall"]}
    for key, values in groups(data).items():
        if key not in by or len(values) < 2:
            continue
        for v in values:
            view = corpus.subset(data, out / "views" / ("%s=%s" % (key, v)), lambda c, k=key, v=v: str(c.get(k)) == v)
            res["%s=%s" % (key, v)] = score(view, pred, out / ("%s=%s.json" % (key, v)))["overall"]
    (out.parent / (out.name + ".json")).write_text(json.dumps(res, indent=1) + "\n")
    return res


def fmt(v) -> str:
    return "-" if v is None else "%.3f" % v


def table(rows: dict[str, dict[str, dict]]) -> str:
    """rows: detector name -> group -> metrics."""
    lines = ["| detector | group | frames | " + " | ".join(c for c, _ in COLS) + " |", "|---|---|---|" + "---|" * len(COLS)]
    for name, gs in rows.items():
        for g, m in gs.items():
            lines.append("| %s | %s | %d | " % (name, g, m.get("frames", 0)) + " | ".join(fmt(m.get(k)) for _, k in COLS) + " |")
    return "\n".join(lines)


def blockdetect(data: Path, out: Path) -> Path:
    pred = out / "blockdetect" / data.name
    if not (pred / ".done").is_file():
        bench.run("baseline", "blockdetect", "--data", str(data), "--out", str(pred), capture=True)
        (pred / ".done").write_text("")
    return pred


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True, help="folder holding the datasets")
    ap.add_argument("--sets", nargs="+", required=True)
    ap.add_argument("--name", required=True, help="detector name in the tables (and its folder under --out)")
    ap.add_argument("--detector", type=Path, help="PyTorch checkpoint: predict with the training pipeline")
    ap.add_argument("--postprocess", type=Path, help="calibration JSON whose 'postprocess' is used")
    ap.add_argument("--pred-dir", help="prediction folder pattern with {set} (instead of --detector)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--by", default="variant,kind,codec,loss")
    ap.add_argument("--blockdetect", action="store_true", help="also score ffmpeg blockdetect on the same clips")
    ap.add_argument("--markdown", type=Path)
    a = ap.parse_args()
    import torch
    torch.set_num_threads(2)
    pp = dict(postprocess.DEFAULT)
    if a.postprocess:
        pp.update(json.loads(a.postprocess.read_text())["postprocess"])
    model = infer.load_detector(a.detector) if a.detector else None
    md = []
    for s in a.sets:
        data = a.work / s
        if a.pred_dir:
            pred = Path(a.pred_dir.format(set=s))
        else:
            pred = a.out / a.name / s
            if not (pred / ".done").is_file():
                infer.predict(data, model, pred, pp)
                (pred / ".done").write_text("")
        rows = {a.name: score_set(data, pred, a.out / a.name / (s + "_scores"), tuple(a.by.split(",")))}
        if a.blockdetect:
            rows["blockdetect"] = score_set(data, blockdetect(data, a.out), a.out / "blockdetect" / (s + "_scores"),
                                            tuple(a.by.split(",")))
        md += ["#### %s" % s, "", table(rows), ""]
    text = "\n".join(md)
    if a.markdown:
        a.markdown.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
