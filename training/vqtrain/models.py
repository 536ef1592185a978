"""The two models. Both are small and fully convolutional, so any size whose sides are multiples of 8 runs.

Detector (2.x): fixed per-8x8-block statistics of the frame and the previous frame (gradient profiles across each
block, temporal difference profiles, mean and spread), a learned embedding of each block's luma with a 2-px ring of
its neighbours, and a recurrent per-block state from the previous frame of the stream; then a small learned network
on the block grid (depthwise-separable dilated convolutions plus a per-row context term, because slice loss damages
whole macroblock rows), a block head (sigmoid probabilities for compression / transmission), a state head and a
frame head (severity from pooled features and pooled block probabilities).

Enhancer: a residual CNN on luma with two fixed channels that mark the 8-px block grid, so the network knows
where block boundaries are (tiles are aligned to the 8-px grid by the caller).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

BLK = 8
N_FEATURES = 50


def _blocks(t: torch.Tensor) -> torch.Tensor:
    """[N,1,H,W] -> [N,R,8,C,8]."""
    n, _, h, w = t.shape
    return t.reshape(n, h // BLK, BLK, w // BLK, BLK)


def _col_profile(t: torch.Tensor) -> torch.Tensor:
    """Mean over each block's 8 rows, per column position -> [N,8,R,C]."""
    return _blocks(t).mean(2).permute(0, 3, 1, 2)


def _row_profile(t: torch.Tensor) -> torch.Tensor:
    """Mean over each block's 8 columns, per row position -> [N,8,R,C]."""
    return _blocks(t).mean(4).permute(0, 2, 1, 3)


def _grads(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """|horizontal| and |vertical| neighbour differences, zero-padded at the right / bottom frame border."""
    dx = F.pad((y[..., :, 1:] - y[..., :, :-1]).abs(), (0, 1, 0, 0))
    dy = F.pad((y[..., 1:, :] - y[..., :-1, :]).abs(), (0, 0, 0, 1))
    return dx, dy


def block_features(luma: torch.Tensor, prev_luma: torch.Tensor) -> torch.Tensor:
    """[N,1,H,W] x2 (Y/255) -> [N,50,H/8,W/8] fixed statistics (no learned weights)."""
    x, p = luma * 255.0, prev_luma * 255.0
    dx, dy = _grads(x)
    pdx, pdy = _grads(p)
    dt = (x - p).abs()
    b = _blocks(x)
    mean = b.mean((2, 4)).unsqueeze(1)
    var = (b * b).mean((2, 4)).unsqueeze(1) - mean * mean
    std = torch.sqrt(var.clamp(min=0.0) + 1e-6)
    feats = torch.cat([_col_profile(dx), _row_profile(dy), _col_profile(pdx), _row_profile(pdy),
                       _row_profile(dt), _col_profile(dt), torch.log1p(std)], 1)
    return torch.cat([torch.log1p(feats[:, :48]), feats[:, 48:],
                      mean / 255.0], 1)


class DSBlock(nn.Module):
    def __init__(self, ch: int, dilation: int):
        super().__init__()
        self.dw = nn.Conv2d(ch, ch, 3, padding=dilation, dilation=dilation, groups=ch)
        self.pw = nn.Conv2d(ch, ch, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + F.relu(self.pw(F.relu(self.dw(h))))


STATE = 8       # recurrent state channels per block (detector >= 2.0)
PATCH = 12      # learned luma front end: a 12x12 window around each 8x8 block (2 px of each neighbour), stride 8


class Detector(nn.Module):
    """Detector 2.x: sees pixels and time.

    Per 8x8 block it combines (1) the fixed block statistics `block_features` of the frame and the previous frame,
    (2) a learned embedding of the block's own luma and a 2-px ring of its neighbours (a strided 12x12 convolution,
    so it sees both sides of every block edge: a content edge on the grid looks different from a coding step), and
    (3) a recurrent state carried from the previous frame of the stream, so damage that persists for many frames
    (errors propagating until the next IDR) is still recognised after its onset. Then depthwise-dilated block-grid
    convolutions with a per-row context term (slice loss damages whole macroblock rows), a block head (compression
    / transmission probabilities), a state head (tanh, the next frame's state) and a frame head (severity from
    pooled features and block probabilities)."""

    def __init__(self, ch: int = 32, patch_ch: int = 16, dilations: tuple[int, ...] = (1, 2, 4, 1)):
        super().__init__()
        self.register_buffer("f_mean", torch.zeros(1, N_FEATURES, 1, 1))
        self.register_buffer("f_std", torch.ones(1, N_FEATURES, 1, 1))
        self.patch = nn.Conv2d(1, patch_ch, PATCH, stride=BLK, padding=(PATCH - BLK) // 2)
        self.stem = nn.Conv2d(N_FEATURES + patch_ch + STATE, ch, 1)
        self.body = nn.ModuleList([DSBlock(ch, d) for d in dilations])
        self.row = nn.Conv2d(ch, ch, 1)       # per-row context (applied to the row mean, so nearly free)
        self.mid = DSBlock(ch, 1)
        self.head = nn.Conv2d(ch, 2, 1)
        self.state = nn.Conv2d(ch, STATE, 1)
        self.sev = nn.Sequential(nn.Linear(2 * ch + 6, 32), nn.ReLU(), nn.Linear(32, 1))

    def embed(self, luma: torch.Tensor, padding: int = (PATCH - BLK) // 2) -> torch.Tensor:
        """Learned front end: luma [N,1,H,W] (Y/255) -> [N,patch_ch,H/8,W/8]. Outside the frame the window sees
        mid-grey (zero padding of luma - 0.5); training passes windows already padded and `padding` 0."""
        if padding == self.patch.padding[0]:
            return F.relu(self.patch(luma - 0.5))
        return F.relu(F.conv2d(luma - 0.5, self.patch.weight, self.patch.bias, stride=BLK, padding=padding))

    def step(self, f: torch.Tensor, p: torch.Tensor, state: torch.Tensor):
        """Block features [N,50,R,C], luma embedding `embed(luma)` [N,patch_ch,R,C], state [N,STATE,R,C] ->
        (severity logit [N,1], block logits [N,2,R,C], next state [N,STATE,R,C])."""
        h = F.relu(self.stem(torch.cat([(f - self.f_mean) / self.f_std, p, state], 1)))
        for blk in self.body:
            h = blk(h)
        h = h + F.relu(self.row(h.mean(3, keepdim=True)))
        h = self.mid(h)
        logits = self.head(h)
        pr = torch.sigmoid(logits)
        g = torch.cat([h.mean((2, 3)), h.amax((2, 3)), pr.mean((2, 3)), pr.amax((2, 3)),
                       (pr > 0.5).float().mean((2, 3))], 1)
        return self.sev(g), logits, torch.tanh(self.state(h))

    @staticmethod
    def zero_state(luma: torch.Tensor) -> torch.Tensor:
        n, _, h, w = luma.shape
        return luma.new_zeros(n, STATE, h // BLK, w // BLK)

    def forward(self, luma: torch.Tensor, prev_luma: torch.Tensor, state: torch.Tensor):
        """The whole graph from luma planes (full.onnx): -> (severity, block probabilities, next state)."""
        s, logits, st = self.step(block_features(luma, prev_luma), self.embed(luma), state)
        return torch.sigmoid(s), torch.sigmoid(logits), st


class DetectorHead(nn.Module):
    """The detector after its fixed block statistics: (features [N,50,R,C], luma, state) -> (severity, block
    probabilities, next state). This is the graph the services run (model.onnx): they compute `block_features`
    themselves in one pass over the 8-bit planes (C# BlockFeatures), which ONNX Runtime's CPU kernels cannot match
    op by op."""

    def __init__(self, det: Detector):
        super().__init__()
        self.det = det

    def forward(self, features: torch.Tensor, luma: torch.Tensor, state: torch.Tensor):
        s, logits, st = self.det.step(features, self.det.embed(luma), state)
        return torch.sigmoid(s), torch.sigmoid(logits), st


def grid_channels(x: torch.Tensor) -> torch.Tensor:
    """Two channels marking pixels next to 8-px block boundaries (columns, rows) for an [N,1,h,w] tile."""
    n, _, h, w = x.shape
    cx = torch.arange(w, device=x.device) % BLK
    cy = torch.arange(h, device=x.device) % BLK
    bx = ((cx == 0) | (cx == BLK - 1)).to(x.dtype).reshape(1, 1, 1, w).expand(n, 1, h, w)
    by = ((cy == 0) | (cy == BLK - 1)).to(x.dtype).reshape(1, 1, h, 1).expand(n, 1, h, w)
    return torch.cat([bx, by], 1)


def _strongest(*weights: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the k input channels with the largest summed |weight| in the layers that read them (all of them
    first, in order, when k is at least their number)."""
    score = sum(w.abs().sum(dim=(0, 2, 3)) for w in weights)
    if k >= len(score):
        return torch.arange(len(score))
    return torch.sort(torch.topk(score, k).indices).values


class Enhancer(nn.Module):
    """Full-resolution residual CNN with block-boundary channels (enhancer 1.x, and the 2.x cost profiles at other
    widths: `ARCHS`). 5x5 then four 3x3 convolutions; `ch` channels in the first three, `mid` in the fourth."""

    # name -> widths. v1: enhancer 1.x (25.6 k MACs/px); fast: the CPU profile (8.3 k); quality: the GPU profile (52 k)
    # (14 channels was tried for fast: slower than 16 on ONNX Runtime's CPU convolutions, which work in 8-channel
    # blocks; docs/BENCHMARKS.md)
    ARCHS = {"v1": dict(ch=32, mid=16), "fast": dict(ch=16, mid=16), "quality": dict(ch=48, mid=16)}

    def __init__(self, ch: int = 32, mid: int = 16):
        super().__init__()
        self.ch, self.mid = ch, mid
        self.c1 = nn.Conv2d(3, ch, 5, padding=2)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.c3 = nn.Conv2d(ch, ch, 3, padding=1)
        self.c4 = nn.Conv2d(ch, mid, 3, padding=1)
        self.c5 = nn.Conv2d(mid, 1, 3, padding=1)

    @classmethod
    def arch(cls, name: str) -> "Enhancer":
        return cls(**cls.ARCHS[name])

    def init_from(self, other: "Enhancer") -> None:
        """Start from a trained enhancer of another width. Wider: its channels are copied and the new ones get small
        random inputs and zero outputs, so the network computes exactly what `other` does and training adds to it.
        Narrower: the channels whose outgoing weights are largest are kept (a pruned copy, fine-tuned afterwards)."""
        src = other.state_dict()
        k1, k2, k3 = (_strongest(src[n + ".weight"], k=self.ch) for n in ("c2", "c3", "c4"))
        k4 = _strongest(src["c5.weight"], k=self.mid)
        with torch.no_grad():
            for name, outs, ins in (("c1", k1, None), ("c2", k2, k1), ("c3", k3, k2), ("c4", k4, k3), ("c5", None, k4)):
                conv, w, b = getattr(self, name), src[name + ".weight"], src[name + ".bias"]
                o = outs if outs is not None else torch.arange(w.shape[0])
                i = ins if ins is not None else torch.arange(w.shape[1])
                wo, wi = min(len(o), conv.weight.shape[0]), min(len(i), conv.weight.shape[1])
                if ins is not None and conv.weight.shape[1] > wi:
                    conv.weight[:, wi:] = 0.0  # new input channels: no effect until trained
                conv.weight[:wo, :wi] = w[o[:wo]][:, i[:wi]]
                conv.bias[:wo] = b[o[:wo]]
                if conv.weight.shape[0] > wo:
                    conv.weight[wo:] *= 0.1
                    conv.bias[wo:] = 0.0

    # Receptive field radius in pixels (5x5 then four 3x3 convolutions): context a tile needs around what it repairs.
    RADIUS = 6

    def forward(self, luma: torch.Tensor) -> torch.Tensor:
        """A tile whose top-left pixel starts an 8x8 block (training, evaluation)."""
        return self.restore(luma, grid_channels(luma))

    def restore(self, luma: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
        """Any tile, with its block-boundary channels [N,2,h,w] (1 on the first and last column / row of each block)."""
        h = F.relu(self.c1(torch.cat([luma - 0.5, grid], 1)))
        h = F.relu(self.c2(h))
        h = F.relu(self.c3(h))
        h = F.relu(self.c4(h))
        return (luma + self.c5(h) * 0.1).clamp(0.0, 1.0)


class EnhancerAnyOrigin(nn.Module):
    """The exported enhancer (model.onnx since 1.1.0): the caller passes the block-boundary channels, so a tile may
    start anywhere and needs only `Enhancer.RADIUS` pixels of context instead of a whole block."""

    def __init__(self, enh: Enhancer):
        super().__init__()
        self.enh = enh

    def forward(self, luma: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
        return self.enh.restore(luma, grid)


def conv_macs(model: nn.Module, *inputs: torch.Tensor) -> int:
    """Multiply-accumulates of all Conv2d/Linear layers for one forward pass (fixed statistics are ~20 adds/px)."""
    total = [0]

    def hook(m, i, o):
        if isinstance(m, nn.Conv2d):
            total[0] += o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total[0] += o.numel() * m.in_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(*inputs)
    for h in hs:
        h.remove()
    return total[0]


class BlockEnhancer(nn.Module):
    """Enhancer 2.x: a network in the codec's block domain. The luma tile (its origin on the 8-px grid, sides
    multiples of 8) is rearranged so that each 8x8 block becomes one position with 64 channels (pixel unshuffle),
    so the block grid is implicit and every weight knows which pixel of the block it reads and writes. A stack of
    3x3 convolutions on the block grid (each sees the 8 neighbouring blocks) predicts a residual per pixel; the
    `quality` profile adds a full-resolution refinement head for sub-block detail.

    fast:    64 channels, 5 block-grid layers                          ~2.9 k MACs per pixel
    quality: 96 channels, 6 block-grid layers + 3-layer 16-ch pixel head  ~10.8 k MACs per pixel
    """

    PROFILES = {"fast": dict(ch=64, layers=5, head=0), "quality": dict(ch=96, layers=6, head=16)}

    def __init__(self, ch: int = 64, layers: int = 5, head: int = 0):
        super().__init__()
        self.ch, self.layers, self.head = ch, layers, head
        self.inp = nn.Conv2d(BLK * BLK, ch, 3, padding=1)
        self.body = nn.ModuleList(nn.Conv2d(ch, ch, 3, padding=1) for _ in range(layers - 2))
        self.out = nn.Conv2d(ch, BLK * BLK, 3, padding=1)
        if head:
            self.h1 = nn.Conv2d(2, head, 3, padding=1)
            self.h2 = nn.Conv2d(head, head, 3, padding=1)
            self.h3 = nn.Conv2d(head, 1, 3, padding=1)

    @classmethod
    def profile(cls, name: str) -> "BlockEnhancer":
        return cls(**cls.PROFILES[name])

    # Context a tile needs around what it repairs, in pixels: one block per block-grid layer (+ the pixel head).
    def radius(self) -> int:
        return BLK * self.layers + (3 if self.head else 0)

    def forward(self, luma: torch.Tensor) -> torch.Tensor:
        """[N,1,h,w] Y/255, h and w multiples of 8, the tile's top-left pixel on the frame's 8-px grid."""
        x = luma - 0.5
        h = F.relu(self.inp(F.pixel_unshuffle(x, BLK)))
        for c in self.body:
            h = h + F.relu(c(h))
        y = luma + F.pixel_shuffle(self.out(h), BLK) * 0.1
        if self.head:
            r = F.relu(self.h1(torch.cat([y - 0.5, x], 1)))
            r = F.relu(self.h2(r))
            y = y + self.h3(r) * 0.05
        return y.clamp(0.0, 1.0)
