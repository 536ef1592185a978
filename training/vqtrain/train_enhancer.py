"""Train an enhancer (deblocking) on compression-damaged clips, target = the lossless source.

    /usr/bin/python3 -m vqtrain.train_enhancer --arch fast --data /work/vq/calib /work/vq/calib_vqbench \
        --val /work/vq/val --out /work/run/enh_fast.pt --minutes 30

Architectures: `v1` (enhancer 1.x, full-resolution residual CNN with block-grid channels) and the 2.x block-domain
profiles `fast` and `quality` (`models.BlockEnhancer`). Training clips are every clip without transmission damage
(the ground truth marks no transmission block): compression variants of every codec in the data and clean ones.
Patches start on the 8-px grid (the service aligns its tiles the same way): 40% centred on blocks the ground truth
marks as compression blocking, 40% anywhere in a damaged clip (the service may repair whole compression frames),
20% anywhere in a clip with almost no damage, so the model learns to leave clean content alone.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .dataset import load_clips, manifest
from .infer import build_enhancer, load_enhancer
from .models import Enhancer

CLEAN_SHARE = 0.002  # a clip whose ground truth marks fewer compression blocks than this counts as clean


def load(dirs: list[Path], limit: int | None):
    items = []
    for d in dirs:
        # clips scored against the lossless source: clean and compression variants (damage variants use ref/)
        plain = {c["variant"] for c in manifest(d)["clips"] if c["reference"].startswith("src/")}
        for c in load_clips(d, plain, with_reference=True, limit=limit):
            if c.trans.any():
                continue
            pos = np.argwhere(c.comp)  # [k,3] t,r,c
            items.append((torch.from_numpy(c.dist), torch.from_numpy(c.reference), pos, c.variant,
                          float(c.comp.mean()) >= CLEAN_SHARE))
    return items


def sample(items, rng, batch: int, patch: int):
    xs, ys = [], []
    damaged = [it for it in items if it[4]]
    clean = [it for it in items if not it[4]] or items
    for _ in range(batch):
        u = rng.random()
        if u < 0.4 and damaged:
            d, r, pos, _, _ = damaged[rng.integers(len(damaged))]
            t, br, bc = pos[rng.integers(len(pos))] if len(pos) else (rng.integers(d.shape[0]), 0, 0)
            y0 = int(br) * 8 - 8 * rng.integers(0, patch // 8)
            x0 = int(bc) * 8 - 8 * rng.integers(0, patch // 8)
        else:
            pool = damaged if u < 0.8 and damaged else clean
            d, r, _, _, _ = pool[rng.integers(len(pool))]
            t = rng.integers(d.shape[0])
            y0, x0 = 8 * rng.integers(0, d.shape[1] // 8), 8 * rng.integers(0, d.shape[2] // 8)
        y0 = int(np.clip(y0, 0, d.shape[1] - patch)) // 8 * 8
        x0 = int(np.clip(x0, 0, d.shape[2] - patch)) // 8 * 8
        xs.append(d[t, y0:y0 + patch, x0:x0 + patch])
        ys.append(r[t, y0:y0 + patch, x0:x0 + patch])
    return (torch.stack(xs).unsqueeze(1).float() / 255.0, torch.stack(ys).unsqueeze(1).float() / 255.0)


def patch_gain(model, items, patch: int, border: int, n: int = 64, seed: int = 1) -> dict:
    """Mean patch dPSNR (dB) on damaged and on clean patches of held-out clips."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, pool in (("damaged", [it for it in items if it[4]]), ("clean", [it for it in items if not it[4]])):
        if not pool:
            continue
        gains = []
        for _ in range(n // 16):
            x, y = sample(pool, rng, 16, patch)
            with torch.no_grad():
                p = model(x)
            sl = np.s_[..., border:-border, border:-border]
            for i in range(len(x)):
                mse_b, mse_p = F.mse_loss(x[i][sl], y[i][sl]).item(), F.mse_loss(p[i][sl], y[i][sl]).item()
                gains.append(10 * math.log10(max(mse_b, 1e-10) / max(mse_p, 1e-10)))
        out[name] = round(float(np.mean(gains)), 3)
    return out


def train(arch: str, data: list[Path], out: Path, minutes: float, val: list[Path], seed: int = 0, batch: int = 16,
          lr: float = 1e-3, limit: int | None = None, init: Path | None = None, patch: int | None = None) -> dict:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    # patch side and the border excluded from the loss: block-domain 96/16; the 1.x recipe (v1) 40/4, as 1.1.0 was
    # trained; the 2.x full-resolution widths 48/6 (6 = Enhancer.RADIUS: no loss on pixels that saw the padding)
    default_patch, border = (96, 16) if arch.startswith("block_") else (40, 4) if arch == "v1" else (48, 6)
    patch = patch or default_patch
    items = load(data, limit)
    vitems = load(val, limit) if val else []
    print("loaded %d training clips (%d damaged), %d validation clips" % (len(items), sum(it[4] for it in items),
                                                                       len(vitems)), flush=True)
    model = build_enhancer(arch)
    if init:
        start = load_enhancer(init)
        if isinstance(model, Enhancer) and isinstance(start, Enhancer):
            model.init_from(start)  # any width: widened or pruned (models.Enhancer.init_from)
        else:
            model.load_state_dict(start.state_dict())
        model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    t1, step, hist, budget = time.time(), 0, [], minutes * 60
    sl = np.s_[..., border:-border, border:-border]
    while (time.time() - t1) < budget:
        fd = (time.time() - t1) / budget
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * fd))
        x, y = sample(items, rng, batch, patch)
        pred = model(x)
        loss = F.mse_loss(pred[sl], y[sl])
        base = F.mse_loss(x[sl], y[sl])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        hist.append(10 * math.log10(float(base) / max(float(loss), 1e-12)))
        if step % 200 == 0:
            print("step %d  %.1f min  patch dPSNR %.3f dB" % (step, (time.time() - t1) / 60, np.mean(hist[-200:])),
                  flush=True)
    model.eval()
    res = dict(arch=arch, steps=step, minutes=round((time.time() - t1) / 60, 1), batch=batch, patch=patch, lr=lr,
               seed=seed, train_clips=len(items), data=[str(d) for d in data], init=str(init) if init else None,
               patch_dpsnr_last=round(float(np.mean(hist[-200:])), 3) if hist else None,
               val_patch_dpsnr=patch_gain(model, vitems, patch, border) if vitems else None)
    print("done", res, flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state": model.state_dict(), "arch": arch, "info": res}, out)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=[*Enhancer.ARCHS, "block_fast", "block_quality"], default="fast")
    ap.add_argument("--data", type=Path, nargs="+", required=True)
    ap.add_argument("--val", type=Path, nargs="*", default=[])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--patch", type=int)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--init", type=Path, help="start from this checkpoint or exported model (fine-tuning; another width is widened or pruned)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    train(a.arch, a.data, a.out, a.minutes, a.val, a.seed, a.batch, a.lr, a.limit, a.init, a.patch)


if __name__ == "__main__":
    main()
