"""Unit tests of the training data code that need no ffmpeg run: loss models, concealment, training windows.

    cd training && /usr/bin/python3 -m unittest discover -s tests -v      (smoke.sh runs them)
"""
from __future__ import annotations

import unittest

import numpy as np
import torch

from vqtrain import damage, framecache, sources
from vqtrain.models import Detector, block_features

PID = 0x100


def ts_packet(pid: int, pusi: bool, fill: int) -> bytes:
    head = bytes([0x47, (0x40 if pusi else 0) | pid >> 8, pid & 0xFF, 0x10])
    return head + bytes([fill]) * 184


def nal(kind: int, first: bool, size: int, fill: int) -> bytes:
    return b"\x00\x00\x00\x01" + bytes([kind, 0x80 if first else 0x40]) + bytes([fill]) * size


class TsBurstTests(unittest.TestCase):
    def test_drops_only_continuation_packets_of_the_video_pid(self):
        packets = [ts_packet(0, True, 1)] + [ts_packet(PID, i % 10 == 0, i % 250) for i in range(400)] + [ts_packet(0x101, False, 7)] * 20
        data = b"".join(packets)
        prm = {"p_gb": 0.2, "p_bg": 0.2, "p_bad": 1.0, "p_good": 0.0}
        out, info = damage.ts_burst(data, PID, prm, np.random.default_rng(3))
        kept = [out[i:i + 188] for i in range(0, len(out), 188)]
        self.assertEqual(info["packets"], 400)
        self.assertGreater(info["dropped"], 20)
        self.assertEqual(len(kept), len(packets) - info["dropped"])
        pusi = [p for p in packets if p[1] & 0x40]
        self.assertTrue(all(p in kept for p in pusi), "a packet that starts a PES was dropped")
        self.assertEqual(sum(1 for p in kept if (p[1] & 0x1F) << 8 | p[2] == 0x101), 20, "another PID lost packets")
        again, _ = damage.ts_burst(data, PID, prm, np.random.default_rng(3))
        self.assertEqual(out, again, "not deterministic for a seed")

    def test_losses_come_in_bursts(self):
        prm = {"p_gb": 0.01, "p_bg": 0.2, "p_bad": 1.0, "p_good": 0.0}
        ge = damage.GilbertElliott(np.random.default_rng(0), **prm)
        lost = np.array([ge.lost() for _ in range(200_000)])
        edges = np.flatnonzero(np.diff(np.r_[0, lost.astype(int), 0]))   # start, end, start, end, ...
        runs = edges[1::2] - edges[0::2]
        self.assertAlmostEqual(lost.mean(), 0.01 / 0.21, delta=0.01)
        self.assertGreater(runs.mean(), 3.0, "mean burst length of a 1/p_bg = 5 packet process")


class RtpAndBitErrorTests(unittest.TestCase):
    def stream(self) -> bytes:
        units = [nal(7, False, 10, 1), nal(8, False, 4, 2)]
        for pic in range(30):
            for s in range(4):
                units.append(nal(5 if pic == 0 else 1, s == 0, 1500 + 100 * s, 10 + s))
        return b"".join(units)

    def test_lost_slices_are_dropped_whole_and_every_picture_keeps_one(self):
        data = self.stream()
        out, info = damage.rtp_loss(data, {"p_gb": 0.05, "p_bg": 0.3, "p_bad": 1.0, "p_good": 0.0}, np.random.default_rng(1), mtu=1200)
        units = [out[b:e] for b, e, _ in damage.nal_units(out)]
        self.assertEqual(info["slices"], 120)
        self.assertEqual(len(units), 2 + 120 - info["lost"])
        self.assertGreater(info["lost"], 0)
        self.assertTrue(all(u in data for u in units), "a slice was cut, not dropped whole")
        self.assertEqual(units[0][4] & 0x1F, 7)
        self.assertEqual(units[1][4] & 0x1F, 8)
        pictures = sum(1 for u in units if u[4] & 0x1F in (1, 5) and u[5] & 0x80)
        self.assertLessEqual(len(units) - 2, 120)
        self.assertGreaterEqual(len(units) - 2, 30, "a picture lost every slice")
        self.assertLessEqual(pictures, 30)

    def test_bit_errors_stay_inside_slice_payloads(self):
        data = self.stream()
        out, info = damage.bit_errors(data, {"p_gb": 0.3, "p_bg": 0.3, "p_bad": 1.0, "p_good": 0.0}, np.random.default_rng(2))
        self.assertEqual(len(out), len(data))
        self.assertGreater(info["hit"], 0)
        diff = np.flatnonzero(np.frombuffer(out, np.uint8) != np.frombuffer(data, np.uint8))
        self.assertGreater(len(diff), 0)
        for b, e, h in damage.nal_units(data):
            changed = diff[(diff >= b) & (diff < e)]
            if data[h] & 0x1F not in (1, 5):
                self.assertEqual(len(changed), 0, "a parameter set was changed")
            else:
                self.assertTrue((changed >= h + 6).all(), "a slice header byte was changed")


class ConcealTests(unittest.TestCase):
    def test_only_the_region_changes_and_only_from_the_onset(self):
        rng = np.random.default_rng(0)
        y = rng.integers(0, 256, (12, 64, 96), dtype=np.uint8)
        u = rng.integers(0, 256, (12, 32, 48), dtype=np.uint8)
        v = u.copy()
        for fill in damage.FILLS:
            ev = {"t0": 4, "dur": 5, "rect": [16, 32, 16, 32], "fill": fill, "shift": [8, -8]}
            dy, du, dv = damage.conceal(y, u, v, {"events": [ev]}, np.random.default_rng(1))
            outside = np.ones((64, 96), bool)
            outside[16:32, 32:64] = False
            self.assertTrue((dy[:, outside] == y[:, outside]).all(), fill)
            self.assertTrue((dy[:4] == y[:4]).all() and (dy[9:] == y[9:]).all(), fill)
            if fill == "grey":
                self.assertTrue((dy[4:9, 16:32, 32:64] == 128).all())
            if fill == "freeze":
                self.assertTrue((dy[4:9, 16:32, 32:64] == y[3, 16:32, 32:64]).all())


class WindowTests(unittest.TestCase):
    def test_training_windows_give_the_whole_frame_features_and_embedding(self):
        """The trainer cuts windows with a block of margin: their block features and learned embedding must equal
        the whole frame's for the same blocks, at the frame's borders too (the exported graph sees whole frames)."""
        rng = np.random.default_rng(5)
        cur = rng.integers(0, 256, (96, 160), dtype=np.uint8)
        prev = rng.integers(0, 256, (96, 160), dtype=np.uint8)
        model = Detector()
        y = torch.from_numpy(cur).float()[None, None] / 255.0
        p = torch.from_numpy(prev).float()[None, None] / 255.0
        f_full, e_full = block_features(y, p), model.embed(y)
        R, C = 4, 8
        for r0, c0 in ((0, 0), (4, 6), (8, 12), (2, 0)):
            wc = torch.from_numpy(framecache.window(cur, r0, c0, R, C, None))[None, None]
            wp = torch.from_numpy(framecache.window(prev, r0, c0, R, C, None))[None, None]
            wpatch = torch.from_numpy(framecache.window(cur, r0, c0, R, C, 0.5)[6:8 * R + 10, 6:8 * C + 10])[None, None]
            f = block_features(wc, wp)[:, :, 1:-1, 1:-1]
            with torch.no_grad():
                e = model.embed(wpatch, padding=0)
                self.assertTrue(torch.allclose(e, e_full[:, :, r0:r0 + R, c0:c0 + C], atol=1e-6), (r0, c0))
            self.assertTrue(torch.allclose(f, f_full[:, :, r0:r0 + R, c0:c0 + C], atol=1e-6), (r0, c0))


class SourceSpecTests(unittest.TestCase):
    def test_specs_are_deterministic_and_cover_every_kind(self):
        imgs = ["/a.jpg", "/b.jpg", "/c.png"]
        for kind in sources.KINDS:
            a = sources.draw(kind, np.random.default_rng(7), imgs, imgs)
            b = sources.draw(kind, np.random.default_rng(7), imgs, imgs)
            self.assertEqual(a, b, kind)
            self.assertEqual(a["kind"], kind)


if __name__ == "__main__":
    unittest.main()
