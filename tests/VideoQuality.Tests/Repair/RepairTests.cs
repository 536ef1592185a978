using System.Text.Json;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;
using VideoQuality.Repair;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Repair;

/// <summary>The Repair library on real frames with the real enhancer model: pass-through, model repair, concealment.</summary>
public class RepairTests
{
    private const int W = 320, H = 192, Rows = H / 8, Cols = W / 8;

    private static readonly Lazy<FrameRepairer> Shared = new(() =>
        FrameRepairer.Load(new ModelOptions { Root = TestModels.Root }, TestModels.CpuOptions()));

    internal static FrameRepairer Repairer => Shared.Value;

    /// <summary>Smooth, textured I420 content (gradients and sines), shifted by (dx, dy).</summary>
    internal static byte[] Natural(int w, int h, int dx = 0, int dy = 0)
    {
        var buf = new byte[(w * h) + (2 * (w / 2) * (h / 2))];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double sx = x - dx, sy = y - dy;
                buf[(y * w) + x] = (byte)Math.Clamp(100 + (60 * Math.Sin(sx / 9.0)) + (40 * Math.Cos(sy / 7.0)) + (sx * 0.1), 0, 255);
            }
        }

        int cw = w / 2, ch = h / 2;
        for (int y = 0; y < ch; y++)
        {
            for (int x = 0; x < cw; x++)
            {
                buf[(w * h) + (y * cw) + x] = (byte)(128 + (30 * Math.Sin((x - (dx / 2.0)) / 11.0)));
                buf[(w * h) + (cw * ch) + (y * cw) + x] = (byte)(128 + (30 * Math.Cos((y - (dy / 2.0)) / 13.0)));
            }
        }

        return buf;
    }

    internal static BlockMask Mask(Func<int, int, bool> flagged, int rows = Rows, int cols = Cols)
    {
        var grid = new bool[rows * cols];
        for (int i = 0; i < grid.Length; i++)
        {
            grid[i] = flagged(i / cols, i % cols);
        }

        return BlockMask.FromBools(8, rows, cols, grid);
    }

    private static readonly BlockMask None = Mask((_, _) => false);

    [Fact]
    public void Clean_frame_passes_through_bit_for_bit_as_the_callers_own_bytes()
    {
        var bytes = Natural(W, H);
        var frame = RawFrame.I420(W, H, bytes);
        var r = Repairer.Repair(Repairer.CreateStream(), frame, None, None);
        Assert.True(r.Untouched);
        Assert.True(r.Frame.Data.Equals(frame.Data), "the caller's buffer itself comes back");
        Assert.Equal(bytes, r.Frame.Data.ToArray());
        Assert.Equal(0, r.ModelBlocks + r.TemporalBlocks);
    }

    [Fact]
    public void Blocky_region_is_repaired_by_the_model_and_everything_else_is_bit_identical()
    {
        var bytes = Natural(W, H);
        // Strong 8x8 blocking in blocks rows 6..11, cols 10..21: each block flattened to its mean.
        bool InDamage(int r, int c) => r is >= 6 and < 12 && c is >= 10 and < 22;
        for (int r = 6; r < 12; r++)
        {
            for (int c = 10; c < 22; c++)
            {
                int sum = 0;
                for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) sum += bytes[(((r * 8) + y) * W) + (c * 8) + x];
                for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) bytes[(((r * 8) + y) * W) + (c * 8) + x] = (byte)(sum / 64);
            }
        }

        var r0 = Repairer.Repair(null, RawFrame.I420(W, H, bytes), Mask(InDamage), None);
        var outBytes = r0.Frame.Data.ToArray();
        bool InRepair(int r, int c) => r is >= 5 and < 13 && c is >= 9 and < 23; // the default ring (6 px) stays inside the neighbouring blocks
        Assert.Equal(6 * 12, r0.ModelBlocks);
        int changed = 0;
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                int i = (y * W) + x;
                if (InRepair(y / 8, x / 8))
                {
                    changed += outBytes[i] != bytes[i] ? 1 : 0;
                }
                else
                {
                    Assert.True(outBytes[i] == bytes[i], $"luma ({x},{y}) outside the repair region changed");
                }
            }
        }

        Assert.True(changed > 8 * 14 * 64 / 4, $"only {changed} luma pixels of the repair region changed");
        int cw = W / 2;
        for (int p = 0; p < 2; p++)
        {
            for (int y = 0; y < H / 2; y++)
            {
                for (int x = 0; x < cw; x++)
                {
                    int i = (W * H) + (p * cw * (H / 2)) + (y * cw) + x;
                    // Chroma outside the repair region (plus the 2 samples a boundary filter may touch) stays.
                    if (!InRepair(y / 4, x / 4) && !InRepair((y + 2) / 4, x / 4) && !InRepair(Math.Max(0, y - 2) / 4, x / 4)
                        && !InRepair(y / 4, (x + 2) / 4) && !InRepair(y / 4, Math.Max(0, x - 2) / 4))
                    {
                        Assert.True(outBytes[i] == bytes[i], $"chroma plane {p} ({x},{y}) outside the repair region changed");
                    }
                }
            }
        }
    }

    [Fact]
    public void Transmission_hole_is_concealed_motion_compensated_from_the_previous_repaired_frame()
    {
        var stream = Repairer.CreateStream("s");
        var first = Natural(W, H);
        Assert.True(Repairer.Repair(stream, RawFrame.I420(W, H, first), None, None).Untouched);

        var truth = Natural(W, H, dx: 3, dy: 2);
        var damaged = (byte[])truth.Clone();
        bool Hole(int r, int c) => r is >= 8 and < 12 && c is >= 12 and < 20;
        var rng = new Random(5);
        for (int y = 64; y < 96; y++) for (int x = 96; x < 160; x++) damaged[(y * W) + x] = (byte)rng.Next(256);

        var r = Repairer.Repair(stream, RawFrame.I420(W, H, damaged), None, Mask(Hole));
        Assert.Equal(4 * 8, r.TemporalBlocks);
        Assert.Equal(0, r.ModelBlocks);
        var outBytes = r.Frame.Data.ToArray();
        double err = 0, garbage = 0;
        for (int y = 64; y < 96; y++)
        {
            for (int x = 96; x < 160; x++)
            {
                err += Math.Abs(outBytes[(y * W) + x] - truth[(y * W) + x]);
                garbage += Math.Abs(damaged[(y * W) + x] - truth[(y * W) + x]);
            }
        }

        err /= 32 * 64;
        garbage /= 32 * 64;
        Assert.True(err < 1.5, $"mean error in the concealed hole {err:0.00} (damaged: {garbage:0.00})");
        for (int i = 0; i < W * H; i++)
        {
            if (!Hole(i / W / 8, i % W / 8))
            {
                Assert.Equal(damaged[i], outBytes[i]);
            }
        }
    }

    [Fact]
    public void Transmission_blocks_go_to_the_model_without_history_or_after_a_scene_cut()
    {
        bool Hole(int r, int c) => r is >= 8 and < 10 && c is >= 12 and < 16;
        var noHistory = Repairer.Repair(Repairer.CreateStream(), RawFrame.I420(W, H, Natural(W, H)), None, Mask(Hole));
        Assert.Equal(0, noHistory.TemporalBlocks);
        Assert.Equal(8, noHistory.ModelBlocks);

        var stream = Repairer.CreateStream();
        Repairer.Repair(stream, RawFrame.I420(W, H, Natural(W, H)), None, None);
        var other = Natural(W, H);
        for (int i = 0; i < W * H; i++) other[i] = (byte)(255 - other[i]); // another scene
        var cut = Repairer.Repair(stream, RawFrame.I420(W, H, other), None, Mask(Hole));
        Assert.True(cut.SceneCut);
        Assert.Equal(0, cut.TemporalBlocks);
        Assert.Equal(8, cut.ModelBlocks);
    }

    [Fact]
    public void Output_format_conversion_and_mask_grid_are_checked()
    {
        var bytes = Natural(W, H);
        var gray = Repairer.Repair(null, RawFrame.I420(W, H, bytes), None, None, FramePixelFormat.Gray8);
        Assert.Equal(bytes.AsSpan(0, W * H).ToArray(), gray.Frame.Data.ToArray());
        var e = Assert.Throws<FrameFormatException>(() => Repairer.Repair(null, RawFrame.I420(W, H, bytes), Mask((_, _) => false, 3, 3), None));
        Assert.Contains("mask is 3x3 blocks", e.Message);
        var unknown = Assert.Throws<FrameFormatException>(() => Repairer.Repair(null, RawFrame.I420(W, H, bytes), None, None, (FramePixelFormat)42));
        Assert.Contains("unknown output format 42", unknown.Message);
    }

    [Fact]
    public void Policy_skips_clean_frames_and_conceals_every_flagged_block_of_transmission_frames()
    {
        var comp = Mask((r, c) => r == 1 && c == 1);
        var trans = Mask((r, c) => r == 2 && c == 5);
        var (cc, ct) = RepairPolicy.Select(new RepairOptions(), FrameClass.Clean, comp, trans);
        Assert.Equal(0, cc.Flagged + ct.Flagged);
        (cc, ct) = RepairPolicy.Select(new RepairOptions(), FrameClass.Transmission, comp, trans);
        Assert.Equal((0, 2), (cc.Flagged, ct.Flagged));
        Assert.True(ct[1, 1] && ct[2, 5]);
        (cc, ct) = RepairPolicy.Select(new RepairOptions(), FrameClass.Compression, comp, trans);
        Assert.Same(comp, cc);
        Assert.Same(trans, ct);
    }

    [Fact]
    public void Policy_repairs_a_transmission_frame_whose_mask_covers_more_than_the_concealment_cap_as_compression()
    {
        var comp = Mask((r, c) => r == 1 && c == 1);
        var wide = Mask((r, c) => r >= 1); // all rows but the first: far above the default cap
        var (cc, ct) = RepairPolicy.Select(new RepairOptions(), FrameClass.Transmission, comp, wide);
        Assert.Equal((1, 0), (cc.Flagged, ct.Flagged));
        Assert.True(cc[1, 1]);

        // At or under the cap the frame is concealed as before; 1 turns the guard off.
        var narrow = Mask((r, c) => r == 2 && c == 5);
        Assert.True(narrow.FlaggedFraction <= new RepairOptions().MaxConcealFraction);
        (cc, ct) = RepairPolicy.Select(new RepairOptions(), FrameClass.Transmission, comp, narrow);
        Assert.Equal((0, 2), (cc.Flagged, ct.Flagged));
        (cc, ct) = RepairPolicy.Select(new RepairOptions { MaxConcealFraction = 1 }, FrameClass.Transmission, comp, wide);
        Assert.Equal(0, cc.Flagged);
        Assert.Equal(wide.Flagged, ct.Flagged);
    }

    [Fact]
    public void Policy_with_whole_compression_frames_repairs_every_block_but_the_transmission_ones_of_compression_frames()
    {
        var comp = Mask((r, c) => r == 1 && c == 1);
        var trans = Mask((r, c) => r == 2 && c == 5);
        var whole = new RepairOptions { WholeCompressionFrames = true };
        var (cc, ct) = RepairPolicy.Select(whole, FrameClass.Compression, comp, trans);
        Assert.Equal(comp.Rows * comp.Cols - 1, cc.Flagged);
        Assert.False(cc[2, 5]);
        Assert.True(cc[0, 0] && cc[1, 1]);
        Assert.Same(trans, ct);

        // Other classes are unaffected: clean frames stay untouched, transmission frames are concealed as before.
        (cc, ct) = RepairPolicy.Select(whole, FrameClass.Clean, comp, trans);
        Assert.Equal(0, cc.Flagged + ct.Flagged);
        (cc, ct) = RepairPolicy.Select(whole, FrameClass.Transmission, comp, trans);
        Assert.Equal((0, 2), (cc.Flagged, ct.Flagged));
    }

    [Fact]
    public void Tiles_lie_on_the_block_grid_cover_every_flagged_block_and_respect_the_size_cap()
    {
        var rng = new Random(3);
        var grid = new bool[45 * 80];
        for (int i = 0; i < grid.Length; i++) grid[i] = rng.NextDouble() < 0.1;
        for (int r = 10; r < 40; r++) for (int c = 5; c < 60; c++) grid[(r * 80) + c] = true;
        var tiles = TilePlanner.Plan(grid, 45, 80, maxSideBlocks: 16, mergeGap: 1);
        var covered = new bool[grid.Length];
        foreach (var t in tiles)
        {
            Assert.InRange(t.Cols, 1, 16);
            Assert.InRange(t.Rows, 1, 16);
            for (int r = t.Row; r < t.EndRow; r++) for (int c = t.Col; c < t.EndCol; c++) covered[(r * 80) + c] = true;
        }

        for (int i = 0; i < grid.Length; i++) Assert.True(!grid[i] || covered[i], $"block {i} not covered");
        // Two blocks two apart merge with a gap of 1 block; far apart they do not.
        var pair = new bool[10 * 10];
        pair[(5 * 10) + 2] = pair[(5 * 10) + 4] = pair[(0 * 10) + 9] = true;
        Assert.Equal(2, TilePlanner.Plan(pair, 10, 10, 16, mergeGap: 1).Count);
        Assert.Equal(3, TilePlanner.Plan(pair, 10, 10, 16, mergeGap: 0).Count);
    }

    [Fact]
    public void Ring_width_bounds_the_written_pixels_and_tiling_does_not_change_the_model_output()
    {
        var bytes = Natural(W, H, 3, 5);
        // Scattered damage: blocks flattened to their mean in three clusters and a few single blocks.
        bool InDamage(int r, int c) => (r is >= 3 and < 7 && c is >= 4 and < 9) || (r is >= 12 and < 15 && c is >= 20 and < 33)
            || (r == 20 && c % 7 == 2) || (r is >= 9 and < 11 && c is >= 30 and < 32);
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                if (!InDamage(r, c)) continue;
                int sum = 0;
                for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) sum += bytes[(((r * 8) + y) * W) + (c * 8) + x];
                for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) bytes[(((r * 8) + y) * W) + (c * 8) + x] = (byte)(sum / 64);
            }
        }

        var frame = RawFrame.I420(W, H, bytes);
        var mask = Mask(InDamage);
        const int ring = 3;
        using var narrow = new FrameRepairer(Repairer.Model, new RepairOptions { DilatePixels = ring, Chroma = ChromaRepair.None }, ownsModel: false);
        using var wide = new FrameRepairer(Repairer.Model, new RepairOptions { DilatePixels = 8, Chroma = ChromaRepair.None, MergeGapBlocks = 8 }, ownsModel: false);
        var a = narrow.Repair(null, frame, mask, None).Frame.Data.ToArray();
        var b = wide.Repair(null, frame, mask, None).Frame.Data.ToArray();
        int changed = 0;
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                int i = (y * W) + x;
                // Chebyshev distance from the pixel to the nearest flagged block (0 inside one).
                int d = int.MaxValue;
                for (int r = Math.Max(0, (y / 8) - 2); r <= Math.Min(Rows - 1, (y / 8) + 2); r++)
                {
                    for (int c = Math.Max(0, (x / 8) - 2); c <= Math.Min(Cols - 1, (x / 8) + 2); c++)
                    {
                        if (InDamage(r, c))
                        {
                            int dx = Math.Max(0, Math.Max((c * 8) - x, x - ((c * 8) + 7)));
                            int dy = Math.Max(0, Math.Max((r * 8) - y, y - ((r * 8) + 7)));
                            d = Math.Min(d, Math.Max(dx, dy));
                        }
                    }
                }

                if (d > ring)
                {
                    Assert.True(a[i] == bytes[i], $"({x},{y}) is {d} px from damage, beyond the {ring}-px ring, and changed");
                }
                else if (d == 0 && DistanceToEdge(x, y, InDamage) > ring + 2)
                {
                    // Deep inside the damage both runs write pure model output: different tilings and margins, same values.
                    Assert.True(a[i] == b[i], $"({x},{y}): {a[i]} with a {ring}-px ring vs {b[i]} with 8 px and merged tiles");
                    changed += a[i] != bytes[i] ? 1 : 0;
                }
            }
        }

        Assert.True(changed > 100, $"only {changed} pixels inside the damage changed");
    }

    // Distance from a pixel inside flagged blocks to the nearest pixel of an unflagged block (frame borders do not count).
    private static int DistanceToEdge(int x, int y, Func<int, int, bool> flagged)
    {
        for (int k = 1; k < 16; k++)
        {
            for (int yy = y - k; yy <= y + k; yy++)
            {
                for (int xx = x - k; xx <= x + k; xx++)
                {
                    if (xx >= 0 && yy >= 0 && xx < W && yy < H && !flagged(yy / 8, xx / 8)) return k;
                }
            }
        }

        return 16;
    }

    [Fact]
    public void Margin_aware_planning_cuts_sparse_boxes_and_never_costs_more()
    {
        static long Area(List<BlockRect> tiles, int m) => tiles.Sum(t => (long)((t.Cols * 8) + (2 * m)) * ((t.Rows * 8) + (2 * m)));
        var rng = new Random(5);
        for (int trial = 0; trial < 50; trial++)
        {
            var grid = new bool[45 * 80];
            for (int k = 0; k < 12; k++)
            {
                int r0 = rng.Next(40), c0 = rng.Next(75), h = rng.Next(1, 6), w = rng.Next(1, 6);
                for (int r = r0; r < Math.Min(45, r0 + h); r++) for (int c = c0; c < Math.Min(80, c0 + w); c++) grid[(r * 80) + c] = true;
            }

            var plain = TilePlanner.Plan(grid, 45, 80, 16, mergeGap: 1);
            var refined = TilePlanner.Plan(grid, 45, 80, 16, mergeGap: 1, contextPixels: 8);
            Assert.True(Area(refined, 8) <= Area(plain, 8), $"trial {trial}: refined {Area(refined, 8)} > plain {Area(plain, 8)}");
            var covered = new bool[grid.Length];
            foreach (var t in refined)
            {
                for (int r = t.Row; r < t.EndRow; r++) for (int c = t.Col; c < t.EndCol; c++) covered[(r * 80) + c] = true;
            }

            for (int i = 0; i < grid.Length; i++) Assert.True(!grid[i] || covered[i], $"trial {trial}: block {i} not covered");
        }

        // An L of two 6-block arms with 8 px of context: one 64x64 px box vs two thin tiles (24x56 + 64x24 px).
        var l = new bool[10 * 10];
        for (int i = 0; i < 6; i++) l[(i * 10) + 0] = l[(5 * 10) + i] = true;
        Assert.Single(TilePlanner.Plan(l, 10, 10, 16, mergeGap: 1));
        Assert.Equal(2, TilePlanner.Plan(l, 10, 10, 16, mergeGap: 1, contextPixels: 8).Count);
    }

    [Fact]
    public void Enhancer_reproduces_the_golden_vectors()
    {
        // Every version in the registry, and each profile of versions that ship several (enhancer 2.0.0 on).
        var versions = ModelRegistry.ListVersions(TestModels.Root, "enhancer");
        Assert.True(versions.Count > 0, $"no enhancer model under {TestModels.Root}/enhancer");
        Assert.Equal(versions[0], Repairer.Model.Info.Version);
        // Candidates (models/candidates/enhancer/<version>) are held to their golden vectors too.
        string candidates = Path.Combine(TestModels.Root, "candidates");
        var all = versions.Select(v => (Root: TestModels.Root, Version: v))
            .Concat(ModelRegistry.ListVersions(candidates, "enhancer").Select(v => (Root: candidates, Version: v)));
        foreach (var (root, version) in all)
        {
            string golden = Path.Combine(root, "enhancer", version, "golden");
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(golden, "cases.json")));
            double tol = doc.RootElement.TryGetProperty("tolerance", out var t) ? t.GetDouble() : 1e-4;
            var cases = doc.RootElement.GetProperty("cases");
            Assert.True(cases.GetArrayLength() > 0);
            foreach (var group in cases.EnumerateArray().GroupBy(c => c.TryGetProperty("profile", out var p) ? p.GetString() : null))
            {
                using var model = EnhancerModel.Load(new ModelOptions { Root = root, Version = version, Profile = group.Key }, TestModels.CpuOptions());
                Assert.Equal(group.Key ?? string.Empty, model.Info.Profile);
                foreach (var c in group)
                {
                    string name = $"{root} {version} {c.GetProperty("name").GetString()}";
                    int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
                    var luma = File.ReadAllBytes(Path.Combine(golden, c.GetProperty("luma").GetString()!));
                    var spec = c.GetProperty("outputs").GetProperty("restored");
                    var raw = File.ReadAllBytes(Path.Combine(golden, spec.GetProperty("file").GetString()!));
                    var expected = new float[raw.Length / 4];
                    Buffer.BlockCopy(raw, 0, expected, 0, raw.Length);
                    var origin = c.TryGetProperty("origin", out var o) ? o.EnumerateArray().Select(v => v.GetInt32()).ToArray() : [0, 0];
                    var got = model.Restore(PlaneView.Packed(luma, w, h), out int pw, out int ph, origin[1], origin[0]);
                    Assert.Equal(expected.Length, pw * ph);
                    for (int i = 0; i < expected.Length; i++)
                    {
                        Assert.True(Math.Abs(expected[i] - got[i]) <= tol, $"{name}: restored[{i / pw},{i % pw}] {got[i]} vs golden {expected[i]}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Enhancer_profiles_are_chosen_by_configuration_and_refused_when_unknown()
    {
        // A version with two profiles (both files are the served model, so the load path is the real one).
        string root = Path.Combine(Path.GetTempPath(), "vq-profiles-" + Guid.NewGuid().ToString("N"));
        var served = ModelRegistry.Resolve(TestModels.Root, "enhancer");
        string dir = Directory.CreateDirectory(Path.Combine(root, "enhancer", "9.0.0")).FullName;
        try
        {
            File.Copy(served.ModelPath, Path.Combine(dir, "a.onnx"));
            File.Copy(served.ModelPath, Path.Combine(dir, "b.onnx"));
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(served.Directory, "manifest.json")))!.AsObject();
            string sha = served.Manifest.Sha256;
            node["version"] = "9.0.0";
            node["profiles"] = System.Text.Json.Nodes.JsonNode.Parse(
                "{\"fast\": {\"file\": \"a.onnx\", \"sha256\": \"" + sha + "\", \"context_margin\": 7}, "
                + "\"quality\": {\"file\": \"b.onnx\", \"sha256\": \"" + sha + "\", \"context_margin\": 9}}");
            node["default_profile"] = System.Text.Json.Nodes.JsonNode.Parse("""{"cpu": "fast", "gpu": "quality"}""");
            File.WriteAllText(Path.Combine(dir, "manifest.json"), node.ToJsonString());

            using var auto = EnhancerModel.Load(new ModelOptions { Root = root }, TestModels.CpuOptions());
            Assert.Equal("fast", auto.Info.Profile); // CPU default
            Assert.Equal(7, auto.ContextMargin);
            using var quality = EnhancerModel.Load(new ModelOptions { Root = root, Profile = "quality" }, TestModels.CpuOptions());
            Assert.Equal("quality", quality.Info.Profile);
            Assert.Equal(9, quality.ContextMargin);
            var e = Assert.Throws<ModelLoadException>(() => EnhancerModel.Load(new ModelOptions { Root = root, Profile = "turbo" }, TestModels.CpuOptions()));
            Assert.Contains("no profile 'turbo'", e.Message);
            Assert.Contains("fast, quality", e.Message);

            File.WriteAllBytes(Path.Combine(dir, "b.onnx"), [1, 2, 3]); // a tampered profile file is refused like any model
            Assert.Throws<ModelLoadException>(() => EnhancerModel.Load(new ModelOptions { Root = root, Profile = "quality" }, TestModels.CpuOptions()));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
