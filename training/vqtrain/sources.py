"""Lossless source clips (yuv420p y4m, 30 fps) of every content type the detector must know.

A source is described by a small JSON-able spec (`kind` plus the parameters drawn from a seeded generator), so a
dataset manifest says exactly how each clip was made and `make(spec, out)` rebuilds it byte for byte.

Kinds (content types):
  photo      a still photo with vqbench's slow zoom/pan (`vqbench.make_source`, called, not copied)
  graphics   a wallpaper/illustration/screenshot image, same zoom/pan
  motion     a photo background that pans while one or two objects (crops of other photos) move and rotate over
             it; optionally a scene cut to a second such scene
  bars       test patterns and colour bars (smptebars, pal bars, testsrc, rgb/yuv test sources, colour spectrum,
             colour chart), static or slowly panned, optionally with a moving inset
  cellular   cellular automata (life, cellauto) scaled up with sharp cell edges, coloured
  fractal    mandelbrot zooms and sierpinski pans
  gradient   moving colour gradients with film grain
  cartoon    a photo source posterized into flat fills (blur, then a few levels per channel)
  text       a photo or motion source with a lower-third banner, a scrolling ticker and a static caption
  dark       a photo source darkened (low light) with temporal sensor noise

`draw(kind, rng, images)` draws a spec; `make(spec, out, tmp)` writes the y4m.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from . import bench, y4m

FPS = 30
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
KINDS = ("photo", "graphics", "motion", "bars", "cellular", "fractal", "gradient", "cartoon", "text", "dark")
BAR_SOURCES = ("smptebars", "smptehdbars", "pal75bars", "pal100bars", "rgbtestsrc", "yuvtestsrc", "testsrc",
               "testsrc2", "colorspectrum", "colorchart")
WORDS = ("breaking", "news", "markets", "weather", "sport", "live", "update", "traffic", "election", "storm",
         "finals", "record", "city", "council", "report", "index", "rises", "falls", "north", "south", "goal",
         "press", "release", "tonight", "alert", "channel", "studio", "world", "local", "science")


def _ff(args: list[str]) -> None:
    bench.module().sh(bench.module().FF + args)


def _hex(rng: np.random.Generator) -> str:
    return "0x%06x" % int(rng.integers(0, 1 << 24))


def _f(rng: np.random.Generator, a: float, b: float, nd: int = 4) -> float:
    return round(float(rng.uniform(a, b)), nd)


def _i(rng: np.random.Generator, a: int, b: int) -> int:
    return int(rng.integers(a, b + 1))


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


# ----------------------------------------------------------------------------- drawing specs
def draw(kind: str, rng: np.random.Generator, images: list[str], graphics: list[str] | None = None) -> dict:
    """A source spec of `kind`. `images`: photos to draw from; `graphics`: wallpaper/screenshot images."""
    if kind == "photo":
        return {"kind": kind, "image": _pick(rng, images)}
    if kind == "graphics":
        return {"kind": kind, "image": _pick(rng, graphics or images)}
    if kind == "motion":
        scenes = [_motion_scene(rng, images) for _ in range(2 if rng.random() < 0.35 else 1)]
        return {"kind": kind, "scenes": scenes, "cut": _f(rng, 0.3, 0.7, 3) if len(scenes) > 1 else None}
    if kind == "bars":
        return {"kind": kind, "src": _pick(rng, BAR_SOURCES), "pan": bool(rng.random() < 0.5),
                "zoom": _f(rng, 1.0, 1.6, 3), "inset": bool(rng.random() < 0.5), "inset_xy": [_f(rng, 0, 1), _f(rng, 0, 1)],
                "grain": _i(rng, 0, 6) if rng.random() < 0.4 else 0}
    if kind == "cellular":
        return {"kind": kind, "src": _pick(rng, ("life", "cellauto")), "cell": _pick(rng, (1, 2, 3, 4, 5, 6, 8, 12, 16)),
                "rule": _pick(rng, (18, 22, 30, 45, 60, 73, 90, 105, 110, 126, 150)), "ratio": _f(rng, 0.05, 0.6, 3),
                "seed": _i(rng, 0, 10 ** 6), "fg": _hex(rng), "bg": _hex(rng), "mold": _hex(rng)}
    if kind == "fractal":
        if rng.random() < 0.6:
            cx, cy = _pick(rng, ((-0.743643887, 0.131825904), (-0.7746806, -0.1374497), (-1.25066, 0.02012),
                                 (-0.235125, 0.827215), (0.2549870, 0.0005)))
            return {"kind": kind, "src": "mandelbrot", "x": cx, "y": cy, "scale": _f(rng, 0.002, 0.5, 5),
                    "zoom": _f(rng, 0.6, 0.97, 3), "maxiter": _i(rng, 300, 2000)}
        return {"kind": kind, "src": "sierpinski", "type": _pick(rng, ("carpet", "triangle")), "jump": _i(rng, 1, 4),
                "seed": _i(rng, 0, 10 ** 6)}
    if kind == "gradient":
        return {"kind": kind, "colors": [_hex(rng) for _ in range(_i(rng, 2, 6))], "speed": _f(rng, 0.005, 0.05),
                "seed": _i(rng, 0, 10 ** 6), "type": _pick(rng, ("linear", "radial", "circular", "spiral")),
                "grain": _i(rng, 0, 14)}
    if kind == "cartoon":
        return {"kind": kind, "base": draw(_pick(rng, ("photo", "motion")), rng, images),
                "blur": _f(rng, 0.8, 3.0, 2), "levels": _i(rng, 3, 8)}
    if kind == "text":
        words = " ".join(_pick(rng, WORDS) for _ in range(_i(rng, 8, 20))).upper()
        return {"kind": kind, "base": draw(_pick(rng, ("photo", "motion")), rng, images), "ticker": words,
                "speed": _i(rng, 60, 240), "banner": _hex(rng), "size": _i(rng, 14, 40), "caption": _pick(rng, WORDS).upper(),
                "clock": bool(rng.random() < 0.5)}
    if kind == "dark":
        return {"kind": kind, "base": draw("photo", rng, images), "brightness": _f(rng, -0.35, -0.1, 3),
                "gamma": _f(rng, 0.5, 0.9, 3), "contrast": _f(rng, 0.4, 0.8, 3), "noise": _i(rng, 3, 16)}
    raise ValueError("unknown source kind %s" % kind)


def _motion_scene(rng: np.random.Generator, images: list[str]) -> dict:
    objs = []
    for _ in range(_i(rng, 1, 2)):
        objs.append({"image": _pick(rng, images), "size": _f(rng, 0.15, 0.45, 3), "x0": _f(rng, 0.0, 0.8),
                     "y0": _f(rng, 0.0, 0.8), "vx": _f(rng, -0.35, 0.35), "vy": _f(rng, -0.25, 0.25),
                     "spin": _f(rng, -1.2, 1.2), "angle": _f(rng, 0, 6.28)})
    return {"bg": _pick(rng, images), "pan": [_f(rng, 0, 1), _f(rng, 0, 1), _f(rng, 0, 1), _f(rng, 0, 1)],
            "zoom": _f(rng, 1.2, 2.0, 3), "objects": objs}


# ----------------------------------------------------------------------------- making clips
def make(spec: dict, out: str, w: int, h: int, n: int, seed: int) -> None:
    """Write the source clip of `spec` to `out` (y4m, yuv420p, n frames of w x h at 30 fps)."""
    kind = spec["kind"]
    if kind in ("photo", "graphics"):
        bench.module().make_source(spec["image"], out, w, h, n, np.random.default_rng(seed))
    elif kind == "motion":
        _motion(spec, out, w, h, n)
    elif kind in ("bars", "cellular", "fractal", "gradient"):
        _ff(["-f", "lavfi", "-i", _lavfi(spec, w, h), "-frames:v", str(n), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", out])
    elif kind in ("cartoon", "text", "dark"):
        tmp = out + ".base.y4m"
        make(spec["base"], tmp, w, h, n, seed + 1)
        _ff(["-i", tmp, "-vf", _post(spec, w, h), "-frames:v", str(n), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", out])
        os.remove(tmp)
    else:
        raise ValueError("unknown source kind %s" % kind)
    got = bench.module().load_luma(out).shape
    if got != (n, h, w):
        raise RuntimeError("source %s: made %s, expected %s" % (kind, got, (n, h, w)))


def _lavfi(s: dict, w: int, h: int) -> str:
    k = s["kind"]
    if k == "bars":
        z = s["zoom"]
        bw, bh = int(w * z) // 2 * 2, int(h * z) // 2 * 2
        size = "s=%dx%d:r=%d" % (bw, bh, FPS)
        g = "%s=%s" % (s["src"], size) if s["src"] != "colorchart" else "colorchart=r=%d,scale=%d:%d:flags=neighbor" % (FPS, bw, bh)
        # a slow diagonal pan across the (larger) pattern, or a fixed crop
        x = "(iw-%d)*t/4" % w if s["pan"] else "(iw-%d)/2" % w
        y = "(ih-%d)*t/6" % h if s["pan"] else "(ih-%d)/2" % h
        g += ",crop=%d:%d:x='min(%s,iw-%d)':y='min(%s,ih-%d)'" % (w, h, x, w, y, h)
        if s["inset"]:
            iw, ih = w // 4 // 2 * 2, h // 4 // 2 * 2
            ix, iy = int(s["inset_xy"][0] * (w - iw)), int(s["inset_xy"][1] * (h - ih))
            g = "%s[a];testsrc2=s=%dx%d:r=%d[b];[a][b]overlay=%d:%d" % (g, iw, ih, FPS, ix, iy)
        if s["grain"]:
            g += ",format=yuv420p,noise=alls=%d:allf=t" % s["grain"]
        return g
    if k == "cellular":
        c = s["cell"]
        cw, ch = -(-w // c), -(-h // c)
        if s["src"] == "life":
            g = ("life=s=%dx%d:r=%d:ratio=%s:seed=%d:mold=10:life_color=%s:death_color=%s:mold_color=%s"
                 % (cw, ch, FPS, s["ratio"], s["seed"], s["fg"], s["bg"], s["mold"]))
        else:
            g = ("cellauto=s=%dx%d:r=%d:rule=%d:random_fill_ratio=%s:random_seed=%d:scroll=1,format=rgb24,"
                 "lutrgb=r='if(val,%d,%d)':g='if(val,%d,%d)':b='if(val,%d,%d)'"
                 % (cw, ch, FPS, s["rule"], s["ratio"], s["seed"], *_rgb_pairs(s["fg"], s["bg"])))
        return g + ",scale=%d:%d:flags=neighbor,crop=%d:%d:0:0" % (cw * c, ch * c, w, h)
    if k == "fractal":
        if s["src"] == "mandelbrot":
            return ("mandelbrot=s=%dx%d:r=%d:start_x=%s:start_y=%s:start_scale=%s:end_scale=%s:end_pts=%d:maxiter=%d"
                    % (w, h, FPS, s["x"], s["y"], s["scale"], s["scale"] * s["zoom"] ** 4, 4, s["maxiter"]))
        return "sierpinski=s=%dx%d:r=%d:type=%s:jump=%d:seed=%d" % (w, h, FPS, s["type"], s["jump"], s["seed"])
    if k == "gradient":
        cols = ":".join("c%d=%s" % (i, c) for i, c in enumerate(s["colors"]))
        g = "gradients=s=%dx%d:r=%d:%s:nb_colors=%d:speed=%s:seed=%d:type=%s" % (
            w, h, FPS, cols, len(s["colors"]), s["speed"], s["seed"], s["type"])
        return g + (",format=yuv420p,noise=alls=%d:allf=t" % s["grain"] if s["grain"] else "")
    raise ValueError(k)


def _rgb_pairs(fg: str, bg: str) -> tuple[int, ...]:
    f, b = int(fg, 16), int(bg, 16)
    return (f >> 16 & 255, b >> 16 & 255, f >> 8 & 255, b >> 8 & 255, f & 255, b & 255)


def _post(s: dict, w: int, h: int) -> str:
    k = s["kind"]
    if k == "cartoon":
        L = 256 // s["levels"]
        q = "'floor(val/%d)*%d+%d'" % (L, L, L // 2)
        return "gblur=sigma=%s,format=rgb24,lutrgb=r=%s:g=%s:b=%s,format=yuv420p" % (s["blur"], q, q, q)
    if k == "dark":
        return "eq=brightness=%s:contrast=%s:gamma=%s,noise=alls=%d:allf=t" % (
            s["brightness"], s["contrast"], s["gamma"], s["noise"])
    if k == "text":
        fs = s["size"] * h // 360
        by = int(h * 0.8)
        g = ("drawbox=x=0:y=%d:w=iw:h=%d:color=%s@0.85:t=fill,"
             "drawtext=fontfile=%s:text='%s':fontsize=%d:fontcolor=white:x='w-mod(t*%d\\,w+tw)':y=%d+(%d-th)/2,"
             "drawtext=fontfile=%s:text='%s':fontsize=%d:fontcolor=yellow:borderw=2:x=%d:y=%d"
             % (by, h - by - h // 30, s["banner"], FONT, s["ticker"], fs, s["speed"] * w // 640, by, h - by - h // 30,
                FONT, s["caption"], fs, w // 20, h // 16))
        if s["clock"]:
            g += ",drawtext=fontfile=%s:text='%%{pts\\:hms}':fontsize=%d:fontcolor=white:box=1:boxcolor=black@0.5:x=w-tw-%d:y=%d" % (
                FONT, fs, w // 20, h // 16)
        return g
    raise ValueError(k)


def _motion(s: dict, out: str, w: int, h: int, n: int) -> None:
    cut = int(round(n * s["cut"])) if s.get("cut") else n
    parts = [(s["scenes"][0], cut)] + ([(s["scenes"][1], n - cut)] if cut < n else [])
    tmpdir = tempfile.mkdtemp(prefix="vqsrc")
    try:
        ys, us, vs, hdr = [], [], [], None
        for i, (scene, frames) in enumerate(parts):
            p = os.path.join(tmpdir, "%d.y4m" % i)
            _scene(scene, p, w, h, frames)
            y, u, v, hdr = y4m.read(p)
            ys.append(y); us.append(u); vs.append(v)
        y4m.write(out, np.concatenate(ys), np.concatenate(us), np.concatenate(vs), hdr)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _still(image: str, w: int, h: int, out: str) -> str:
    """The image cover-scaled and cropped to w x h once (PNG), so the looped input is not rescaled every frame."""
    _ff(["-i", image, "-vf", "scale=%d:%d:force_original_aspect_ratio=increase:flags=lanczos,crop=%d:%d,format=rgb24"
         % (w, h, w, h), "-frames:v", "1", out])
    return out


def _scene(sc: dict, out: str, w: int, h: int, n: int) -> None:
    z = sc["zoom"]
    bw, bh = int(w * z) // 2 * 2, int(h * z) // 2 * 2
    x0, x1, y0, y1 = sc["pan"]
    dur = max(n - 1, 1) / FPS
    args = ["-loop", "1", "-framerate", str(FPS), "-i", _still(sc["bg"], bw, bh, out + ".bg.png")]
    fg = ("[0:v]crop=%d:%d:x='(iw-%d)*(%s+(%s)*t/%s)':y='(ih-%d)*(%s+(%s)*t/%s)'[v0]"
          % (w, h, w, x0, x1 - x0, dur, h, y0, y1 - y0, dur))
    last = "v0"
    for j, o in enumerate(sc["objects"]):
        ow = max(16, int(w * o["size"]) // 2 * 2)
        oh = max(16, int(ow * 0.75) // 2 * 2)
        args += ["-loop", "1", "-framerate", str(FPS), "-i", _still(o["image"], ow, oh, out + ".o%d.png" % j)]
        fg += (";[%d:v]format=rgba,rotate=a='%s+%s*t':c=none:ow=hypot(iw\\,ih):oh=ow[o%d]"
               % (j + 1, o["angle"], o["spin"], j))
        x = "'%d*(%s+%s*t)-%d'" % (w, o["x0"], o["vx"], ow // 2)
        y = "'%d*(%s+%s*t)-%d'" % (h, o["y0"], o["vy"], oh // 2)
        fg += ";[%s][o%d]overlay=x=%s:y=%s:shortest=1[v%d]" % (last, j, x, y, j + 1)
        last = "v%d" % (j + 1)
    fg += ";[%s]format=yuv420p[out]" % last
    _ff(args + ["-filter_complex", fg, "-map", "[out]", "-frames:v", str(n), "-r", str(FPS), "-f", "yuv4mpegpipe", out])
