"""Transmission damage as it happens on live links, applied to real bitstreams (and to decoded frames for the
concealment styles no decoder here produces). Every function is deterministic for a given generator.

Bitstream damage:
  ts_burst      MPEG-TS packets of the video PID dropped by a Gilbert-Elliott (bursty) loss process
  rtp_loss      an H.264 Annex B stream cut into RTP-sized packets (single NAL units / FU-A fragments); a slice
                with any lost packet is lost (what a depacketizer hands the decoder), bursty loss
  bit_errors    random bit flips inside slice payloads (H.264/HEVC Annex B), bursty
vqbench's own `damage_h264` (uniform slice loss) and `damage_ts` (payload corruption) are called, not copied.

Frame damage (on the decoded, undamaged clip; the reference stays the undamaged decode):
  conceal       regions lost and concealed the way decoders and players do it: frozen (stale content held),
                grey / black / white / green fills, smeared from the row above, shifted by a wrong motion vector,
                or garbage blocks; held until the next refresh, so damage persists over many frames
"""
from __future__ import annotations

import numpy as np

TS = 188


class GilbertElliott:
    """Two-state burst loss: in the good state packets are lost with p_good, in the bad state with p_bad;
    the state flips good->bad with p_gb and bad->good with p_bg per packet."""

    def __init__(self, rng: np.random.Generator, p_gb: float, p_bg: float, p_bad: float, p_good: float = 0.0):
        self.rng, self.p_gb, self.p_bg, self.p_bad, self.p_good = rng, p_gb, p_bg, p_bad, p_good
        self.bad = False

    def lost(self) -> bool:
        self.bad = (self.rng.random() < self.p_gb) if not self.bad else (self.rng.random() >= self.p_bg)
        return self.rng.random() < (self.p_bad if self.bad else self.p_good)


def draw_burst(rng: np.random.Generator, scale: float = 1.0) -> dict:
    """Loss-process parameters: mean burst length 1/p_bg packets, bursts every ~1/p_gb packets."""
    return {"p_gb": round(float(rng.uniform(0.002, 0.02) * scale), 5), "p_bg": round(float(rng.uniform(0.08, 0.5)), 4),
            "p_bad": round(float(rng.uniform(0.5, 1.0)), 3), "p_good": round(float(rng.choice([0.0, 0.0, 0.0005])), 5)}


def ts_burst(data: bytes, pid: int, prm: dict, rng: np.random.Generator, protect_pusi: bool = True) -> tuple[bytes, dict]:
    """Drop video-PID TS packets (bursty). Packets that start a PES (PUSI) are kept when `protect_pusi`, so every
    picture still starts and the decoder keeps the frame count; their continuation packets can be lost."""
    ge = GilbertElliott(rng, prm["p_gb"], prm["p_bg"], prm["p_bad"], prm["p_good"])
    out, n, video, dropped = bytearray(), len(data) // TS, 0, 0
    for i in range(n):
        pk = data[i * TS:(i + 1) * TS]
        if pk[0] == 0x47 and ((pk[1] & 0x1F) << 8 | pk[2]) == pid:
            video += 1
            if ge.lost() and not (protect_pusi and pk[1] & 0x40):
                dropped += 1
                continue
        out += pk
    return bytes(out), {"packets": video, "dropped": dropped}


def nal_units(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, header offset) of each Annex B NAL unit, start code included."""
    starts, i = [], data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i)
        i = data.find(b"\x00\x00\x01", i + 3)
    begins = [s - 1 if s > 0 and data[s - 1] == 0 else s for s in starts] + [len(data)]
    return [(begins[k], begins[k + 1], s + 3) for k, s in enumerate(starts)]


def _slice_kind(data: bytes, hdr: int, hevc: bool) -> tuple[bool, bool]:
    """(is a slice, first slice of its picture)."""
    if hevc:
        t = data[hdr] >> 1 & 0x3F
        return t < 32, t < 32 and bool(data[hdr + 2] & 0x80)
    t = data[hdr] & 0x1F
    return t in (1, 5), t in (1, 5) and bool(data[hdr + 1] & 0x80)


def rtp_loss(data: bytes, prm: dict, rng: np.random.Generator, mtu: int = 1200, hevc: bool = False) -> tuple[bytes, dict]:
    """Packetize slices into mtu-sized RTP payloads (one packet, or FU-A fragments), lose packets (bursty), drop
    every slice that lost a packet. One slice per picture is kept when all would be lost (the frame count stays)."""
    ge = GilbertElliott(rng, prm["p_gb"], prm["p_bg"], prm["p_bad"], prm["p_good"])
    units = nal_units(data)
    keep = [True] * len(units)
    pics: list[list[int]] = []
    slices = lost = 0
    for k, (b, e, h) in enumerate(units):
        is_slice, first = _slice_kind(data, h, hevc)
        if not is_slice:
            continue
        if first or not pics:
            pics.append([])
        slices += 1
        packets = max(1, -(-(e - h) // mtu))
        gone = any([ge.lost() for _ in range(packets)])
        pics[-1].append(k)
        if gone:
            keep[k] = False
            lost += 1
    for q in pics:
        if q and not any(keep[k] for k in q):
            keep[q[int(rng.integers(len(q)))]] = True
            lost -= 1
    out = (data[:units[0][0]] if units else data) + b"".join(data[b:e] for k, (b, e, _) in enumerate(units) if keep[k])
    return out, {"slices": slices, "lost": lost}


def bit_errors(data: bytes, prm: dict, rng: np.random.Generator, hevc: bool = False) -> tuple[bytes, dict]:
    """Flip bits inside slice payloads (after a 6-byte header allowance), bursty per slice: a slice hit by the
    loss process gets 1-8 flipped bytes. Parameter sets and SEI are untouched."""
    ge = GilbertElliott(rng, prm["p_gb"] * 8, prm["p_bg"], prm["p_bad"], prm["p_good"])
    buf = bytearray(data)
    hit = slices = 0
    for b, e, h in nal_units(data):
        if not _slice_kind(data, h, hevc)[0] or e - h < 24:
            continue
        slices += 1
        if ge.lost():
            hit += 1
            for _ in range(int(rng.integers(1, 9))):
                pos = int(rng.integers(h + 6, e))
                buf[pos] ^= 1 << int(rng.integers(8))
    return bytes(buf), {"slices": slices, "hit": hit}


# ----------------------------------------------------------------------------- concealment on decoded frames
FILLS = ("freeze", "grey", "black", "white", "green", "smear", "shift", "garbage")


def draw_conceal(rng: np.random.Generator, frames: int, h: int, w: int) -> dict:
    """1-3 loss events: onset frame, region (macroblock-aligned rectangle or full-width slice band), fill style,
    and how long it lasts (until the next refresh, possibly past the clip's end)."""
    events = []
    for _ in range(int(rng.integers(1, 4))):
        t0 = int(rng.integers(1, max(2, frames - 4)))
        if rng.random() < 0.45:  # slice band: whole macroblock rows
            y0 = 16 * int(rng.integers(0, h // 16))
            bh = 16 * int(rng.integers(1, max(2, h // 64)))
            rect = [y0, 0, min(bh, h - y0), w]
        else:
            bh = 16 * int(rng.integers(1, max(2, h // 32)))
            bw = 16 * int(rng.integers(1, max(2, w // 24)))
            y0 = 16 * int(rng.integers(0, max(1, (h - bh) // 16 + 1)))
            x0 = 16 * int(rng.integers(0, max(1, (w - bw) // 16 + 1)))
            rect = [y0, x0, min(bh, h - y0), min(bw, w - x0)]
        events.append({"t0": t0, "dur": int(rng.integers(3, frames + 30)), "rect": rect,
                       "fill": FILLS[int(rng.integers(len(FILLS)))],
                       "shift": [int(rng.integers(-24, 25)), int(rng.integers(-24, 25))]})
    return {"events": events}


def conceal(y: np.ndarray, u: np.ndarray, v: np.ndarray, prm: dict, rng: np.random.Generator):
    """Apply the concealment events to copies of the planes (luma [T,H,W], chroma [T,H/2,W/2])."""
    y, u, v = y.copy(), u.copy(), v.copy()
    T, H, W = y.shape
    for ev in prm["events"]:
        t0, y0, x0, bh, bw = ev["t0"], *ev["rect"]
        t1 = min(T, t0 + ev["dur"])
        fill = ev["fill"]
        sy, sx = ev["shift"]
        stale = [p[t0 - 1].copy() for p in (y, u, v)]
        for t in range(t0, t1):
            for k, p in enumerate((y, u, v)):
                s = 1 if k == 0 else 2
                r0, c0, rh, rw = y0 // s, x0 // s, max(1, bh // s), max(1, bw // s)
                reg = np.s_[r0:r0 + rh, c0:c0 + rw]
                if fill == "freeze":
                    p[t][reg] = stale[k][reg]
                elif fill in ("grey", "black", "white", "green"):
                    val = {"grey": (128, 128), "black": (16, 128), "white": (235, 128), "green": (145, 54)}[fill]
                    p[t][reg] = val[0] if k == 0 else (val[1] if fill != "green" else (54 if k == 1 else 34))
                elif fill == "smear":
                    row = p[t][max(0, r0 - 1), c0:c0 + rw] if r0 > 0 else p[t][r0 + rh - 1 if r0 + rh < p.shape[1] else r0, c0:c0 + rw]
                    p[t][reg] = row[None, :]
                elif fill == "shift":
                    src = np.roll(stale[k], (sy // s, sx // s), (0, 1))
                    p[t][reg] = src[reg]
                elif fill == "garbage" and t == t0:
                    g = rng.integers(0, 256, (rh // (8 // s) + 1, rw // (8 // s) + 1), dtype=np.uint8)
                    p[t][reg] = np.kron(g, np.ones((8 // s, 8 // s), np.uint8))[:rh, :rw]
                elif fill == "garbage":
                    p[t][reg] = p[t - 1][reg]
    return y, u, v
