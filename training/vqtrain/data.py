"""Datasets from vqbench: the public pool split by source image into train and validation.

    /usr/bin/python3 -m vqtrain.data --work /work/data [--smoke]

Validation images: every 4th image of the sorted public pool (starting at index 1), 9 of 37; the rest train.
No image is in both. Validation is made at 640x360 and 1280x720 with vqbench's default recipe (seed 0);
training data uses other seeds and more impaired variants per source so every variant is seen on every image.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from . import bench

VAL_EVERY, VAL_OFFSET = 4, 1

# name -> (split, sizes, frames, seed, impaired-per-source)
RECIPES = {
    "val": ("val", "640x360,1280x720", 30, 0, 2),
    "train640": ("train", "640x360", 30, 11, 6),
    "train720": ("train", "1280x720", 20, 12, 3),
}
SMOKE = {
    "val": ("val", "640x360", 8, 0, 2),
    "train640": ("train", "640x360", 8, 11, 6),
}


def pool(work: Path) -> list[str]:
    """The 37 public photos (downloaded once into $VQ_POOL or ~/.cache/vqbench/pool, shared by all work dirs)."""
    where = os.environ.get("VQ_POOL", os.path.expanduser("~/.cache/vqbench/pool"))
    out = bench.run("pool", "public", "--dir", where, capture=True)
    imgs = sorted(l for l in out.splitlines() if l.strip())
    if len(imgs) != 37:
        raise SystemExit("expected 37 public images, got %d" % len(imgs))
    return imgs


def split(imgs: list[str]) -> dict[str, list[str]]:
    val = [p for i, p in enumerate(imgs) if i % VAL_EVERY == VAL_OFFSET]
    train = [p for p in imgs if p not in val]
    assert not set(val) & set(train)
    return {"train": train, "val": val}


def make(work: Path, smoke: bool, only: list[str] | None = None, jobs: int = 2) -> dict[str, Path]:
    imgs = split(pool(work))
    recipes = SMOKE if smoke else RECIPES
    out = {}
    for name, (part, sizes, frames, seed, k) in recipes.items():
        if only and name not in only:
            continue
        images = imgs[part][:2] if smoke else imgs[part]
        d = work / (("smoke_" if smoke else "") + name)
        out[name] = d
        if (d / "manifest.json").is_file():
            print("exists: %s" % d)
            continue
        bench.run("make", "--images", ",".join(images), "--out", str(d), "--sizes", sizes, "--frames", str(frames),
                  "--seed", str(seed), "--impaired-per-source", str(k), "--jobs", str(jobs))
    (work / "split.json").write_text(json.dumps({k: [os.path.basename(os.path.dirname(p)) + "/" + os.path.basename(p)
                                                     for p in v] for k, v in imgs.items()}, indent=1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("VQ_WORK", "/tmp/vqwork")))
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    for k, v in make(a.work, a.smoke, a.only, a.jobs).items():
        print(k, v)


if __name__ == "__main__":
    main()
