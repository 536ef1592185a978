"""Decoded luma and ground truth of whole datasets for sequence training, and the stream sampler that trains the
recurrent detector on them (consecutive frames of a clip, a fixed window per stream).

    build(data, cache)  ->  cache/<data name>/{masks.npy, index.json}

The luma planes are memory-mapped straight from each clip's distorted y4m (a strided view that skips the chroma
planes and frame headers, so nothing is copied); masks.npy holds every clip's GT blocks (bit 0 compression, bit 1
transmission), frames concatenated.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import bench
from .dataset import manifest

BLK = 8


def build(data: Path, cache: Path) -> Path:
    out = cache / data.name
    if (out / "index.json").is_file():
        return out
    clips = manifest(data)["clips"]
    mtotal = sum(c["frames"] * (c["height"] // BLK) * (c["width"] // BLK) for c in clips)
    out.mkdir(parents=True, exist_ok=True)
    masks = np.zeros(mtotal, np.uint8)
    index, moff = [], 0
    for c in clips:
        g = np.load(data / c["gt"])
        m = g["comp_mask"].astype(np.uint8) | (g["trans_mask"].astype(np.uint8) << 1)
        masks[moff:moff + m.size] = m.ravel()
        y4m = data / c["dist"]
        index.append({k: c.get(k) for k in ("clip", "variant", "codec", "loss", "kind", "frames", "height", "width")}
                     | {"y4m": str(y4m.resolve()), "header": _header_length(y4m), "moff": moff, "expect": _expect(c)})
        moff += m.size
    np.save(out / "masks.npy", masks)
    (out / "index.json").write_text(json.dumps({"data": str(data), "clips": index}))
    return out


def _header_length(y4m: Path) -> int:
    with open(y4m, "rb") as f:
        head = f.read(4096)
    n = head.index(b"\n") + 1
    cs = [t[1:] for t in head[:n].split() if t.startswith(b"C")]
    if not head.startswith(b"YUV4MPEG2") or (cs and (not cs[0].startswith(b"420") or cs[0].startswith(b"420p1"))) \
            or head[n:n + 6] != b"FRAME\n":
        raise ValueError("%s: not an 8-bit 4:2:0 y4m with bare FRAME markers" % y4m)
    return n


def luma_view(path: str, header: int, T: int, H: int, W: int) -> np.ndarray:
    """[T,H,W] uint8 view of a 4:2:0 y4m's luma planes (each frame: 'FRAME\\n', Y, U, V)."""
    mm = np.memmap(path, np.uint8, mode="r")
    fsz = 6 + H * W + 2 * ((W + 1) // 2) * ((H + 1) // 2)
    if mm.size != header + T * fsz:
        raise ValueError("%s: %d bytes, expected %d for %d frames of %dx%d" % (path, mm.size, header + T * fsz, T, W, H))
    return np.lib.stride_tricks.as_strided(mm[header + 6:], shape=(T, H, W), strides=(fsz, W, 1), writeable=False)


def _expect(c: dict) -> str:
    v = c["variant"]
    if c.get("loss") or v in ("h264_sliceloss", "mpeg2_ts_corrupt"):
        return "transmission"
    return "clean" if "clean" in v else "compression"


@dataclass
class Clip:
    name: str
    expect: str
    variant: str
    kind: str
    luma: np.ndarray     # [T,H,W] uint8 (memory-mapped view)
    masks: np.ndarray    # [T,R,C] uint8 bits


def load(path: Path) -> list[Clip]:
    idx = json.loads((path / "index.json").read_text())
    masks = np.load(path / "masks.npy")
    out = []
    for c in idx["clips"]:
        T, H, W = c["frames"], c["height"], c["width"]
        out.append(Clip(c["clip"], c["expect"], c["variant"], str(c.get("kind")), luma_view(c["y4m"], c["header"], T, H, W),
                        masks[c["moff"]:c["moff"] + T * (H // BLK) * (W // BLK)].reshape(T, H // BLK, W // BLK)))
    return out


def window(frame: np.ndarray, r0: int, c0: int, R: int, C: int, fill: float | None) -> np.ndarray:
    """Pixels of blocks [r0-1, r0+R+1) x [c0-1, c0+C+1) (one block of margin on each side) as float32 Y/255.
    Outside the frame: edge replication (fill None; the block statistics then see the frame's own border rule) or
    a constant (the learned front end's zero padding of luma - 0.5 is a 0.5 fill)."""
    H, W = frame.shape
    y0, y1, x0, x1 = (r0 - 1) * BLK, (r0 + R + 1) * BLK, (c0 - 1) * BLK, (c0 + C + 1) * BLK
    a = frame[max(0, y0):min(H, y1), max(0, x0):min(W, x1)].astype(np.float32) / 255.0
    pads = ((max(0, -y0), max(0, y1 - H)), (max(0, -x0), max(0, x1 - W)))
    if fill is None:
        return np.pad(a, pads, mode="edge")
    return np.pad(a, pads, mode="constant", constant_values=fill)


class Streams:
    """`n` parallel streams over random clips. Each stream keeps a fixed window (R x C blocks, 2-block aligned) of
    its clip and walks its frames in order; at a clip's end it takes another clip and its state is reset. Clips are
    drawn by what they were made as (`mix`), and within that with weight 1/sqrt(clips of the same content kind), so
    rarer kinds (text, cartoon, dark) are not drowned by photos. Modes:
    'stream' (state and previous frame carried), 'stateless' (previous frame, state reset every frame: unary calls
    with the previous frame) and 'unary' (no history at all)."""

    def __init__(self, clips: list[Clip], n: int, R: int, C: int, rng: np.random.Generator,
                 mix: dict[str, float], modes: dict[str, float]):
        self.clips, self.n, self.R, self.C, self.rng = clips, n, R, C, rng
        self.by = {k: [i for i, c in enumerate(clips) if c.expect == k] for k in mix}
        self.mix = {k: v for k, v in mix.items() if self.by[k]}
        self.weights = {}
        for k, idx in self.by.items():
            kinds = [clips[i].kind for i in idx]
            count = {kd: kinds.count(kd) for kd in set(kinds)}
            w = np.array([1 / np.sqrt(count[kd]) for kd in kinds])
            self.weights[k] = w / w.sum()
        self.modes = modes
        self.cur: list[dict] = [self._new() for _ in range(n)]

    def _new(self) -> dict:
        r = self.rng
        kinds = sorted(self.mix)
        p = np.array([self.mix[k] for k in kinds])
        k = kinds[int(r.choice(len(kinds), p=p / p.sum()))]
        ci = self.by[k][int(r.choice(len(self.by[k]), p=self.weights[k]))]
        c = self.clips[ci]
        T, Rr, Cc = c.masks.shape
        r0 = 2 * int(r.integers(0, max(0, (Rr - self.R) // 2) + 1))
        c0 = 2 * int(r.integers(0, max(0, (Cc - self.C) // 2) + 1))
        t0 = 0 if r.random() < 0.7 else int(r.integers(0, max(1, T - 8)))
        modes = sorted(self.modes)
        mode = modes[int(r.choice(len(modes), p=np.array([self.modes[m] for m in modes])))]
        return {"clip": ci, "r0": r0, "c0": c0, "t": t0, "start": t0, "mode": mode}

    def frames(self):
        """One frame per stream: (features luma window [n,1,h,w] replicated, previous, patch window (0.5 fill),
        comp [n,R,C], trans [n,R,C], reset [n] bool); advances every stream."""
        R, C = self.R, self.C
        cur, prev, patch, comp, trans, reset = [], [], [], [], [], []
        for i, s in enumerate(self.cur):
            c = self.clips[s["clip"]]
            t = s["t"]
            f = c.luma[t]
            history = s["mode"] != "unary" and t > s["start"]
            cur.append(window(f, s["r0"], s["c0"], R, C, None))
            prev.append(window(c.luma[t - 1] if history else f, s["r0"], s["c0"], R, C, None))
            patch.append(window(f, s["r0"], s["c0"], R, C, 0.5)[6:8 * R + 10, 6:8 * C + 10])
            m = c.masks[t, s["r0"]:s["r0"] + R, s["c0"]:s["c0"] + C]
            comp.append(m & 1)
            trans.append(m >> 1 & 1)
            reset.append(t == s["start"] or s["mode"] != "stream")
            s["t"] += 1
            if s["t"] >= c.masks.shape[0]:
                self.cur[i] = self._new()
        st = lambda a: torch.from_numpy(np.stack(a))
        return (st(cur).unsqueeze(1), st(prev).unsqueeze(1), st(patch).unsqueeze(1), st(comp).bool(), st(trans).bool(),
                torch.tensor(reset))
