"""MODEL_CARD.md from a model's manifest.json (so the card never disagrees with the registry)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

USE = {
    "detector": "Per-frame macroblocking severity in [0,1], a frame class (clean / compression blocking / "
                "transmission damage) and per-8x8-block artifact probabilities for live video luma. Served by the "
                "VideoQuality detector service and the `vq` CLI; run on every frame of every stream, in order: from "
                "2.0.0 the model carries a per-block state from frame to frame, so give it the frames of one stream "
                "as a stream (DetectStream, `vq detect`), not as unrelated unary calls.",
    "enhancer": "Deblocking of luma tiles around blocks that the detector flags as compression blocking (and, with "
                "`Repair:WholeCompressionFrames`, of whole frames the detector classes compression). Not for clean "
                "frames (it costs them PSNR) or for transmission damage (the enhancer service conceals that "
                "temporally).",
}
LIMITS = {
    "detector": [
        "Content is synthetic motion over stills (pan/zoom, moving and rotating objects, scene cuts), graphics and "
        "generators: no real camera footage, camera noise only as added grain, no interlacing, no HDR or 10-bit.",
        "Unary calls that do not hand back the previous answer's state (DetectRequest.state), and a stream's first "
        "frames, have no recurrent state: damage that started "
        "before the call and is no longer moving is harder to see than in a stream.",
        "8-px block grid aligned at (0,0): content scaled after encoding (grid moved) is outside what it learned.",
        "Ground truth marks faint blocking (steps of 1-2 code values) as clean; so does the model. Transmission "
        "ground truth is a fidelity threshold (mean |dist - undamaged decode| >= 6 per block), so well-concealed "
        "misalignment counts as damage and the model is judged on it.",
        "See the per-set tables above for the content types, codecs and loss patterns it is weakest on.",
        "2.0.0: transmission damage that the decoder conceals smoothly (slice loss, RTP loss, TS byte errors) is "
        "recognised on a minority of frames; VP9 blocking (held out) is mostly missed; the held-out fractal content "
        "has 7.7% false alarms; calibrated to 1% false alarms on graphics-heavy content, its threshold is "
        "conservative on photos (recall 0.30-0.46 at 0-0.5% false alarms on the held-out sets); heavy MPEG-2 "
        "blocking on smooth gradients with grain (the `vq demo` clip) scores 0.2-0.5, mostly below the alarm "
        "threshold, although its mask finds the blocks; H.264 blocking at QP 51 without the deblocking filter on that "
        "content is often classed transmission. Its block masks also mark much of some clean dense texture (grass, "
        "fine detail) on frames it correctly calls clean: use the mask of flagged frames.",
    ],
    "enhancer": [
        "Trained on MPEG-2, H.264 (no-deblock and high-QP) and MJPEG blocking of the public pool's training photos.",
        "Luma only: chroma is handled by the service (see the enhancer docs).",
        "Give it the block-boundary channels of the tile's place in the frame (`grid`) and `context_margin` pixels of "
        "context on each side (1.0.0, without `grid`: tiles must start on the 8-px grid).",
    ],
}


COLS = (("AUC", "auc"), ("recall", "recall"), ("FAR", "false_alarm_rate"), ("class acc", "class_accuracy"),
        ("trans->trans", "trans_as_trans"), ("block F1", "block_f1"), ("rho", "spearman_frac"))


def metrics_section(m: dict) -> list[str]:
    """Per-set tables (overall, then per content kind, codec, loss pattern) when the metrics have that shape
    ({set: {group: {metric: value}}}); the raw JSON otherwise."""
    met = m["metrics"]
    if not met or not all(isinstance(v, dict) and "ALL" in v for v in met.values()):
        return ["## Metrics (vqbench)", "```json", json.dumps(met, indent=1), "```"]
    f = lambda v: "-" if v is None else "%.3f" % v
    out = ["## Metrics (vqbench, at the shipped operating point severity >= 0.5)"]
    for name, groups in met.items():
        out += ["", "### %s" % name, "", "| group | " + " | ".join(c for c, _ in COLS) + " |", "|---|" + "---|" * len(COLS)]
        for g in sorted(groups, key=lambda g: (g != "ALL", not g.startswith("kind="), not g.startswith("codec="), g)):
            if g == "ALL" or g.split("=")[0] in ("kind", "codec", "loss"):
                out.append("| %s | " % g + " | ".join(f(groups[g].get(k)) for _, k in COLS) + " |")
    return out


def write(model_dir: Path) -> Path:
    m = json.loads((model_dir / "manifest.json").read_text())
    kind = m["kind"]
    io = "\n".join("- input `%s` %s %s" % (i["name"], i["dtype"], i["shape"]) for i in m["inputs"])
    io += "\n" + "\n".join("- output `%s` %s %s" % (o["name"], o["dtype"], o["shape"]) for o in m["outputs"])
    if "features" in m:
        f, g = m["features"], m["full_graph"]
        io += ("\n- `features` are the fixed block statistics `%s/%d` (%d channels per 8x8 block, %s), computed by "
               "the caller from the frame and the previous frame; `%s` (sha256 `%s`) is the whole graph from luma "
               "planes (inputs %s) for runtimes without the feature extractor (Triton)."
               % (f["name"], f["version"], f["channels"], f["definition"], g["file"], g["sha256"],
                  ", ".join("`%s`" % i["name"] for i in g["inputs"])))
    profiles = []
    if m.get("profiles"):
        profiles = ["## Cost profiles", "",
                    "Selected by configuration (`Model:Profile` in the enhancer service, `vq enhance --profile`); when none is configured: %s. "
                    "Every profile has the interface above." % ", ".join("%s on %s" % (v, k.upper())
                                                                        for k, v in m.get("default_profile", {}).items()),
                    "", "| profile | file | architecture | parameters | MACs/pixel | context margin | sha256 |",
                    "|---|---|---|---|---|---|---|"]
        profiles += ["| %s | %s | %s | %d | %s | %d | `%s` |" % (
            name, p["file"], ", ".join("%s=%s" % kv for kv in p["architecture"].items()), p["parameters"],
            "{:,.0f}".format(p["macs"]["per_pixel"]), p["context_margin"], p["sha256"][:16])
            for name, p in m["profiles"].items()]
        profiles += ["", "Training of each profile:", "", "```json",
                     json.dumps({n: p.get("training", {}) for n, p in m["profiles"].items()}, indent=1), "```", ""]
    lines = [
        "# %s %s" % (m["name"], m["version"]), "",
        "## Intended use", USE[kind], "",
        "## Interface", io, "",
        "- stride %d (pad right/bottom by edge replication to a multiple), opset %d, %d parameters, %d bytes, "
        "sha256 `%s`" % (m["stride"], m["opset"], m["parameters"], m["bytes"], m["sha256"]),
        "- cost: %s" % json.dumps(m["macs"]), "", *profiles,
        "## Data", "vqbench clips made from the public pool (`vqbench.py pool public`), split by source image; "
        "recipe and seeds in `manifest.json` (`training`).", "",
        "```json", json.dumps(m["training"], indent=1), "```", "",
        *metrics_section(m), "", "Full tables and commands: `docs/BENCHMARKS.md`.", "",
        "## Known limits", *["- " + l for l in LIMITS[kind]], "",
    ]
    p = model_dir / "MODEL_CARD.md"
    p.write_text("\n".join(lines))
    return p


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(write(Path(arg)))
