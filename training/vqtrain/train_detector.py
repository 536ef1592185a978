"""Train the detector (2.x) on streams of consecutive frames: truncated backpropagation through time over the
recurrent block state, with the block statistics and luma windows cut from memory-mapped dataset caches.

    /usr/bin/python3 -m vqtrain.train_detector --data /work/vq/train --val /work/vq/calib --cache /work/vq/cache \
        --out /work/vq/run/det.pt --minutes 120 [--resume]

Each step advances `--streams` parallel streams by `--unroll` frames (each stream: one clip, a fixed window of
16x80 blocks, frames in order, the state carried and detached between steps; new clip and zero state at a clip's
end). Clips are drawn by what they were made as (clean / compression / transmission). The saved weights are an
exponential moving average of the trained ones. A checkpoint is written every 10 minutes and at the end; `--resume` continues an interrupted run from it (same
schedule: the cosine learning rate follows the training minutes already spent).
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import framecache
from .dataset import frame_labels
from .models import STATE, Detector, block_features

WINDOW = (16, 80)            # rows x cols of blocks per stream (128 x 640 px: whole macroblock rows of a 640-wide frame)
MIX = {"clean": 0.3, "compression": 0.3, "transmission": 0.4}
MODES = {"stream": 0.88, "stateless": 0.07, "unary": 0.05}
EMA = 0.999                  # the saved weights ("state") are an exponential moving average of the trained ones


def severity_target(cls: torch.Tensor, frac: torch.Tensor) -> torch.Tensor:
    """0 for clean frames; 0.6..1 for damaged ones, rising with the damaged share of blocks (monotone in frac)."""
    return torch.where(cls > 0, 0.6 + 0.4 * torch.sqrt((frac / 0.3).clamp(max=1.0)), torch.zeros_like(frac))


def features(model: Detector, cur, prev, patch) -> tuple[torch.Tensor, torch.Tensor]:
    """Window tensors of `framecache.Streams.frames` -> (block features, luma embedding) of the inner R x C blocks."""
    f = block_features(cur, prev)[:, :, 1:-1, 1:-1]
    return f, model.embed(patch, padding=0)


def frame_loss(model, f, p, state, comp, trans, pos_weight):
    s, logits, new_state = model.step(f, p, state)
    tgt = torch.stack([comp, trans], 1).float()
    pw = torch.tensor(pos_weight).view(1, 2, 1, 1)
    l_blk = F.binary_cross_entropy_with_logits(logits, tgt, pos_weight=pw)
    cls, frac, border = (torch.from_numpy(a) for a in frame_labels(comp.numpy(), trans.numpy()))
    keep = (~border).float()
    l_sev = (F.binary_cross_entropy_with_logits(s.squeeze(1), severity_target(cls, frac.float()), reduction="none")
             * keep).sum() / keep.sum().clamp(min=1)
    return l_blk, l_sev, new_state


def run_clip(model: Detector, luma: np.ndarray, stateful: bool = True, chunk: int = 1):
    """Whole frames of one stream, in order -> severity logits [T], block logits [T,2,R,C] (no grad)."""
    y = torch.from_numpy(np.ascontiguousarray(luma)).float().unsqueeze(1) / 255.0
    state = Detector.zero_state(y[:1])
    sev, blk = [], []
    with torch.no_grad():
        for t in range(len(y)):
            cur, prev = y[t:t + 1], y[t - 1:t] if t > 0 else y[t:t + 1]
            s, logits, state = model.step(block_features(cur, prev), model.embed(cur), state if stateful else state * 0)
            sev.append(float(s[0, 0]))
            blk.append(logits[0])
    return np.array(sev), torch.stack(blk).numpy()


def evaluate(model: Detector, clips: list[framecache.Clip], limit: int = 60) -> dict:
    """Frame AUC, FAR / recall at 0.5, block F1, 3-way class accuracy and transmission->transmission share on whole
    clips run as streams (the quick check during training; the real scoring is vqbench's)."""
    model.eval()
    step = max(1, len(clips) // limit)
    sev, cls_all, bor, pred_cls = [], [], [], []
    tp = fp = fn = 0
    for c in clips[::step][:limit]:
        z, lg = run_clip(model, c.luma)
        comp, trans = c.masks & 1 > 0, c.masks >> 1 & 1 > 0
        cls, _, border = frame_labels(comp, trans)
        pr = 1 / (1 + np.exp(-lg))
        pm = (pr[:, 0] >= 0.5) | (pr[:, 1] >= 0.5)
        gt = comp | trans
        tp += int((pm & gt).sum()); fp += int((pm & ~gt).sum()); fn += int((~pm & gt).sum())
        s = 1 / (1 + np.exp(-z))
        tshare = (pr[:, 1] >= 0.5).mean((1, 2))
        pred_cls.append(np.where(s < 0.5, 0, np.where(tshare >= 0.002, 2, 1)))
        sev.append(s); cls_all.append(cls); bor.append(border)
    model.train()
    sev, cls, bor, pc = map(np.concatenate, (sev, cls_all, bor, pred_cls))
    pos, neg = sev[(cls > 0) & ~bor], sev[(cls == 0) & ~bor]
    r = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    auc = (r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / max(1, len(pos) * len(neg))
    keep = ~bor
    tt = cls == 2
    return dict(auc=round(float(auc), 4), far=round(float((neg >= 0.5).mean()), 4), recall=round(float((pos >= 0.5).mean()), 4),
                block_f1=round(2 * tp / max(1, 2 * tp + fp + fn), 4), class_acc=round(float((pc[keep] == cls[keep]).mean()), 4),
                trans_as_trans=round(float((pc[tt] == 2).mean()), 4) if tt.any() else None, frames=int(len(sev)))


def init_normalisation(model: Detector, clips: list[framecache.Clip], rng: np.random.Generator, frames: int = 300) -> None:
    fs = []
    for _ in range(frames):
        c = clips[int(rng.integers(len(clips)))]
        t = int(rng.integers(1, c.luma.shape[0]))
        y = torch.from_numpy(np.stack([c.luma[t], c.luma[t - 1]])).float().unsqueeze(1) / 255.0
        fs.append(block_features(y[:1], y[1:]).reshape(50, -1)[:, ::7])
    allf = torch.cat(fs, 1)
    model.f_mean.copy_(allf.mean(1).view(1, -1, 1, 1))
    model.f_std.copy_(allf.std(1).clamp(min=1e-3).view(1, -1, 1, 1))


def train(data: list[Path], val: Path | None, out: Path, minutes: float, cache: Path, seed: int = 0, streams: int = 32,
          unroll: int = 3, lr: float = 2e-3, pos_weight: tuple[float, float] = (2.0, 3.0), resume: bool = False,
          sev_weight: float = 1.0,
          checkpoint_minutes: float = 10.0, eval_minutes: float = 30.0, eval_clips: int = 60, init: Path | None = None,
          stop_minutes: float | None = None) -> dict:
    """Train for `minutes` of cosine schedule (or stop after `stop_minutes` of it); returns the run's info."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.time()
    clips = [c for d in data for c in framecache.load(framecache.build(d, cache))]
    vclips = framecache.load(framecache.build(val, cache)) if val else []
    print("%d training clips, %d validation clips (cache ready in %.0f s)" % (len(clips), len(vclips), time.time() - t0), flush=True)
    model = Detector()
    ema = Detector()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    step, spent, log = 0, 0.0, []
    if resume and out.is_file():
        ck = torch.load(out)
        model.load_state_dict(ck["train_state"])
        ema.load_state_dict(ck["state"])
        opt.load_state_dict(ck["opt"])
        step, spent, log = ck["step"], ck["minutes"] * 60, ck.get("log", [])
        rng = np.random.default_rng(seed + step)
        print("resumed %s at step %d, %.1f of %.1f min" % (out, step, spent / 60, minutes), flush=True)
    elif init:
        model.load_state_dict(torch.load(init)["state"])     # fine-tuning: start from another run's (EMA) weights
        ema.load_state_dict(model.state_dict())
        print("initialised from %s" % init, flush=True)
    else:
        init_normalisation(model, clips, rng)
        ema.load_state_dict(model.state_dict())
    src = framecache.Streams(clips, streams, *WINDOW, rng, MIX, MODES)
    state = torch.zeros(streams, STATE, *WINDOW)
    budget, t_start, last_ck, last_eval = minutes * 60, time.time() - spent, time.time(), time.time()
    hist = []

    def save(final: bool = False):
        out.parent.mkdir(parents=True, exist_ok=True)
        info = dict(steps=step, minutes=round((time.time() - t_start) / 60, 1), streams=streams, unroll=unroll, lr=lr,
                    sev_weight=sev_weight, schedule_minutes=minutes,
                    init=str(init) if init else None,
                    pos_weight=list(pos_weight), seed=seed, window=list(WINDOW), mix=MIX, modes=MODES, train_clips=len(clips),
                    data=[str(d) for d in data])
        tmp = out.with_suffix(".tmp")
        torch.save({"state": ema.state_dict(), "train_state": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "minutes": (time.time() - t_start) / 60, "log": log, "info": info, "final": final}, tmp)
        tmp.replace(out)
        return info

    stop = min(budget, 60 * stop_minutes) if stop_minutes else budget
    while True:
        done = (time.time() - t_start) / budget
        if time.time() - t_start >= stop:
            break
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / 300) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, done))))
        l_blk = l_sev = 0.0
        for _ in range(unroll):
            cur, prev, patch, comp, trans, reset = src.frames()
            state = state * (~reset).float().view(-1, 1, 1, 1)
            f, p = features(model, cur, prev, patch)
            b, s, state = frame_loss(model, f, p, state, comp, trans, pos_weight)
            l_blk, l_sev = l_blk + b, l_sev + s
        loss = (l_blk + sev_weight * l_sev) / unroll
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            d = min(EMA, (1 + step) / (10 + step))
            for e, m in zip(ema.parameters(), model.parameters()):
                e.mul_(d).add_(m, alpha=1 - d)
        state = state.detach()
        step += 1
        hist.append((float(l_blk) / unroll, float(l_sev) / unroll))
        if step % 100 == 0:
            lb, ls = np.mean(hist[-100:], 0)
            print("step %d  %.1f min  blk %.4f  sev %.4f  lr %.2e" % (step, (time.time() - t_start) / 60, lb, ls,
                                                                    opt.param_groups[0]["lr"]), flush=True)
        if vclips and time.time() - last_eval > eval_minutes * 60:
            ev = evaluate(ema, vclips, eval_clips)
            log.append(dict(step=step, minutes=round((time.time() - t_start) / 60, 1), **ev))
            print("eval", json.dumps(log[-1]), flush=True)
            last_eval = time.time()
        if time.time() - last_ck > checkpoint_minutes * 60:
            save()
            last_ck = time.time()
    info = save(final=True)
    if vclips:
        info["val_quick"] = evaluate(ema, vclips, eval_clips)
        log.append(dict(step=step, minutes=info["minutes"], **info["val_quick"]))
        save(final=True)
    print("done", json.dumps(info), flush=True)
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, nargs="+", required=True)
    ap.add_argument("--val", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True, help="folder for the memory-mapped frame caches")
    ap.add_argument("--minutes", type=float, default=120, help="length of the learning-rate schedule")
    ap.add_argument("--stop-minutes", type=float, help="stop after this many minutes of it (default: at its end)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--streams", type=int, default=32)
    ap.add_argument("--unroll", type=int, default=3)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--pos-weight", type=float, nargs=2, default=(2.0, 3.0), metavar=("COMP", "TRANS"))
    ap.add_argument("--sev-weight", type=float, default=1.0, help="weight of the severity loss beside the block loss")
    ap.add_argument("--eval-minutes", type=float, default=30)
    ap.add_argument("--eval-clips", type=int, default=60)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init", type=Path, help="start from this checkpoint's weights (fine-tuning; new optimiser and schedule)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    train(a.data, a.val, a.out, a.minutes, a.cache, a.seed, a.streams, a.unroll, a.lr, tuple(a.pos_weight), a.resume, a.sev_weight,
          eval_minutes=a.eval_minutes, eval_clips=a.eval_clips, init=a.init, stop_minutes=a.stop_minutes)


if __name__ == "__main__":
    main()
