using System.Text.Json;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Detection;

/// <summary>
/// The C# pipeline reproduces the training pipeline's golden vectors (docs/MODEL_CONTRACT.md): raw outputs
/// within 1e-4 and the post-processed severity, class and mask. For a recurrent detector each case is checked twice:
/// with the golden state input (the graph alone, next_state compared too) and by replaying the case's history
/// frames through a <see cref="DetectionStream"/> (the pipeline's own state bookkeeping). Fails when golden/ is
/// missing.
/// </summary>
public class GoldenVectorTests
{
    private const double DefaultTolerance = 1e-4;

    /// <summary>The shipped default (highest version under models/detector), the older versions still in the
    /// registry (a deployment can pin them) and every candidate under models/candidates/detector (models measured but
    /// not promoted, docs/BENCHMARKS.md), as "registry root/version".</summary>
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string> { "default" };
        var shipped = ModelRegistry.ListVersions(Path.Combine(TestModels.RepoRoot, "models"), "detector");
        foreach (var v in shipped.Skip(1))
        {
            data.Add("models/" + v);
        }

        foreach (var v in ModelRegistry.ListVersions(Path.Combine(TestModels.RepoRoot, "models", "candidates"), "detector"))
        {
            data.Add("models/candidates/" + v);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Detector_reproduces_the_golden_vectors(string model)
    {
        string root = Path.Combine(TestModels.RepoRoot, Path.GetDirectoryName(model)!), version = Path.GetFileName(model);
        using var owned = model == "default" ? null : DetectorPipeline.Load(root, version, TestModels.CpuOptions(maxConcurrency: 2));
        var pipeline = owned ?? TestModels.Pipeline;
        string dir = model == "default" ? TestModels.DetectorDirectory : Path.Combine(root, "detector", version);
        string golden = Path.Combine(dir, "golden");
        string casesPath = Path.Combine(golden, "cases.json");
        Assert.True(File.Exists(casesPath), $"golden vectors missing: {casesPath}");
        using var doc = JsonDocument.Parse(File.ReadAllText(casesPath));
        var cases = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("cases");
        double tol = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("tolerance", out var t) ? t.GetDouble() : DefaultTolerance;
        // The recurrent state is checked more loosely than the outputs: it integrates the block features, whose
        // std channel differs between C# and the training side's float32 by up to ~2.4e-3 (BlockFeaturesTests).
        double stateTol = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("state_tolerance", out var st) ? st.GetDouble() : 10 * tol;
        Assert.True(cases.GetArrayLength() > 0, "cases.json lists no cases");

        foreach (var c in cases.EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var luma = File.ReadAllBytes(Path.Combine(golden, c.GetProperty("luma").GetString()!));
            var prev = File.ReadAllBytes(Path.Combine(golden, c.GetProperty("prev_luma").GetString()!));
            Assert.Equal(w * h, luma.Length);
            var outputs = c.GetProperty("outputs");
            if (!pipeline.IsRecurrent)
            {
                Check(pipeline, name, pipeline.DetectLuma(PlaneView.Packed(luma, w, h), PlaneView.Packed(prev, w, h)), c, golden, tol);
                continue;
            }

            var state = ReadF32(golden, c.GetProperty("state"));
            var r = pipeline.DetectLuma(PlaneView.Packed(luma, w, h), PlaneView.Packed(prev, w, h), state, out var next);
            Check(pipeline, name + " (state given)", r, c, golden, tol);
            var goldenNext = ReadF32(golden, outputs.GetProperty("next_state"));
            Assert.Equal(goldenNext.Length, next.Length);
            for (int i = 0; i < next.Length; i++)
            {
                Assert.True(Math.Abs(goldenNext[i] - next[i]) <= stateTol, $"{name}: next_state[{i}] {next[i]} vs golden {goldenNext[i]}");
            }

            var stream = pipeline.CreateStream(name);
            foreach (var file in c.GetProperty("history").EnumerateArray())
            {
                pipeline.Detect(stream, RawFrame.Gray8(w, h, File.ReadAllBytes(Path.Combine(golden, file.GetString()!))));
            }

            Check(pipeline, name + " (history replayed)", pipeline.Detect(stream, RawFrame.Gray8(w, h, luma)), c, golden, tol);
        }
    }

    private static void Check(DetectorPipeline pipeline, string name, DetectionResult r, JsonElement c, string golden, double tol)
    {
        var post = pipeline.Postprocess;
        var outputs = c.GetProperty("outputs");
        var sev = ReadF32(golden, outputs.GetProperty("severity"));
        Assert.True(Math.Abs(sev[0] - r.ModelSeverity) <= tol, $"{name}: severity {r.ModelSeverity} vs golden {sev[0]}");
        // Golden block_probs are the model's grid for the padded input; compare the frame's blocks.
        var bpSpec = outputs.GetProperty("block_probs");
        var bp = ReadF32(golden, bpSpec);
        var shape = bpSpec.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        int gRows = shape[2], gCols = shape[3], rows = r.Mask.Rows, cols = r.Mask.Cols, n = rows * cols;
        Assert.True(gRows >= rows && gCols >= cols, $"{name}: golden grid {gRows}x{gCols} smaller than {rows}x{cols}");
        for (int ch = 0; ch < 2; ch++)
        {
            for (int i = 0; i < n; i++)
            {
                float g = bp[(ch * gRows * gCols) + ((i / cols) * gCols) + (i % cols)];
                float mine = r.BlockProbabilities[(ch * n) + i];
                Assert.True(Math.Abs(g - mine) <= tol, $"{name}: block_probs[{ch},{i / cols},{i % cols}] {mine} vs golden {g}");
            }
        }

        var expected = c.GetProperty("expected");
        Assert.True(Math.Abs(expected.GetProperty("severity").GetDouble() - r.Severity) <= tol, $"{name}: expected severity");
        if (Math.Abs(r.Severity - post.SeverityThreshold) > tol)
        {
            Assert.True(expected.GetProperty("class").GetString() == r.Class.ToVqbenchName(), $"{name}: class {r.Class.ToVqbenchName()} vs {expected.GetProperty("class").GetString()}");
        }

        var mask = expected.GetProperty("mask");
        Assert.Equal(mask.GetProperty("block").GetInt32(), r.Mask.BlockSize);
        Assert.Equal(mask.GetProperty("rows").GetInt32(), r.Mask.Rows);
        Assert.Equal(mask.GetProperty("cols").GetInt32(), r.Mask.Cols);
        var expectedBits = MaskCodec.Unpack(MaskCodec.FromHex(mask.GetProperty("bits").GetString()!), r.Mask.Rows * r.Mask.Cols);
        for (int i = 0; i < n; i++)
        {
            bool borderline = Math.Abs(r.BlockProbabilities[i] - post.MaskThreshold[0]) <= tol
                || Math.Abs(r.BlockProbabilities[n + i] - post.MaskThreshold[1]) <= tol;
            if (!borderline)
            {
                Assert.True(expectedBits[i] == r.Mask[i / r.Mask.Cols, i % r.Mask.Cols], $"{name}: mask block {i}");
            }
        }
    }

    private static float[] ReadF32(string dir, JsonElement spec)
    {
        var bytes = File.ReadAllBytes(Path.Combine(dir, spec.GetProperty("file").GetString()!));
        long count = spec.GetProperty("shape").EnumerateArray().Aggregate(1L, (a, d) => a * d.GetInt64());
        Assert.Equal(count * 4, bytes.Length);
        var values = new float[count];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
