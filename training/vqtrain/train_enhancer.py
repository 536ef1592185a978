"""Train the enhancer (deblocking) on compression-damaged clips, target = the lossless source.

    /usr/bin/python3 -m vqtrain.train_enhancer --data /work/data/train640 --out /work/run/enhancer.pt --minutes 20

Patches are aligned to the 8-px grid (the service aligns its tiles the same way). 80% are centred on blocks the
ground truth marks as compression blocking (where the service applies the model); 20% are drawn anywhere,
including clean clips, so the model learns to leave clean content alone.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .dataset import load_clips
from .models import Enhancer

COMPRESSION = {"mpeg2_lowrate", "h264_nodeblock", "h264_highqp", "mjpeg_lowq"}
PATCH, BORDER = 40, 4


def load(dirs: list[Path], limit: int | None):
    items = []
    for d in dirs:
        for c in load_clips(d, COMPRESSION | {"clean_h264"}, with_reference=True, limit=limit):
            pos = np.argwhere(c.comp)  # [k,3] t,r,c
            items.append((torch.from_numpy(c.dist), torch.from_numpy(c.reference), pos, c.variant))
    return items


def sample(items, rng, batch: int):
    xs, ys = [], []
    comp_items = [it for it in items if len(it[2])]
    for _ in range(batch):
        if comp_items and rng.random() < 0.8:
            d, r, pos, _ = comp_items[rng.integers(len(comp_items))]
            t, br, bc = pos[rng.integers(len(pos))]
            y0 = int(br) * 8 - 8 * rng.integers(0, PATCH // 8)
            x0 = int(bc) * 8 - 8 * rng.integers(0, PATCH // 8)
        else:
            d, r, pos, _ = items[rng.integers(len(items))]
            t = rng.integers(d.shape[0])
            y0, x0 = 8 * rng.integers(0, d.shape[1] // 8), 8 * rng.integers(0, d.shape[2] // 8)
        y0 = int(np.clip(y0, 0, d.shape[1] - PATCH)) // 8 * 8
        x0 = int(np.clip(x0, 0, d.shape[2] - PATCH)) // 8 * 8
        xs.append(d[t, y0:y0 + PATCH, x0:x0 + PATCH])
        ys.append(r[t, y0:y0 + PATCH, x0:x0 + PATCH])
    return (torch.stack(xs).unsqueeze(1).float() / 255.0, torch.stack(ys).unsqueeze(1).float() / 255.0)


def train(data: list[Path], out: Path, minutes: float, seed: int = 0, batch: int = 16, lr: float = 1e-3,
          limit: int | None = None, init: Path | None = None) -> dict:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    items = load(data, limit)
    print("loaded %d clips" % len(items), flush=True)
    model = Enhancer()
    if init:
        model.load_state_dict(torch.load(init)["state"])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    t1, step, hist, budget = time.time(), 0, [], minutes * 60
    while (time.time() - t1) < budget:
        fd = (time.time() - t1) / budget
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * fd))
        x, y = sample(items, rng, batch)
        pred = model(x)
        loss = F.mse_loss(pred[..., BORDER:-BORDER, BORDER:-BORDER], y[..., BORDER:-BORDER, BORDER:-BORDER])
        base = F.mse_loss(x[..., BORDER:-BORDER, BORDER:-BORDER], y[..., BORDER:-BORDER, BORDER:-BORDER])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        hist.append(10 * math.log10(float(base) / max(float(loss), 1e-12)))
        if step % 500 == 0:
            print("step %d  %.1f min  patch dPSNR %.3f dB" % (step, (time.time() - t1) / 60, np.mean(hist[-500:])),
                  flush=True)
    res = dict(steps=step, minutes=round((time.time() - t1) / 60, 1), batch=batch, patch=PATCH, lr=lr, seed=seed,
               train_clips=len(items), patch_dpsnr_last=round(float(np.mean(hist[-500:])), 3) if hist else None)
    print("done", res, flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state": model.state_dict(), "info": res}, out)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, nargs="+", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--init", type=Path, help="start from this checkpoint (fine-tuning)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    train(a.data, a.out, a.minutes, a.seed, a.batch, a.lr, a.limit, a.init)


if __name__ == "__main__":
    main()
