"""Datasets: what the detector trains on, what calibrates it, and what it is judged on, split by whole image
collections, whole content types and whole codecs / loss patterns.

    /usr/bin/python3 -m vqtrain.data --work /work/vq [--only train calib ...] [--jobs 2] [--smoke]

Images (all from Debian packages, fetched with `apt-get download`, never installed):
  vqbench's public pool (`vqbench.py pool public`): 37 photos in 4 collections (packages)
  an extra pool (`extra_pool`): mate-backgrounds (nature photos; abstract and desktop art), ukui-wallpapers,
  gnome-backgrounds, sway-backgrounds, xfdesktop4-data (wallpapers and illustrations), marble-data (screenshots)

Splits:
  test collection  plasma-workspace-wallpapers (11 photos of the public pool): never trained on, never calibrated on
  validation split vqbench's public validation images (every 4th of the sorted pool from index 1; 9 images, 3 of
                   them plasma): never trained on; the in-distribution comparison with detector 1.x
  calibration      mate-backgrounds nature photos (12) and art (14) + new instances of the synthetic generators:
                   severity and thresholds are chosen here, never on a test set
  training         the rest of the public pool (19 photos), ukui (12), gnome/sway/xfce art and marble screenshots (32)
Held out from training and calibration entirely (judged in test sets only):
  content type     `fractal` (mandelbrot zooms, sierpinski patterns)
  codec            VP9 (vp9_clean, vp9_lowrate)
  loss pattern     MPEG-4 Part 2 in MPEG-TS with bursty packet loss (mpeg4_ts_burst)

Datasets (folders under --work, each in vqbench's layout):
  train, train2, calib         corpus recipes (`vqtrain.corpus`), every kind and training variant (train2 adds
                               milder packet-loss bursts)
  val                          vqbench's own recipe on the validation images (seed 0, 640x360 + 1280x720)
  calib_vqbench                vqbench's own recipe on the calibration photos (seed 5): calibration, like calib
  test_collection              vqbench's own recipe on the test collection (seed 0, 640x360 + 1280x720)
  test_collection_wide         the test collection through every training codec and loss pattern, all photo kinds
  test_codec                   the held-out codec and loss pattern, on test-collection and calibration photos
  test_content                 the held-out content type through the training codecs and losses
  test_synthetic               new instances of the synthetic generators (bars, cellular, gradients)
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
from pathlib import Path

import numpy as np

from . import bench, corpus, variants

VAL_EVERY, VAL_OFFSET = 4, 1
SPLIT_NOTE = ("training: public pool minus plasma-workspace-wallpapers and vqbench's validation images, ukui-wallpapers, "
              "gnome/sway/xfce art, marble screenshots, synthetic generators except fractals; codecs except VP9; losses "
              "except MPEG-4 TS bursts. calibration: mate-backgrounds (nature photos, art) + new generator instances. "
              "tests: plasma-workspace-wallpapers (held-out collection), fractal content, VP9, MPEG-4 TS bursts.")
TEST_COLLECTION = "plasma-workspace-wallpapers"
HELD_OUT_KIND = "fractal"
HELD_OUT_VARIANTS = ("vp9_clean", "vp9_lowrate", "mpeg4_ts_burst")

# vqbench's own recipe: name -> (image set, sizes, frames, seed, impaired-per-source)
VQBENCH_RECIPES = {"val": ("val", "640x360,1280x720", 30, 0, 2), "test_collection": ("test", "640x360,1280x720", 30, 0, 2),
                   "calib_vqbench": ("calib_photos", "640x360,1280x720", 30, 5, 2)}
SMOKE_VQBENCH = {"val": ("val", "640x360", 8, 0, 2)}

EXTRA_POOL = {
    "mate-backgrounds": ["usr/share/backgrounds/mate/nature/%s.jpg" % f for f in (
        "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops", "Storm", "TwoWings",
        "Wood", "YellowFlower")] + ["usr/share/backgrounds/mate/abstract/%s" % f for f in (
        "Arc-Colors-Transparent-Wallpaper.png", "Elephants.jpg", "Flow.png", "Gulp.png", "Silk.png", "Spring.png",
        "Waves.png")] + ["usr/share/backgrounds/mate/desktop/%s" % f for f in (
        "Float-into-MATE.png", "GreenTraditional.jpg", "MATE-Stripes-Dark.png", "MATE-Stripes-Light.png", "Stripes.png",
        "Ubuntu-Mate-Cold-no-logo.png", "Ubuntu-Mate-Warm-no-logo.png")],
    "ukui-wallpapers": ["usr/share/backgrounds/%s" % f for f in (
        "2004default.jpg", "calla.png", "city.png", "desert.png", "firstgeneration.jpg", "fluent-color.png",
        "focal-ubuntukylin.png", "goldfish.png", "rhythm.jpg", "rollpaper.png", "string.jpg", "the-mouse.jpg")],
    "gnome-backgrounds": ["usr/share/backgrounds/gnome/%s.webp" % f for f in (
        "adwaita-d", "adwaita-l", "grid-d", "grid-l", "licorice-d", "licorice-l", "pixels-d", "pixels-l", "symbolic-d",
        "symbolic-l", "truchet-d", "truchet-l", "wood-d", "wood-l")],
    "sway-backgrounds": ["usr/share/backgrounds/sway/Sway_Wallpaper_Blue_1920x1080.png"],
    "xfdesktop4-data": ["usr/share/backgrounds/xfce/%s" % f for f in (
        "xfce-blue.jpg", "xfce-stripes.png", "xfce-teal.jpg", "xfce-verticals.png")],
    "marble-data": ["usr/share/doc/HTML/en/marble/%s.png" % f for f in (
        "routing-1", "routing-2", "routing-3", "routing-4", "routing-5", "routing-6", "quick-1", "download-region-1",
        "download-region-3", "mapview-1", "measure-1", "search-1", "search-2")],
}
CALIB_PREFIX = "usr/share/backgrounds/mate/nature/"

# Content-type weights of the corpus recipes (fractal only in test_content).
KIND_WEIGHTS = {"photo": 0.2, "motion": 0.14, "graphics": 0.12, "text": 0.08, "dark": 0.06, "cartoon": 0.06,
                "bars": 0.12, "cellular": 0.1, "gradient": 0.08, "fractal": 0.0, "screen": 0.04}
PHOTO_KINDS = ("photo", "motion", "text", "dark", "cartoon")


def _cache_dir(env: str, default: str) -> str:
    return os.environ.get(env, os.path.expanduser(default))


def pool(work: Path | None = None) -> list[str]:
    """The 37 public photos (downloaded once into $VQ_POOL or ~/.cache/vqbench/pool)."""
    out = bench.run("pool", "public", "--dir", _cache_dir("VQ_POOL", "~/.cache/vqbench/pool"), capture=True)
    imgs = sorted(l for l in out.splitlines() if l.strip())
    if len(imgs) != 37:
        raise SystemExit("expected 37 public images, got %d" % len(imgs))
    return imgs


def extra_pool() -> dict[str, list[str]]:
    """package -> image paths of the extra pool, downloaded once into $VQ_POOL_EXTRA or ~/.cache/vqtrain/extra."""
    root = Path(_cache_dir("VQ_POOL_EXTRA", "~/.cache/vqtrain/extra"))
    (root / "debs").mkdir(parents=True, exist_ok=True)
    res = {}
    for pkg, files in EXTRA_POOL.items():
        dest = root / "x" / pkg
        if not all((dest / f).is_file() for f in files):
            debs = glob.glob(str(root / "debs" / (pkg + "_*.deb")))
            if not debs:
                subprocess.run(["apt-get", "download", pkg], cwd=root / "debs", check=True, stdout=subprocess.DEVNULL)
                debs = glob.glob(str(root / "debs" / (pkg + "_*.deb")))
            dest.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg", "-x", debs[0], str(dest)], check=True)
        missing = [f for f in files if not (dest / f).is_file()]
        if missing:
            raise SystemExit("extra pool %s: missing %s" % (pkg, missing))
        res[pkg] = [str(dest / f) for f in files]
    return res


def collection(path: str) -> str:
    """The Debian package an image comes from (its collection)."""
    return path.split("/x/", 1)[1].split("/", 1)[0]


def split(imgs: list[str]) -> dict[str, list[str]]:
    """vqbench's validation images, the test collection, and the rest of the public pool (training)."""
    val = [p for i, p in enumerate(imgs) if i % VAL_EVERY == VAL_OFFSET]
    test = [p for p in imgs if collection(p) == TEST_COLLECTION]
    train = [p for p in imgs if p not in val and p not in test]
    assert not set(val) & set(train) and not set(test) & set(train)
    return {"train": train, "val": val, "test": test}


def image_sets(smoke: bool = False) -> dict[str, list[str]]:
    pub = split(pool())
    if smoke:
        return {"train_photos": pub["train"][:3], "train_graphics": pub["train"][3:5], "calib_photos": pub["train"][5:7],
                "calib_graphics": pub["train"][7:9], "val": pub["val"], "test": pub["test"][:2]}
    ex = extra_pool()
    mate = ex["mate-backgrounds"]
    graphics = ex["gnome-backgrounds"] + ex["sway-backgrounds"] + ex["xfdesktop4-data"] + ex["marble-data"]
    return {"train_photos": pub["train"] + ex["ukui-wallpapers"], "train_graphics": graphics,
            "calib_photos": [p for p in mate if CALIB_PREFIX in p], "calib_graphics": [p for p in mate if CALIB_PREFIX not in p],
            "val": pub["val"], "test": pub["test"]}


# ----------------------------------------------------------------------------- corpus recipes
TRAIN_VARIANTS = {
    "clean": ["h264_clean", "h264_clean", "h264_clean", "hevc_clean", "mpeg2_clean", "mpeg4_clean", "mjpeg_clean",
              "vp8_clean", "av1_clean"],
    "compression": ["h264_lowrate", "h264_highqp", "h264_nodeblock", "h264_nodeblock", "hevc_lowrate", "hevc_nodeblock",
                    "mpeg2_lowrate", "mpeg2_lowrate", "mpeg1_lowrate", "mpeg4_lowrate", "h263_lowrate", "msmpeg_lowrate",
                    "mjpeg_lowq", "vp8_lowrate", "av1_lowrate", "theora_lowrate"],
    "transmission": ["h264_slices", "mpeg2_ts_bytes", "h264_ts_burst", "h264_ts_burst", "hevc_ts_burst", "mpeg2_ts_burst",
                     "h264_rtp", "h264_bitflip", "conceal", "conceal"],
}
# The second training recipe adds milder bursts (damage a few blocks wide that lives until the next IDR) and a
# near-lossless clean encode of every source ...
TRAIN2_VARIANTS = dict(TRAIN_VARIANTS, transmission=TRAIN_VARIANTS["transmission"] + [
    "h264_ts_mild", "h264_ts_mild", "hevc_ts_mild", "mpeg2_ts_mild", "h264_rtp_mild"],
    pristine=["h264_pristine_clean", "h264_pristine_clean", "hevc_pristine_clean", "mpeg2_pristine_clean"])
# ... and weighs the content kinds whose clean frames phase 1 flagged most (text, cartoon, cellular, bars, motion)
KIND_WEIGHTS2 = dict(KIND_WEIGHTS, photo=0.14, text=0.12, cartoon=0.1, cellular=0.12, bars=0.14, motion=0.14, dark=0.06)
assert not set(HELD_OUT_VARIANTS) & {v for t in (TRAIN_VARIANTS, TRAIN2_VARIANTS) for vs in t.values() for v in vs}


def _kind(rng: np.random.Generator, kinds: dict[str, float]) -> str:
    names = sorted(kinds)
    w = np.array([kinds[k] for k in names])
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def corpus_jobs(name: str, seed: int, n640: int, n720: int, photos: list[str], graphics: list[str],
                kinds: dict[str, float], pick, frames: tuple[int, int] = (48, 24)) -> list[dict]:
    """n640 + n720 sources of drawn kinds; `pick(rng)` -> the variants of one source."""
    vq = bench.module()
    from . import sources
    jobs = []
    for i in range(n640 + n720):
        w, h, n = (640, 360, frames[0]) if i < n640 else (1280, 720, frames[1])
        rng = vq.rng_for(seed, name, i)
        kind = _kind(rng, kinds)
        if kind == "screen":
            spec = sources.draw("graphics", rng, photos, [g for g in graphics if "marble" in g] or graphics)
        else:
            spec = sources.draw(kind, rng, photos, graphics)
        sid = "%s%03d-%s-%dx%d" % ({"train2": "t2"}.get(name, name[:2]), i, kind, w, h)
        jobs.append(corpus.job(sid, spec, w, h, n, pick(rng), split=name))
    return jobs


def _train_pick(extra_trans: float, table: dict[str, list[str]] = TRAIN_VARIANTS):
    def pick(rng):
        v = [table[k][int(rng.integers(len(table[k])))] for k in ("clean", "compression", "transmission", "pristine")
             if k in table]
        if rng.random() < extra_trans:
            v.append(table["transmission"][int(rng.integers(len(table["transmission"])))])
        return list(dict.fromkeys(v))
    return pick


def recipes(sets: dict[str, list[str]], smoke: bool) -> dict[str, list[dict]]:
    k = 0.02 if smoke else 1.0
    n = lambda x: max(1, int(round(x * k)))
    photo_kinds = {kd: KIND_WEIGHTS[kd] for kd in PHOTO_KINDS}
    synth_kinds = {kd: KIND_WEIGHTS[kd] for kd in ("bars", "cellular", "gradient")}
    r = {
        "train": corpus_jobs("train", 21, n(260), n(50), sets["train_photos"], sets["train_graphics"], KIND_WEIGHTS,
                             _train_pick(0.5), (8, 8) if smoke else (48, 24)),
        "train2": corpus_jobs("train2", 23, n(200), n(40), sets["train_photos"], sets["train_graphics"], KIND_WEIGHTS2,
                              _train_pick(0.6, TRAIN2_VARIANTS), (8, 8) if smoke else (48, 24)),
        "calib": corpus_jobs("calib", 22, n(70), n(14), sets["calib_photos"], sets["calib_graphics"],
                             dict(KIND_WEIGHTS, photo=0.3, motion=0.2), _train_pick(0.3), (8, 8) if smoke else (48, 24)),
    }
    if smoke:
        return r
    r.update({
        "test_collection_wide": corpus_jobs("test_collection_wide", 31, 50, 10, sets["test"], sets["train_graphics"],
                                            photo_kinds, _train_pick(0.5)),
        "test_codec": corpus_jobs("test_codec", 32, 40, 8, sets["test"] + sets["calib_photos"], sets["train_graphics"],
                                  dict(photo_kinds, bars=0.1, gradient=0.05),
                                  lambda rng: list(HELD_OUT_VARIANTS)),
        "test_content": corpus_jobs("test_content", 33, 30, 6, sets["test"], sets["train_graphics"], {HELD_OUT_KIND: 1.0},
                                    _train_pick(0.0)),
        "test_synthetic": corpus_jobs("test_synthetic", 34, 40, 8, sets["test"], sets["train_graphics"], synth_kinds,
                                      _train_pick(0.0)),
    })
    return r


# Detector training and calibration read only dist/ and gt/: the lossless sources and undamaged decodes of these
# corpora (about a third of their size) are deleted once built, unless --keep-references (the enhancer needs them).
PRUNE = ("train", "train2", "calib")


def prune(d: Path) -> None:
    import shutil
    for sub in ("src", "ref"):
        shutil.rmtree(d / sub, ignore_errors=True)


def make(work: Path, smoke: bool, only: list[str] | None = None, jobs: int = 2, keep_references: bool = False) -> dict[str, Path]:
    sets = image_sets(smoke)
    out: dict[str, Path] = {}
    pre = "smoke_" if smoke else ""
    for name, (part, sizes, frames, seed, k) in (SMOKE_VQBENCH if smoke else VQBENCH_RECIPES).items():
        d = work / (pre + name)
        out[name] = d
        if only and name not in only:
            continue
        if (d / "manifest.json").is_file():
            print("exists: %s" % d)
            continue
        images = sets[part][:2] if smoke else sets[part]
        bench.run("make", "--images", ",".join(images), "--out", str(d), "--sizes", sizes, "--frames", str(frames),
                  "--seed", str(seed), "--impaired-per-source", str(k), "--jobs", str(jobs))
    for name, js in recipes(sets, smoke).items():
        if smoke and name == "train2":
            continue
        d = work / (pre + name)
        out[name] = d
        if only and name not in only:
            continue
        corpus.build(d, js, seed=hash_seed(name), workers=jobs)
        # The enhancer trains on src/ref pairs: the smoke run (which trains it) and --keep-references keep them.
        if name in PRUNE and not keep_references and not smoke:
            prune(d)
    (work / "split.json").write_text(json.dumps({k: [p.split("/x/", 1)[1] for p in v] for k, v in sets.items()}, indent=1))
    return out


def hash_seed(name: str) -> int:
    return sum(ord(c) * 31 ** i for i, c in enumerate(name)) % 100003


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("VQ_WORK", "/tmp/vqwork")))
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep-references", action="store_true", help="keep src/ and ref/ of the training corpora")
    a = ap.parse_args()
    for k, v in make(a.work, a.smoke, a.only, a.jobs, a.keep_references).items():
        print(k, v)


if __name__ == "__main__":
    main()
