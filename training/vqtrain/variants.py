"""Codecs and loss patterns: how each training/evaluation clip is damaged, with real encoders and real decoders.

A variant is a codec family at a quality ladder (compression or clean) or a codec with a loss pattern
(transmission). `VARIANTS[name].draw(rng, frames)` draws its parameters; `make_clip` encodes the source, damages and
decodes it, computes the ground truth with vqbench's `compute_gt` and returns a vqbench manifest record.

Codec families: h264 (libx264), hevc (libx265), mpeg2, mpeg1, mpeg4 (mpeg4 / libxvid), h263 (h263p / flv), msmpeg
(msmpeg4 / wmv2), mjpeg, vp8, vp9, av1 (libsvtav1 / libaom), theora.
Loss patterns: slices (uniform slice loss), ts_bytes (TS payload corruption), ts_burst (bursty TS packet loss),
rtp (RTP-sized packets, bursty, lost slices), bitflip (bit errors in slices), conceal (lost regions concealed as
frozen / grey / black / white / green / smeared / shifted / garbage, held until a refresh).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import bench, damage, y4m


@dataclass(frozen=True)
class Variant:
    name: str
    codec: str                     # codec family (hold-outs are whole families)
    loss: str | None               # loss pattern, None for compression/clean variants
    draw: Callable[[np.random.Generator], dict]

    @property
    def expect(self) -> str:
        return "transmission" if self.loss else ("clean" if self.name.endswith("_clean") else "compression")


def _i(rng, a, b):
    return int(rng.integers(a, b + 1))


def _c(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _gop(rng, lo=12, hi=300):
    return _c(rng, (lo, 15, 24, 30, 48, 60, 90, 120, 250, hi))


EC = ("guess_mvs+deblock", "guess_mvs+deblock", "favor_inter+guess_mvs+deblock", "guess_mvs", "deblock", "0")

V: dict[str, Variant] = {}


def _add(name, codec, loss, draw):
    V[name] = Variant(name, codec, loss, draw)


# ---- compression and clean ladders -------------------------------------------------------------------------------
_add("h264_clean", "h264", None, lambda r: {"crf": _i(r, 14, 22), "preset": _c(r, ("veryfast", "medium", "slow")), "keyint": _gop(r), "bf": _i(r, 0, 3)})
_add("h264_lowrate", "h264", None, lambda r: {"crf": _i(r, 28, 40), "preset": _c(r, ("ultrafast", "veryfast", "medium")), "keyint": _gop(r), "bf": _i(r, 0, 3)})
_add("h264_highqp", "h264", None, lambda r: {"qp": _i(r, 42, 51), "preset": _c(r, ("veryfast", "medium")), "keyint": _gop(r), "bf": _i(r, 0, 3)})
_add("h264_nodeblock", "h264", None, lambda r: {"qp": _i(r, 30, 48), "deblock": False, "preset": _c(r, ("ultrafast", "veryfast", "medium")), "keyint": _gop(r), "bf": _i(r, 0, 3)})
_add("hevc_clean", "hevc", None, lambda r: {"crf": _i(r, 16, 24), "preset": _c(r, ("ultrafast", "fast")), "keyint": _gop(r)})
_add("hevc_lowrate", "hevc", None, lambda r: {"qp": _i(r, 38, 51), "preset": _c(r, ("ultrafast", "fast")), "keyint": _gop(r)})
_add("hevc_nodeblock", "hevc", None, lambda r: {"qp": _i(r, 32, 50), "deblock": False, "preset": _c(r, ("ultrafast", "fast")), "keyint": _gop(r)})
_add("mpeg2_clean", "mpeg2", None, lambda r: {"q": _i(r, 2, 4), "g": _gop(r, 12, 60), "bf": _i(r, 0, 2)})
_add("mpeg2_lowrate", "mpeg2", None, lambda r: {"q": _i(r, 8, 31), "g": _gop(r, 12, 60), "bf": _i(r, 0, 2)})
_add("mpeg1_lowrate", "mpeg1", None, lambda r: {"q": _i(r, 8, 31), "g": _gop(r, 12, 60)})
_add("mpeg4_clean", "mpeg4", None, lambda r: {"enc": _c(r, ("mpeg4", "libxvid")), "q": _i(r, 2, 3), "g": _gop(r, 12, 250), "bf": _i(r, 0, 2)})
_add("mpeg4_lowrate", "mpeg4", None, lambda r: {"enc": _c(r, ("mpeg4", "libxvid")), "q": _i(r, 8, 31), "g": _gop(r, 12, 250), "bf": _i(r, 0, 2)})
_add("h263_lowrate", "h263", None, lambda r: {"enc": _c(r, ("h263p", "flv")), "q": _i(r, 6, 31), "g": _gop(r, 12, 250)})
_add("msmpeg_lowrate", "msmpeg", None, lambda r: {"enc": _c(r, ("msmpeg4", "wmv2")), "q": _i(r, 6, 31), "g": _gop(r, 12, 250)})
_add("mjpeg_clean", "mjpeg", None, lambda r: {"q": _i(r, 2, 4)})
_add("mjpeg_lowq", "mjpeg", None, lambda r: {"q": _i(r, 8, 31)})
_add("vp8_clean", "vp8", None, lambda r: {"crf": _i(r, 4, 12), "b": "4M", "g": _gop(r)})
_add("vp8_lowrate", "vp8", None, lambda r: {"crf": _i(r, 40, 63), "b": "%dk" % _i(r, 30, 250), "g": _gop(r)})
_add("vp9_clean", "vp9", None, lambda r: {"crf": _i(r, 15, 30), "b": "0", "g": _gop(r)})
_add("vp9_lowrate", "vp9", None, lambda r: {"crf": _i(r, 50, 63), "b": "%dk" % _i(r, 25, 200), "g": _gop(r)})
_add("av1_clean", "av1", None, lambda r: {"enc": _c(r, ("libsvtav1", "libaom-av1")), "crf": _i(r, 18, 32), "g": _gop(r)})
_add("av1_lowrate", "av1", None, lambda r: {"enc": _c(r, ("libsvtav1", "libaom-av1")), "crf": _i(r, 52, 63), "g": _gop(r)})
# Near-lossless encodes: clean references for content whose sharp edges any ordinary encode turns into blocking
# (text, cartoon fills, cellular patterns, test patterns).
_add("h264_pristine_clean", "h264", None, lambda r: {"crf": _i(r, 4, 13), "preset": _c(r, ("veryfast", "medium")), "keyint": _gop(r), "bf": _i(r, 0, 3)})
_add("hevc_pristine_clean", "hevc", None, lambda r: {"crf": _i(r, 6, 15), "preset": _c(r, ("ultrafast", "fast")), "keyint": _gop(r)})
_add("mpeg2_pristine_clean", "mpeg2", None, lambda r: {"q": _i(r, 1, 2), "g": _gop(r, 12, 60), "bf": _i(r, 0, 2)})
_add("theora_lowrate", "theora", None, lambda r: {"q": _i(r, 0, 3), "g": _gop(r, 12, 250)})

# ---- transmission damage -----------------------------------------------------------------------------------------
_add("h264_slices", "h264", "slices", lambda r: {"crf": _i(r, 16, 26), "slices": _c(r, (2, 4, 8, 12, 16)), "keyint": _gop(r, 30),
                                                 "p": round(float(r.uniform(0.02, 0.2)), 4), "ec": _c(r, EC)})
_add("mpeg2_ts_bytes", "mpeg2", "ts_bytes", lambda r: {"q": _i(r, 2, 8), "g": _gop(r, 12, 60), "bf": _i(r, 0, 2),
                                                       "p": round(float(r.uniform(0.003, 0.03)), 4), "ec": _c(r, EC)})
_add("h264_ts_burst", "h264", "ts_burst", lambda r: {"kbps": _i(r, 600, 4000), "keyint": _gop(r, 30), "bf": _i(r, 0, 3), "ec": _c(r, EC),
                                                     "intra_refresh": bool(r.random() < 0.15), "slices": _c(r, (1, 1, 1, 4, 8)),
                                                     "burst": damage.draw_burst(r)})
_add("hevc_ts_burst", "hevc", "ts_burst", lambda r: {"kbps": _i(r, 400, 3000), "preset": "ultrafast", "keyint": _gop(r, 30),
                                                     "burst": damage.draw_burst(r)})
_add("mpeg2_ts_burst", "mpeg2", "ts_burst", lambda r: {"kbps": _i(r, 1000, 6000), "g": _gop(r, 12, 60), "bf": _i(r, 0, 2), "ec": _c(r, EC),
                                                       "burst": damage.draw_burst(r)})
_add("mpeg4_ts_burst", "mpeg4", "ts_burst", lambda r: {"enc": "mpeg4", "kbps": _i(r, 600, 4000), "g": _gop(r, 30, 250), "bf": 0, "ec": _c(r, EC),
                                                       "burst": damage.draw_burst(r)})
_add("h264_rtp", "h264", "rtp", lambda r: {"crf": _i(r, 16, 26), "keyint": _gop(r, 30), "bf": _i(r, 0, 2), "ec": _c(r, EC),
                                           "slice_max": _c(r, (600, 1000, 1200, 1400)), "burst": damage.draw_burst(r, 3.0)})
_add("h264_bitflip", "h264", "bitflip", lambda r: {"crf": _i(r, 16, 26), "keyint": _gop(r, 30), "bf": _i(r, 0, 2), "ec": _c(r, EC),
                                                   "slices": _c(r, (1, 4, 8)), "burst": damage.draw_burst(r)})
# Milder bursts (bursts 5x rarer): damage that stays a few blocks wide and lives until the next IDR.
_add("h264_ts_mild", "h264", "ts_burst", lambda r: {"kbps": _i(r, 600, 4000), "keyint": _gop(r, 30), "bf": _i(r, 0, 3), "ec": _c(r, EC),
                                                    "intra_refresh": bool(r.random() < 0.15), "slices": _c(r, (1, 1, 1, 4, 8)),
                                                    "burst": damage.draw_burst(r, 0.2)})
_add("hevc_ts_mild", "hevc", "ts_burst", lambda r: {"kbps": _i(r, 400, 3000), "preset": "ultrafast", "keyint": _gop(r, 30),
                                                    "burst": damage.draw_burst(r, 0.2)})
_add("mpeg2_ts_mild", "mpeg2", "ts_burst", lambda r: {"kbps": _i(r, 1000, 6000), "g": _gop(r, 12, 60), "bf": _i(r, 0, 2), "ec": _c(r, EC),
                                                      "burst": damage.draw_burst(r, 0.2)})
_add("h264_rtp_mild", "h264", "rtp", lambda r: {"crf": _i(r, 16, 26), "keyint": _gop(r, 30), "bf": _i(r, 0, 2), "ec": _c(r, EC),
                                                "slice_max": _c(r, (600, 1000, 1200, 1400)), "burst": damage.draw_burst(r, 0.5)})
_add("conceal", "h264", "conceal", lambda r: {"carrier": {"crf": _i(r, 14, 22), "keyint": _gop(r, 30), "bf": _i(r, 0, 2)}})

CODECS = sorted({v.codec for v in V.values()})
LOSSES = sorted({v.loss for v in V.values() if v.loss})


# ---- encoding ----------------------------------------------------------------------------------------------------
def _rate(p: dict, scale: float, q: list[str]) -> list[str]:
    """Constant-bitrate-like control (broadcast/streaming: `kbps` per 640x360, scaled by the frame area) or `q`."""
    if "kbps" not in p:
        return q
    b = int(p["kbps"] * scale)
    return ["-b:v", "%dk" % b, "-maxrate", "%dk" % b, "-bufsize", "%dk" % (2 * b)]


def encode_args(codec: str, p: dict, container: str | None = None, scale: float = 1.0) -> tuple[list[str], str]:
    """ffmpeg output arguments (without the file) and the bitstream's extension; `scale` = frame area / 640x360."""
    if codec == "h264":
        xp = ["keyint=%d" % p.get("keyint", 250), "bframes=%d" % p.get("bf", 3)]
        if p.get("deblock") is False:
            xp.append("no-deblock=1")
        if p.get("slices", 1) > 1:
            xp.append("slices=%d" % p["slices"])
        if p.get("slice_max"):
            xp.append("slice-max-size=%d" % p["slice_max"])
        if p.get("intra_refresh"):
            xp.append("intra-refresh=1")
        rc = _rate(p, scale, ["-crf", str(p["crf"])] if "crf" in p else ["-qp", str(p.get("qp"))])
        return ["-c:v", "libx264", "-preset", p.get("preset", "medium"), "-threads", "1", *rc, "-x264-params", ":".join(xp)], \
            container or ".h264"
    if codec == "hevc":
        xp = ["log-level=error", "pools=1", "frame-threads=1", "keyint=%d" % p.get("keyint", 250)]
        if p.get("deblock") is False:
            xp += ["no-deblock=1", "no-sao=1"]
        rc = _rate(p, scale, ["-crf", str(p["crf"])] if "crf" in p else ["-qp", str(p.get("qp"))])
        return ["-c:v", "libx265", "-preset", p.get("preset", "fast"), *rc, "-x265-params", ":".join(xp)], container or ".hevc"
    if codec in ("mpeg2", "mpeg1"):
        return ["-c:v", codec + "video", *_rate(p, scale, ["-q:v", str(p.get("q"))]), "-g", str(p.get("g", 12)), "-bf", str(p.get("bf", 0)),
                "-threads", "1"], container or (".m2v" if codec == "mpeg2" else ".m1v")
    if codec == "mpeg4":
        return ["-c:v", p.get("enc", "mpeg4"), *_rate(p, scale, ["-q:v", str(p.get("q"))]), "-g", str(p.get("g", 12)), "-bf", str(p.get("bf", 0)),
                "-threads", "1"], container or ".mkv"
    if codec in ("h263", "msmpeg"):
        return ["-c:v", p["enc"], "-q:v", str(p["q"]), "-g", str(p.get("g", 12)), "-threads", "1"], \
            container or (".flv" if p["enc"] == "flv" else ".avi")
    if codec == "mjpeg":
        return ["-c:v", "mjpeg", "-q:v", str(p["q"]), "-pix_fmt", "yuv420p", "-strict", "-1"], container or ".mkv"
    if codec in ("vp8", "vp9"):
        return ["-c:v", "libvpx" if codec == "vp8" else "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                "-crf", str(p["crf"]), "-b:v", p["b"], "-g", str(p.get("g", 120)), "-threads", "1"], container or ".webm"
    if codec == "av1":
        if p["enc"] == "libsvtav1":
            return ["-c:v", "libsvtav1", "-preset", "12", "-crf", str(p["crf"]), "-g", str(p.get("g", 120)),
                    "-svtav1-params", "lp=1"], container or ".mkv"
        return ["-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-crf", str(p["crf"]), "-g", str(p.get("g", 120)),
                "-threads", "1"], container or ".mkv"
    if codec == "theora":
        return ["-c:v", "libtheora", "-q:v", str(p["q"]), "-g", str(p.get("g", 64))], container or ".ogv"
    raise ValueError("unknown codec %s" % codec)


FORMATS = {".h264": "h264", ".hevc": "hevc", ".m2v": "mpeg2video", ".m1v": "mpeg1video", ".avi": "avi", ".flv": "flv",
           ".mkv": "matroska", ".webm": "webm", ".ogv": "ogg", ".ts": "mpegts"}


def encode(codec: str, p: dict, src: str, base: str, container: str | None = None, scale: float = 1.0) -> str:
    args, ext = encode_args(codec, p, container, scale)
    vq = bench.module()
    vq.sh(vq.FF + ["-i", src, *args, "-pix_fmt", "yuv420p", "-an", "-fflags", "+bitexact", "-f", FORMATS[ext], base + ext])
    return base + ext


def decode(bits: str, out: str, ec: str | None = None, damaged: bool = False) -> None:
    vq = bench.module()
    pre = ["-threads", "1"] + (["-err_detect", "ignore_err"] if damaged else []) + (["-ec", ec] if ec else [])
    vq.sh(vq.FF + pre + ["-i", bits, "-map", "0:v:0", "-fps_mode", "passthrough", "-pix_fmt", "yuv420p",
                         "-f", "yuv4mpegpipe", out])


def _video_pid(ts: str) -> int:
    vq = bench.module()
    return int(vq.sh(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=id", "-of", "csv=p=0",
                      ts]).decode().split()[0].split(",")[0], 0)


def _damage(v: Variant, p: dict, clean: bytes, bits: str, rng: np.random.Generator) -> tuple[bytes, dict]:
    vq = bench.module()
    if v.loss == "slices":
        return vq.damage_h264(clean, p["p"], rng)
    if v.loss == "ts_bytes":
        return vq.damage_ts(clean, _video_pid(bits), p["p"], rng)
    if v.loss == "ts_burst":
        return damage.ts_burst(clean, _video_pid(bits), p["burst"], rng)
    if v.loss == "rtp":
        return damage.rtp_loss(clean, p["burst"], rng, mtu=p["slice_max"], hevc=v.codec == "hevc")
    if v.loss == "bitflip":
        return damage.bit_errors(clean, p["burst"], rng, hevc=v.codec == "hevc")
    raise ValueError(v.loss)


def make_clip(out: str, sid: str, name: str, src_luma: np.ndarray, seed: int, meta: dict | None = None) -> dict | None:
    """Encode src/<sid>.y4m with variant `name`, damage, decode, ground truth -> vqbench manifest record (None when a
    damaged stream never decodes to the source's frame count in 5 draws)."""
    vq = bench.module()
    v = V[name]
    clip = "%s__%s" % (sid, name)
    p = v.draw(vq.rng_for(seed, clip, "params"))
    src, base = os.path.join(out, "src", sid + ".y4m"), os.path.join(out, "bits", clip)
    dist_p, ref_p = os.path.join(out, "dist", clip + ".y4m"), os.path.join(out, "ref", clip + ".y4m")
    T, H, W = src_luma.shape
    rec = dict(clip=clip, sid=sid, variant=name, codec=v.codec, loss=v.loss, params=p, width=W, height=H, frames=T,
               dist="dist/%s.y4m" % clip, ref=None, reference="src/%s.y4m" % sid, gt="gt/%s.npz" % clip, **(meta or {}))
    ref = None
    if v.loss is None:
        bits = encode(v.codec, p, src, base)
        decode(bits, dist_p)
        dist = vq.load_luma(dist_p)
        os.remove(bits)
        if dist.shape != src_luma.shape:  # an encoder/container that lost a frame: no frame-exact ground truth
            os.remove(dist_p)
            return None
    elif v.loss == "conceal":
        bits = encode("h264", p["carrier"], src, base)
        decode(bits, ref_p)
        os.remove(bits)
        ry, ru, rv, hdr = y4m.read(ref_p)
        p.update(damage.draw_conceal(vq.rng_for(seed, clip, "damage"), T, H, W))
        dy, du, dv = damage.conceal(ry, ru, rv, p, vq.rng_for(seed, clip, "garbage"))
        y4m.write(dist_p, dy, du, dv, hdr)
        ref, dist = ry, dy
    else:
        container = ".ts" if v.loss.startswith("ts") else None
        bits = encode(v.codec, p, src, base, container, W * H / (640 * 360))
        decode(bits, ref_p)
        ref = vq.load_luma(ref_p)
        clean = open(bits, "rb").read()
        dist = None
        for attempt in range(5):
            bad, info = _damage(v, p, clean, bits, vq.rng_for(seed, clip, "damage", attempt))
            dbits = base + ".damaged" + os.path.splitext(bits)[1]
            with open(dbits, "wb") as f:
                f.write(bad)
            try:
                decode(dbits, dist_p, p.get("ec"), damaged=True)
                dist = vq.load_luma(dist_p)
            except vq.BenchError:
                dist = None
            os.remove(dbits)
            if dist is not None and dist.shape == ref.shape:
                p.update(damage=info, attempt=attempt)
                break
            dist = None
        os.remove(bits)
        if dist is None:
            for f in (dist_p, ref_p):
                if os.path.exists(f):
                    os.remove(f)
            return None
    if ref is not None:
        if ref.shape != src_luma.shape:
            raise vq.BenchError("%s: reference decode %s, source %s" % (clip, ref.shape, src_luma.shape))
        rec.update(ref="ref/%s.y4m" % clip, reference="ref/%s.y4m" % clip)
    if dist.shape != src_luma.shape:
        raise vq.BenchError("%s: decoded %s, source %s" % (clip, dist.shape, src_luma.shape))
    g = vq.compute_gt(dist, src_luma, ref)
    vq.save_npz(os.path.join(out, rec["gt"]), g)
    rec["stats"] = vq.gt_stats(g)
    return rec
