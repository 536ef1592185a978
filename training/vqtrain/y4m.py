"""Minimal 8-bit 4:2:0 YUV4MPEG2 reader/writer with chroma (vqbench's reader returns luma only)."""
from __future__ import annotations

import numpy as np


def read(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, bytes]:
    """-> Y [T,H,W], U [T,h,w], V [T,h,w], header line."""
    data = open(path, "rb").read()
    nl = data.index(b"\n")
    hdr = data[:nl]
    tok = {t[:1]: t[1:] for t in hdr.split()[1:]}
    w, h = int(tok[b"W"]), int(tok[b"H"])
    cw, ch = (w + 1) // 2, (h + 1) // 2
    ys, us, vs, pos = [], [], [], nl + 1
    while pos < len(data):
        e = data.index(b"\n", pos) + 1
        buf = np.frombuffer(data, np.uint8, w * h + 2 * cw * ch, e)
        ys.append(buf[:w * h].reshape(h, w))
        us.append(buf[w * h:w * h + cw * ch].reshape(ch, cw))
        vs.append(buf[w * h + cw * ch:].reshape(ch, cw))
        pos = e + w * h + 2 * cw * ch
    return np.stack(ys), np.stack(us), np.stack(vs), hdr


def write(path: str, y: np.ndarray, u: np.ndarray, v: np.ndarray, header: bytes) -> None:
    with open(path, "wb") as f:
        f.write(header + b"\n")
        for i in range(len(y)):
            f.write(b"FRAME\n")
            f.write(np.ascontiguousarray(y[i], np.uint8).tobytes())
            f.write(np.ascontiguousarray(u[i], np.uint8).tobytes())
            f.write(np.ascontiguousarray(v[i], np.uint8).tobytes())
