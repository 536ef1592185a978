"""Load vqbench datasets (decoded luma + ground truth) into memory, one clip at a time."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import bench

CLS_TRANS, CLS_COMP, CLEAN_MAX = 0.002, 0.01, 0.002  # vqbench GT constants (frame class rule)


@dataclass
class Clip:
    name: str
    variant: str
    sid: str
    dist: np.ndarray          # [T,H,W] uint8 decoded distorted luma
    reference: np.ndarray     # [T,H,W] uint8 luma the enhancer is scored against (src or undamaged decode)
    comp: np.ndarray          # [T,R,C] bool
    trans: np.ndarray         # [T,R,C] bool


def frame_labels(comp: np.ndarray, trans: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """vqbench's frame rule on (possibly cropped) masks [T,R,C] -> cls [T], frac [T], borderline [T]."""
    cf, tf = comp.mean((1, 2)), trans.mean((1, 2))
    cls = np.where(tf >= CLS_TRANS, 2, np.where(cf >= CLS_COMP, 1, 0))
    frac = (comp | trans).mean((1, 2))
    border = (cls == 0) & ((tf > 0) | (cf >= CLEAN_MAX))
    return cls, frac, border


def manifest(data: Path) -> dict:
    return json.loads((data / "manifest.json").read_text())


def load_clips(data: Path, variants: set[str] | None = None, with_reference: bool = False, limit: int | None = None):
    vq = bench.module()
    """The clips of `variants` (all when None), the first `limit` of them."""
    clips = [c for c in manifest(data)["clips"] if not variants or c["variant"] in variants]
    for c in clips[:limit]:
        g = np.load(data / c["gt"])
        ref = vq.load_luma(str(data / c["reference"])) if with_reference else None
        yield Clip(c["clip"], c["variant"], c["sid"], vq.load_luma(str(data / c["dist"])), ref,
                   g["comp_mask"], g["trans_mask"])
