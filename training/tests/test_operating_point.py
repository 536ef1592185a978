"""The frame decision (postprocess.fuse), the joint offset / block-fraction search and vqtrain.shift on the shipped
detector (run from training/: /usr/bin/python3 -m unittest discover -s tests)."""
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from vqtrain import calibrate, postprocess, shift
from vqtrain.export import sha256

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "detector" / "2.0.0"


class FuseTests(unittest.TestCase):
    def test_the_alarm_share_maps_to_the_alarm_threshold_and_never_lowers_the_model(self):
        self.assertEqual(postprocess.fuse(0.1, 0.08, 0.08), 0.5)
        self.assertAlmostEqual(postprocess.fuse(0.1, 0.04, 0.08), 0.25)
        self.assertEqual(postprocess.fuse(0.9, 0.0, 0.08), 0.9)
        self.assertEqual(postprocess.fuse(0.2, 1.0, 0.08), 1.0)
        self.assertEqual(postprocess.fuse(0.2, 1.0, None), 0.2)
        a = postprocess.fuse_array(np.array([0.1, 0.1, 0.9]), np.array([0.08, 0.04, 0.0]), 0.08)
        np.testing.assert_allclose(a, [0.5, 0.25, 0.9])

    def test_frame_result_flags_a_frame_by_its_mask_share(self):
        probs = np.zeros((2, 2, 2), np.float32)
        probs[0, 0, :] = 0.9  # half the blocks compression
        pp = dict(postprocess.DEFAULT, block_fraction_alarm=0.5)
        r = postprocess.frame_result(0, 0.1, probs, 16, 16, pp)
        self.assertEqual((r["severity"], r["class"]), (0.5, "compression"))
        r = postprocess.frame_result(0, 0.1, probs, 16, 16, postprocess.DEFAULT)
        self.assertEqual((r["severity"], r["class"]), (0.1, "clean"))


class FusionSearchTests(unittest.TestCase):
    def test_finds_the_block_alarm_when_the_frame_head_misses_what_the_masks_see(self):
        rng = np.random.default_rng(0)
        n = 2000
        z = np.concatenate([rng.normal(-4, 0.5, n), rng.normal(-4, 0.5, n)])  # the head sees nothing
        frac = np.concatenate([rng.uniform(0, 0.02, n), rng.uniform(0.1, 0.4, n)])  # the masks do
        neg = np.arange(2 * n) < n
        res = calibrate.fusion_search(z, frac, neg, ~neg, 0.01)
        self.assertIsNotNone(res["block_fraction_alarm"])
        self.assertGreater(res["calib_recall"], 0.95)
        self.assertLessEqual(res["calib_far"], 0.01)
        head_only = [c for c in res["by_alarm"] if c["block_fraction_alarm"] is None][0]
        self.assertLess(head_only["recall"], 0.5)


@unittest.skipUnless((SHIPPED / "manifest.json").is_file(), "no shipped detector 2.0.0")
class ShiftTests(unittest.TestCase):
    def test_moves_the_offset_in_both_graphs_and_the_golden_severities(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "src"
            shutil.copytree(SHIPPED, src)
            man0 = json.loads((src / "manifest.json").read_text())
            man0["postprocess"].pop("block_fraction_alarm", None)  # the curve path moves the offset only
            (src / "manifest.json").write_text(json.dumps(man0))
            b0 = man0["training"]["calibration"]["severity_logit_offset"]
            out = Path(tmp) / "out"
            res = shift.shift(src, out, 0.005, None)
            want = max((c for c in man0["training"]["calibration"]["far_recall_by_offset"] if c[1] <= 0.005),
                       key=lambda c: c[2])[0]
            self.assertEqual(res["offset"], want)
            man = json.loads((out / "manifest.json").read_text())
            self.assertEqual(man["sha256"], sha256(out / "model.onnx"))
            self.assertEqual(man["full_graph"]["sha256"], sha256(out / "full.onnx"))
            for f, name in (("model.onnx", "det.sev.2.bias"), ("full.onnx", "sev.2.bias")):
                get = lambda d: [numpy_helper.to_array(i) for i in onnx.load(str(d / f)).graph.initializer
                                 if i.name == name][0]
                np.testing.assert_allclose(get(out) - get(src), want - b0, atol=1e-5)
            for c in json.loads((out / "golden" / "cases.json").read_text())["cases"]:
                s0 = np.fromfile(src / "golden" / c["outputs"]["severity"]["file"], np.float32)[0]
                s1 = np.fromfile(out / "golden" / c["outputs"]["severity"]["file"], np.float32)[0]
                z0 = np.log(s0) - np.log1p(-s0)
                self.assertAlmostEqual(float(s1), float(1 / (1 + np.exp(-(z0 + want - b0)))), places=5)


if __name__ == "__main__":
    unittest.main()
