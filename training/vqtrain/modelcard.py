"""MODEL_CARD.md from a model's manifest.json (so the card never disagrees with the registry)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

USE = {
    "detector": "Per-frame macroblocking severity in [0,1], a frame class (clean / compression blocking / "
                "transmission damage) and per-8x8-block artifact probabilities for live video luma. Served by the "
                "VideoQuality detector service and the `vq` CLI; run on every frame of every stream.",
    "enhancer": "Deblocking of luma tiles around blocks that the detector flags as compression blocking. Not "
                "meant for whole frames or for transmission damage (the enhancer service conceals that temporally).",
}
LIMITS = {
    "detector": [
        "Trained only on the 28 training photos of vqbench's public pool (synthetic pan/zoom clips) and their codec "
        "damage; real camera motion, noise, film grain, screen content and HDR are not in the training data.",
        "Transmission damage that the decoder concealed well (little misalignment) is hard to see; the model uses "
        "the previous frame of the stream, so unary calls without history see less.",
        "8-px block grid aligned at (0,0): content scaled after encoding (grid moved) is outside what it learned.",
        "Ground truth marks faint blocking (steps of 1-2 code values) as clean; so does the model.",
    ],
    "enhancer": [
        "Trained on MPEG-2, H.264 (no-deblock and high-QP) and MJPEG blocking of the public pool's training photos.",
        "Luma only: chroma is handled by the service (see the enhancer docs).",
        "Give it the block-boundary channels of the tile's place in the frame (`grid`) and `context_margin` pixels of "
        "context on each side (1.0.0, without `grid`: tiles must start on the 8-px grid).",
    ],
}


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
    lines = [
        "# %s %s" % (m["name"], m["version"]), "",
        "## Intended use", USE[kind], "",
        "## Interface", io, "",
        "- stride %d (pad right/bottom by edge replication to a multiple), opset %d, %d parameters, %d bytes, "
        "sha256 `%s`" % (m["stride"], m["opset"], m["parameters"], m["bytes"], m["sha256"]),
        "- cost: %s" % json.dumps(m["macs"]), "",
        "## Data", "vqbench clips made from the public pool (`vqbench.py pool public`), split by source image; "
        "recipe and seeds in `manifest.json` (`training`).", "",
        "```json", json.dumps(m["training"], indent=1), "```", "",
        "## Metrics (vqbench, validation split of the public pool)", "```json", json.dumps(m["metrics"], indent=1),
        "```", "", "Full tables and commands: `docs/BENCHMARKS.md`.", "",
        "## Known limits", *["- " + l for l in LIMITS[kind]], "",
    ]
    p = model_dir / "MODEL_CARD.md"
    p.write_text("\n".join(lines))
    return p


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(write(Path(arg)))
