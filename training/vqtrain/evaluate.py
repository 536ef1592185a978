"""Score models with vqbench beside ffmpeg's baselines on the same clips, and write the tables.

    /usr/bin/python3 -m vqtrain.evaluate --data /work/data/val --detector det.pt --enhancer enh.pt \
        --work /work/eval --json metrics.json --markdown table.md
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from . import bench, infer, postprocess

DET_COLS = [("AUC", "auc"), ("P", "precision"), ("R", "recall"), ("FAR", "false_alarm_rate"),
            ("rho", "spearman_frac"), ("class acc", "class_accuracy"), ("block P", "block_precision"),
            ("block R", "block_recall"), ("block F1", "block_f1")]
ENH_GROUPS = ["compression", "mpeg2_lowrate", "h264_nodeblock", "h264_highqp", "mjpeg_lowq", "transmission", "clean"]


def score(data: Path, pred: Path, out: Path) -> dict:
    bench.run("score", "--data", str(data), "--pred", str(pred), "--json", str(out))
    return json.loads(out.read_text())


def score_enhance(data: Path, enh: Path, out: Path) -> dict:
    bench.run("score-enhance", "--data", str(data), "--enh", str(enh), "--json", str(out))
    return json.loads(out.read_text())


def baselines(data: Path, work: Path) -> dict:
    res = {}
    bd = work / "blockdetect"
    if not (work / "blockdetect.json").is_file():
        bench.run("baseline", "blockdetect", "--data", str(data), "--out", str(bd))
        score(data, bd, work / "blockdetect.json")
    res["blockdetect"] = json.loads((work / "blockdetect.json").read_text())
    for f in ("deblock", "spp", "pp7"):
        js = work / (f + ".json")
        if not js.is_file():
            bench.run("baseline", f, "--data", str(data), "--out", str(work / f))
            score_enhance(data, work / f, js)
        res[f] = json.loads(js.read_text())
    return res


def fmt(v, spec="%.3f"):
    return "-" if v is None else spec % v


def det_table(rows: dict[str, dict]) -> str:
    lines = ["| detector | variant | " + " | ".join(c for c, _ in DET_COLS) + " |",
             "|---|---|" + "---|" * len(DET_COLS)]
    for name, s in rows.items():
        groups = [("ALL", s["overall"])] + sorted(s["per_variant"].items())
        for g, m in groups:
            lines.append("| %s | %s | " % (name, g) + " | ".join(fmt(m.get(k)) for _, k in DET_COLS) + " |")
    return "\n".join(lines)


def enh_table(rows: dict[str, dict]) -> str:
    lines = ["| group | " + " | ".join("%s dPSNR / dSSIM" % n for n in rows) + " |", "|---|" + "---|" * len(rows)]
    for g in ENH_GROUPS:
        cells = []
        for s in rows.values():
            m = s["groups"].get(g)
            cells.append("-" if m is None else "%+.3f dB / %+.4f" % (m["dpsnr"], m["dssim"]))
        lines.append("| %s | " % g + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(data: Path, det_pt: Path, enh_pt: Path | None, work: Path, pp: dict) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    base = baselines(data, work)
    det = infer.load_detector(det_pt)
    infer.predict(data, det, work / "pred", pp)
    det_s = score(data, work / "pred", work / "detector.json")
    out = {"detector": det_s["overall"], "detector_per_variant": det_s["per_variant"],
           "blockdetect": base["blockdetect"]["overall"]}
    md = ["### Detector (vqbench score)", "", det_table({"vq-detector": det_s, "blockdetect": base["blockdetect"]})]
    if enh_pt:
        repaired = infer.enhance(data, det, infer.load_enhancer(enh_pt), work / "enh", pp)
        enh_s = score_enhance(data, work / "enh", work / "enhancer.json")
        out["enhancer"] = enh_s["groups"]
        out["enhancer_repaired_share"] = repaired
        for f in ("deblock", "spp", "pp7"):
            out[f] = base[f]["groups"]
        md += ["", "### Enhancer (vqbench score-enhance, applied where the detector flags compression)", "",
               enh_table({"vq-enhancer": enh_s, "deblock": base["deblock"], "spp": base["spp"], "pp7": base["pp7"]})]
    out["markdown"] = "\n".join(md)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--detector", type=Path, required=True)
    ap.add_argument("--enhancer", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    a = ap.parse_args()
    torch.set_num_threads(2)
    res = run(a.data, a.detector, a.enhancer, a.work, dict(postprocess.DEFAULT))
    if a.json:
        a.json.write_text(json.dumps({k: v for k, v in res.items() if k != "markdown"}, indent=1) + "\n")
    if a.markdown:
        a.markdown.write_text(res["markdown"] + "\n")
    print(res["markdown"])


if __name__ == "__main__":
    main()
