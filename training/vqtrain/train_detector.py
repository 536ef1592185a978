"""Train the detector on block features cached from vqbench datasets.

    /usr/bin/python3 -m vqtrain.train_detector --data /work/data/train640 /work/data/train720 \
        --val /work/data/val --out /work/run/detector.pt --minutes 20
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .dataset import frame_labels, load_clips
from . import models
from .models import Detector, block_features

CROP_R, CROP_C = 45, 80     # training window in blocks (a 640x360 frame); larger frames are cropped at 16-px steps
NO_HISTORY = 0.15           # share of training frames whose prev_luma is the frame itself (unary callers)


def severity_target(cls: torch.Tensor, frac: torch.Tensor) -> torch.Tensor:
    """0 for clean frames; 0.6..1 for damaged ones, rising with the damaged share of blocks."""
    return torch.where(cls > 0, 0.6 + 0.4 * torch.sqrt((frac / 0.3).clamp(max=1.0)), torch.zeros_like(frac))


def cache_features(dirs: list[Path], seed: int, no_history: float, limit: int | None = None,
                   cache: Path | None = None):
    """-> list of (features fp16 [T,50,R,C], comp bool [T,R,C], trans bool [T,R,C], variant).
    With `cache`, each dataset's features are stored there, keyed by the feature code, seed and settings."""
    out = []
    key = hashlib.sha256("".join(inspect.getsource(fn) for fn in (models._blocks, models._col_profile, models._row_profile, models._grads, block_features)).encode()).hexdigest()[:12]
    for d in dirs:
        f = cache / ("%s_%s_s%d_h%g_l%s.pt" % (d.name, key, seed, no_history, limit)) if cache else None
        if f and f.is_file():
            out += torch.load(f)
            continue
        items = _features(d, seed, no_history, limit)
        if f:
            f.parent.mkdir(parents=True, exist_ok=True)
            torch.save(items, f)
        out += items
    return out


def _features(d: Path, seed: int, no_history: float, limit: int | None):
    rng = np.random.default_rng(seed)
    out = []
    for c in load_clips(d, limit=limit):
        y = torch.from_numpy(c.dist).float().unsqueeze(1) / 255.0
        prev = torch.cat([y[:1], y[:-1]])
        drop = torch.from_numpy(rng.random(len(y)) < no_history)
        prev = torch.where(drop.view(-1, 1, 1, 1), y, prev)
        with torch.no_grad():
            f = torch.cat([block_features(y[i:i + 8], prev[i:i + 8]) for i in range(0, len(y), 8)])
        out.append((f.half(), torch.from_numpy(c.comp), torch.from_numpy(c.trans), c.variant))
    return out


def sample(items, rng, batch: int):
    fs, cs, ts = [], [], []
    for _ in range(batch):
        f, c, t, _ = items[rng.integers(len(items))]
        i = rng.integers(f.shape[0])
        R, C = f.shape[2], f.shape[3]
        r0 = 2 * rng.integers((R - CROP_R) // 2 + 1)
        c0 = 2 * rng.integers((C - CROP_C) // 2 + 1)
        fs.append(f[i, :, r0:r0 + CROP_R, c0:c0 + CROP_C])
        cs.append(c[i, r0:r0 + CROP_R, c0:c0 + CROP_C])
        ts.append(t[i, r0:r0 + CROP_R, c0:c0 + CROP_C])
    return torch.stack(fs).float(), torch.stack(cs), torch.stack(ts)


def losses(model: Detector, f, comp, trans, pos_weight: float):
    s, logits = model.from_features(f)
    tgt = torch.stack([comp, trans], 1).float()
    pw = torch.tensor([pos_weight, pos_weight]).view(1, 2, 1, 1)
    l_blk = F.binary_cross_entropy_with_logits(logits, tgt, pos_weight=pw)
    cls, frac, border = (torch.from_numpy(a) for a in frame_labels(comp.numpy(), trans.numpy()))
    keep = (~border).float()
    l_sev = (F.binary_cross_entropy_with_logits(s.squeeze(1), severity_target(cls, frac.float()),
                                                reduction="none") * keep).sum() / keep.sum().clamp(min=1)
    return l_blk, l_sev, s, logits


def evaluate(model: Detector, items) -> dict:
    """Quick frame AUC / FAR / recall / block F1 on cached features (the real scoring is vqbench's)."""
    model.eval()
    sev, lab, bor, tp, fp, fn = [], [], [], 0, 0, 0
    with torch.no_grad():
        for f, c, t, _ in items:
            for i in range(0, f.shape[0], 16):
                s, logits = model.from_features(f[i:i + 16].float())
                p = torch.sigmoid(logits) >= 0.5
                gt = (c[i:i + 16] | t[i:i + 16])
                pm = p[:, 0] | p[:, 1]
                tp += int((pm & gt).sum()); fp += int((pm & ~gt).sum()); fn += int((~pm & gt).sum())
                cls, _, border = frame_labels(c[i:i + 16].numpy(), t[i:i + 16].numpy())
                sev += torch.sigmoid(s).squeeze(1).tolist(); lab += list(cls > 0); bor += list(border)
    model.train()
    sev, lab, bor = np.array(sev), np.array(lab), np.array(bor)
    pos, neg = sev[lab], sev[~lab & ~bor]
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    auc = (ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / max(1, len(pos) * len(neg))
    return dict(auc=round(float(auc), 4), far=round(float((neg >= 0.5).mean()), 4),
                recall=round(float((pos >= 0.5).mean()), 4), block_f1=round(2 * tp / max(1, 2 * tp + fp + fn), 4))


def train(data: list[Path], val: Path | None, out: Path, minutes: float, seed: int = 0, batch: int = 12,
          lr: float = 3e-3, pos_weight: float = 2.0, limit: int | None = None, cache: Path | None = None) -> dict:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.time()
    items = cache_features(data, seed, NO_HISTORY, limit, cache)
    vitems = cache_features([val], seed + 1, 0.0, limit, cache) if val else []
    print("cached %d train clips, %d val clips in %.0f s" % (len(items), len(vitems), time.time() - t0), flush=True)
    model = Detector()
    allf = torch.cat([f[::7].float().permute(1, 0, 2, 3).reshape(f.shape[1], -1) for f, *_ in items], 1)
    model.f_mean.copy_(allf.mean(1).view(1, -1, 1, 1))
    model.f_std.copy_(allf.std(1).clamp(min=1e-3).view(1, -1, 1, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    t1, step, budget = time.time(), 0, minutes * 60
    hist = []
    while True:
        frac_done = (time.time() - t1) / budget
        if frac_done >= 1:
            break
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * min(1.0, frac_done)))
        f, c, t = sample(items, rng, batch)
        l_blk, l_sev, _, _ = losses(model, f, c, t, pos_weight)
        loss = l_blk + 0.5 * l_sev
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        hist.append((float(l_blk), float(l_sev)))
        if step % 200 == 0:
            lb, ls = np.mean(hist[-200:], 0)
            msg = "step %d  %.1f min  blk %.4f  sev %.4f" % (step, (time.time() - t1) / 60, lb, ls)
            if vitems and step % 1000 == 0:
                msg += "  val %s" % evaluate(model, vitems)
            print(msg, flush=True)
    res = dict(steps=step, minutes=round((time.time() - t1) / 60, 1), batch=batch, lr=lr, pos_weight=pos_weight,
               seed=seed, no_history=NO_HISTORY, train_clips=len(items))
    if vitems:
        res["val_quick"] = evaluate(model, vitems)
    print("done", res, flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state": model.state_dict(), "info": res}, out)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, nargs="+", required=True)
    ap.add_argument("--val", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--limit", type=int, help="clips per dataset (smoke runs)")
    ap.add_argument("--cache", type=Path, help="folder for cached block features")
    ap.add_argument("--pos-weight", type=float, default=2.0)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    train(a.data, a.val, a.out, a.minutes, a.seed, a.batch, a.lr, a.pos_weight, a.limit, a.cache)


if __name__ == "__main__":
    main()
