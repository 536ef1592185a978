"""Build a dataset in vqbench's layout (manifest.json, src/, dist/, ref/, gt/) from a list of jobs: each job is one
source clip (`sources`) and the variants (`variants`) to make of it. vqbench's `score` and `score-enhance` read the
result as they read their own datasets.

    build(out, jobs, seed, workers)

Resumable: each finished job leaves parts/<sid>.json; a rerun skips those. Deterministic: every random draw comes
from vqbench's `rng_for(seed, ...)`, encoders run single-threaded, and the manifest lists jobs in recipe order.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import bench, sources, variants


def job(sid: str, source: dict, w: int, h: int, frames: int, names: list[str], **meta) -> dict:
    return {"sid": sid, "source": source, "width": w, "height": h, "frames": frames, "variants": names, "meta": meta}


def _one(out: Path, j: dict, seed: int) -> dict:
    vq = bench.module()
    part = out / "parts" / (j["sid"] + ".json")
    if part.is_file():
        return json.loads(part.read_text())
    src = out / "src" / (j["sid"] + ".y4m")
    sources.make(j["source"], str(src), j["width"], j["height"], j["frames"], int(vq.rng_for(seed, j["sid"], "source").integers(1 << 30)))
    sl = vq.load_luma(str(src))
    meta = dict(j["meta"], kind=j["source"]["kind"])
    recs = []
    for name in j["variants"]:
        r = variants.make_clip(str(out), j["sid"], name, sl, seed, meta)
        if r is None:
            print("  drop %s__%s: no frame-exact decode (frame count differs)" % (j["sid"], name), file=sys.stderr)
        else:
            recs.append(r)
    res = {"source": dict(sid=j["sid"], spec=j["source"], width=j["width"], height=j["height"], frames=j["frames"], **meta),
           "clips": recs}
    part.write_text(json.dumps(res))
    return res


def build(out: Path, jobs: list[dict], seed: int, workers: int = 2) -> Path:
    """Make every job (in parallel), then write manifest.json. Returns the manifest path."""
    vq = bench.module()
    man_path = out / "manifest.json"
    if man_path.is_file():
        print("exists: %s" % out)
        return man_path
    for d in ("src", "dist", "ref", "gt", "bits", "parts"):
        (out / d).mkdir(parents=True, exist_ok=True)
    sids = [j["sid"] for j in jobs]
    if len(set(sids)) != len(sids):
        raise ValueError("duplicate source ids in the recipe")
    t0, done = time.time(), [0]

    def run(j):
        try:
            r = _one(out, j, seed)
        except Exception:
            raise RuntimeError("job %s failed:\n%s" % (j["sid"], traceback.format_exc()))
        done[0] += 1
        print("  [%d/%d %.0fs] %-40s %s" % (done[0], len(jobs), time.time() - t0, j["sid"],
                                             " ".join(c["variant"] for c in r["clips"])), flush=True)
        return r

    with ThreadPoolExecutor(max(1, workers)) as ex:
        res = list(ex.map(run, jobs))
    man = dict(version=2, seed=seed, fps=sources.FPS, block=8, gt_constants=dict(vq.GT), generator="vqtrain.corpus",
               enh_reference_rule="src for clean/compression variants, ref (undamaged decode) for damage variants",
               sources=[r["source"] for r in res], clips=[c for r in res for c in r["clips"]])
    vq.jdump(man, str(man_path))
    print("built %s: %d sources, %d clips in %.1f min" % (out, len(res), len(man["clips"]), (time.time() - t0) / 60))
    return man_path


def subset(data: Path, out: Path, keep, clean_too: bool = True) -> Path:
    """A view of `data` (manifest filtered by `keep(clip)`, folders symlinked) for per-group scoring with vqbench:
    with `clean_too`, the GT-clean clips stay in, since vqbench's AUC compares artifact frames with all clean frames
    of the dataset."""
    vq = bench.module()
    man = json.loads((data / "manifest.json").read_text())
    clips = [c for c in man["clips"] if keep(c) or (clean_too and "clean" in c["variant"])]
    out.mkdir(parents=True, exist_ok=True)
    for d in ("src", "dist", "ref", "gt"):
        link = out / d
        if not link.exists() and (data / d).exists():
            os.symlink((data / d).resolve(), link)
    vq.jdump(dict(man, clips=clips), str(out / "manifest.json"))
    return out
