"""Turn model outputs into the frame result (class, masks, vqbench JSONL line). Mirrored exactly in C#
(shared/VideoQuality.Detection); the golden vectors pin both to the same numbers."""
from __future__ import annotations

import json

import numpy as np

DEFAULT = {"severity_threshold": 0.5, "mask_threshold": [0.5, 0.5], "transmission_min_fraction": 0.002}


def pad_to(y: np.ndarray, stride: int) -> np.ndarray:
    """Pad a [H,W] plane right/bottom by edge replication to multiples of stride."""
    h, w = y.shape
    return np.pad(y, ((0, -h % stride), (0, -w % stride)), mode="edge")


def mask_hex(mask: np.ndarray) -> str:
    return np.packbits(mask.astype(bool).ravel()).tobytes().hex()


def fuse(severity: float, fraction: float, alarm: float | None) -> float:
    """Frame severity from the model's severity and the mask's share of blocks (postprocess "block_fraction_alarm"
    f0): max(severity, q), q = 0.5 * frac / f0 below f0, 0.5 + 0.5 * (frac - f0) / (1 - f0) from f0 on."""
    return float(fuse_array(np.float64(severity), np.float64(fraction), alarm))


def fuse_array(sev: np.ndarray, frac: np.ndarray, alarm: float | None) -> np.ndarray:
    """fuse() over arrays of frames (or scalars)."""
    if alarm is None:
        return sev
    q = np.where(frac < alarm, 0.5 * frac / alarm, 0.5 + 0.5 * (frac - alarm) / max(1e-9, 1 - alarm))
    return np.maximum(sev, np.minimum(1.0, q))


def frame_result(frame: int, severity: float, probs: np.ndarray, height: int, width: int, pp: dict = DEFAULT) -> dict:
    """probs [2,R',C'] (padded grid) -> vqbench prediction line as a dict."""
    rows, cols = -(-height // 8), -(-width // 8)
    probs = probs[:, :rows, :cols]
    comp = probs[0] >= pp["mask_threshold"][0]
    trans = probs[1] >= pp["mask_threshold"][1]
    severity = fuse(float(severity), float((comp | trans).mean()) if comp.size else 0.0, pp.get("block_fraction_alarm"))
    if severity < pp["severity_threshold"]:
        cls = "clean"
    elif trans.mean() >= pp["transmission_min_fraction"]:
        cls = "transmission"
    else:
        cls = "compression"
    return {"frame": frame, "severity": float(np.clip(severity, 0.0, 1.0)), "class": cls,
            "mask": {"block": 8, "rows": rows, "cols": cols, "bits": mask_hex(comp | trans)}}


def jsonl_line(result: dict) -> str:
    return json.dumps(result, separators=(",", ":"))
