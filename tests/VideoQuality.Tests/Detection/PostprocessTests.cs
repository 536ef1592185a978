using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Tests.Detection;

public class PostprocessTests
{
    private static readonly DetectorPostprocessor Post = new(new PostprocessSpec
    {
        SeverityThreshold = 0.5f,
        MaskThreshold = [0.5f, 0.6f],
        TransmissionMinFraction = 0.25,
    }, 8);

    // 2x2 grid: compression plane then transmission plane.
    private static float[] Probs(float[] comp, float[] trans) => [.. comp, .. trans];

    [Fact]
    public void Below_severity_threshold_is_clean_even_with_flagged_blocks()
    {
        var r = Post.Apply(0.49f, Probs([0.9f, 0, 0, 0], [0.9f, 0.9f, 0, 0]), 2, 2, 2, 2);
        Assert.Equal(FrameClass.Clean, r.Class);
        Assert.Equal(2, r.Mask.Flagged);
    }

    [Fact]
    public void Transmission_share_at_the_minimum_fraction_is_transmission()
    {
        // one of four blocks = 0.25 >= 0.25; thresholds are inclusive (>=).
        var r = Post.Apply(0.5f, Probs([0.5f, 0, 0, 0], [0, 0.6f, 0, 0]), 2, 2, 2, 2);
        Assert.Equal(FrameClass.Transmission, r.Class);
        Assert.Equal((2, 1, 1), (r.Mask.Flagged, r.CompressionMask.Flagged, r.TransmissionMask.Flagged));
    }

    [Fact]
    public void Transmission_below_the_per_channel_threshold_is_compression()
    {
        var r = Post.Apply(0.9f, Probs([0.7f, 0, 0, 0], [0, 0.59f, 0, 0]), 2, 2, 2, 2);
        Assert.Equal(FrameClass.Compression, r.Class);
        Assert.Equal(0, r.TransmissionMask.Flagged);
    }

    [Fact]
    public void Block_fraction_alarm_raises_the_severity_of_a_frame_whose_mask_covers_that_share()
    {
        var fused = new DetectorPostprocessor(new PostprocessSpec { MaskThreshold = [0.5f, 0.6f], BlockFractionAlarm = 0.5 }, 8);
        // two of four blocks flagged = 0.5 >= 0.5: severity 0.5 (flagged), compression.
        var r = fused.Apply(0.1f, Probs([0.9f, 0.8f, 0, 0], [0, 0, 0, 0]), 2, 2, 2, 2);
        Assert.Equal((0.5f, FrameClass.Compression, 2), (r.Severity, r.Class, r.Mask.Flagged));
        // one of four: q = 0.25 below the model's 0.3, which stays; clean.
        r = fused.Apply(0.3f, Probs([0.9f, 0, 0, 0], [0, 0, 0, 0]), 2, 2, 2, 2);
        Assert.Equal((0.3f, FrameClass.Clean), (r.Severity, r.Class));
        // all four: 1.0; the model's severity is never lowered.
        Assert.Equal(1f, DetectorPostprocessor.Fuse(0.2f, 1.0, 0.5));
        Assert.Equal(0.9f, DetectorPostprocessor.Fuse(0.9f, 0.0, 0.5));
        // without the key the model's severity is the frame's, whatever the mask.
        r = Post.Apply(0.1f, Probs([0.9f, 0.9f, 0.9f, 0.9f], [0, 0, 0, 0]), 2, 2, 2, 2);
        Assert.Equal((0.1f, FrameClass.Clean), (r.Severity, r.Class));
    }

    [Fact]
    public void Grid_is_cropped_to_the_frame()
    {
        // model grid 2x3, frame grid 1x2.
        float[] p = [0.9f, 0.1f, 0.9f, 0.9f, 0.9f, 0.9f, 0, 0, 0, 0, 0, 0];
        var r = Post.Apply(0.9f, p, 2, 3, 1, 2);
        Assert.Equal((1, 2, 1), (r.Mask.Rows, r.Mask.Cols, r.Mask.Flagged));
        Assert.Equal([0.9f, 0.1f, 0f, 0f], r.BlockProbabilities);
    }
}

public class LumaTensorTests
{
    [Fact]
    public void Pads_right_and_bottom_by_edge_replication_and_scales_by_1_over_255()
    {
        // 3x2 plane with stride 4 padded to 4x4.
        byte[] data = [10, 20, 30, 99, 40, 50, 255, 99];
        var dst = new float[16];
        LumaTensor.Write(new PlaneView(data, 3, 2, 4), dst, 4, 4);
        float[] expected =
        [
            10, 20, 30, 30,
            40, 50, 255, 255,
            40, 50, 255, 255,
            40, 50, 255, 255,
        ];
        Assert.Equal(expected.Select(v => v / 255f), dst);
        Assert.Equal(8, LumaTensor.PadTo(1, 8));
        Assert.Equal(368, LumaTensor.PadTo(360, 16));
        Assert.Equal(360, LumaTensor.PadTo(360, 8));
    }

    [Fact]
    public void Every_value_matches_the_training_sides_uint8_over_255_on_the_vectorised_path_and_the_tail()
    {
        // 256 values in a 37-pixel-wide plane: 32 pixels per row go through the 16-wide path, 5 through the tail.
        const int w = 37, h = 7;
        var data = new byte[w * h];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i % 256);
        }

        var dst = new float[40 * 8];
        LumaTensor.Write(PlaneView.Packed(data, w, h), dst, 40, 8);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                Assert.Equal((float)(data[(y * w) + x] / 255.0), dst[(y * 40) + x]);
            }
        }
    }
}

public class VqbenchLineTests
{
    [Fact]
    public void Formats_exactly_the_vqbench_prediction_line()
    {
        var bits = MaskCodec.Pack([true, false, false, false, false, false, false, false, true]);
        Assert.Equal(
            "{\"frame\": 3, \"severity\": 0.123457, \"class\": \"transmission\", \"mask\": {\"block\": 8, \"rows\": 3, \"cols\": 3, \"bits\": \"8080\"}}",
            VqbenchLine.Format(3, 0.1234567f, FrameClass.Transmission, 8, 3, 3, bits));
        Assert.Equal("{\"frame\": 0, \"severity\": 1.0, \"class\": \"clean\"}", VqbenchLine.Format(0, 1f, FrameClass.Clean, 8, 0, 0, [], includeMask: false));
        Assert.Equal("{\"frame\": 0, \"severity\": 0.0, \"class\": \"clean\"}", VqbenchLine.Format(0, 0f, FrameClass.Clean, 8, 0, 0, [], includeMask: false));
    }

    [Fact]
    public void Lines_parse_as_json_with_the_fields_vqbench_reads()
    {
        var line = VqbenchLine.Format(12, 0.5f, FrameClass.Compression, 8, 2, 2, MaskCodec.Pack([true, true, false, true]));
        using var doc = System.Text.Json.JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal(12, root.GetProperty("frame").GetInt32());
        Assert.Equal(0.5, root.GetProperty("severity").GetDouble());
        Assert.Equal("compression", root.GetProperty("class").GetString());
        Assert.Equal("d0", root.GetProperty("mask").GetProperty("bits").GetString());
    }

    [Fact]
    public void Read_returns_what_Format_wrote()
    {
        var path = Path.GetTempFileName();
        try
        {
            var bits = MaskCodec.Pack([true, false, false, true]);
            File.WriteAllLines(path, [VqbenchLine.Format(0, 0.75f, FrameClass.Transmission, 8, 2, 2, bits), "",
                VqbenchLine.Format(1, 0f, FrameClass.Clean, 8, 0, 0, [], includeMask: false)]);
            var lines = VqbenchLine.Read(path);
            Assert.Equal(2, lines.Count);
            Assert.Equal(FrameClass.Transmission, lines[0].Class);
            Assert.Equal(0.75, lines[0].Severity);
            Assert.Equal(bits, lines[0].Mask8(2, 2).Bits);
            Assert.Null(lines[1].Mask);
            Assert.Equal(0, lines[1].Mask8(2, 2).Flagged);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\"frame\": 0, \"severity\": 0.5", "invalid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"frame\": 1, \"severity\": 0.5}", "'frame' must be 0")]
    [InlineData("{\"frame\": 0, \"severity\": 1.5}", "severity")]
    [InlineData("{\"frame\": 0, \"severity\": 0.5, \"class\": \"blocky\"}", "class must be")]
    [InlineData("{\"frame\": 0, \"severity\": 0.5, \"mask\": {\"block\": 4, \"rows\": 1, \"cols\": 1, \"bits\": \"80\"}}", "mask needs block")]
    [InlineData("{\"frame\": 0, \"severity\": 0.5, \"mask\": {\"block\": 8, \"rows\": 2, \"cols\": 8, \"bits\": \"80\"}}", "needs 4 hex digits")]
    [InlineData("{\"frame\": 0, \"severity\": 0.5, \"mask\": {\"block\": 8, \"rows\": 1, \"cols\": 8, \"bits\": \"zz\"}}", "not hex")]
    public void Bad_lines_are_rejected_naming_the_line(string line, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => VqbenchLine.Parse(line, 0, "clip.jsonl line 1"));
        Assert.StartsWith("clip.jsonl line 1: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_mask_on_another_grid_is_rejected_and_a_16_px_mask_is_spread_on_the_8_px_grid()
    {
        // 3x3 blocks of 8 px = 2x2 of 16 px; the 16-px bit (0, 1) covers 8-px columns 2 (column 3 is outside the frame).
        var p16 = VqbenchLine.Parse(VqbenchLine.Format(0, 0.5f, FrameClass.Transmission, 16, 2, 2, MaskCodec.Pack([false, true, false, false])), 0, "x");
        Assert.Equal(MaskCodec.Pack([false, false, true, false, false, true, false, false, false]), p16.Mask8(3, 3).Bits);
        var p8 = VqbenchLine.Parse(VqbenchLine.Format(0, 0.5f, FrameClass.Transmission, 8, 2, 2, MaskCodec.Pack([true, true, true, true])), 0, "x");
        var e = Assert.Throws<InvalidDataException>(() => p8.Mask8(3, 3));
        Assert.Contains("mask is 2x2 blocks of 8 px, the frame needs 3x3", e.Message);
    }
}
