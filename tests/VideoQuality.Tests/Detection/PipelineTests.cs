using VideoQuality.Detection;
using VideoQuality.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Detection;

public class PipelineTests
{
    [Fact]
    public void Frames_not_multiple_of_the_stride_are_padded_by_edge_replication_and_the_mask_cropped()
    {
        var p = TestModels.Pipeline;
        int w = 100, h = 50;
        var luma = Frames.BlockyLuma(w, h);
        var r = p.Detect(RawFrame.Gray8(w, h, luma));
        Assert.Equal((7, 13), (r.Mask.Rows, r.Mask.Cols));
        Assert.Equal(2 * 7 * 13, r.BlockProbabilities.Length);

        // The same frame padded by hand to 104x56 gives the same probabilities on the frame's blocks.
        int pw = LumaTensor.PadTo(w, p.Stride), ph = LumaTensor.PadTo(h, p.Stride);
        var padded = new byte[pw * ph];
        for (int y = 0; y < ph; y++)
        {
            for (int x = 0; x < pw; x++)
            {
                padded[(y * pw) + x] = luma[(Math.Min(y, h - 1) * w) + Math.Min(x, w - 1)];
            }
        }

        var rp = p.Detect(RawFrame.Gray8(pw, ph, padded));
        Assert.Equal(rp.Severity, r.Severity, 5);
        int cols = rp.Mask.Cols, n = rp.Mask.Rows * cols;
        for (int row = 0; row < 7; row++)
        {
            for (int c = 0; c < 13; c++)
            {
                Assert.Equal(rp.BlockProbabilities[(row * cols) + c], r.BlockProbabilities[(row * 13) + c], 5);
                Assert.Equal(rp.BlockProbabilities[n + (row * cols) + c], r.BlockProbabilities[(7 * 13) + (row * 13) + c], 5);
            }
        }

        Assert.All(r.Regions, g => Assert.True(g.X + g.Width <= w && g.Y + g.Height <= h));
    }

    [Fact]
    public void Stream_history_supplies_the_previous_frame_and_resets_on_size_change()
    {
        var p = TestModels.Pipeline;
        var stream = p.CreateStream("s");
        var f0 = RawFrame.I420(64, 48, Frames.I420(64, 48, 0));
        var f1 = RawFrame.I420(64, 48, Frames.I420(64, 48, 5));
        var r0 = p.Detect(stream, f0);
        var r1 = p.Detect(stream, f1);
        Assert.False(r0.HasTemporalContext);
        Assert.True(r1.HasTemporalContext);

        // Without a recurrent state the stream result equals the unary call with the explicit previous frame; a
        // recurrent detector's stream also carries the state of frame 0, which a unary call does not have. Either way
        // the result differs from no history, and a second stream shown the same frames gives the same result.
        var unary = p.Detect(f1, f0);
        if (p.IsRecurrent)
        {
            Assert.NotEqual(unary.BlockProbabilities, r1.BlockProbabilities);
        }
        else
        {
            Assert.Equal(unary.Severity, r1.Severity);
            Assert.Equal(unary.BlockProbabilities, r1.BlockProbabilities);
        }

        var noHistory = p.Detect(f1);
        Assert.NotEqual(noHistory.BlockProbabilities, r1.BlockProbabilities);
        var again = p.CreateStream("again");
        p.Detect(again, f0);
        Assert.Equal(r1.BlockProbabilities, p.Detect(again, f1).BlockProbabilities);

        var r2 = p.Detect(stream, RawFrame.Gray8(32, 16, Frames.BlockyLuma(32, 16)));
        Assert.False(r2.HasTemporalContext);
        Assert.Equal(3, stream.FramesDetected);
    }

    [Fact]
    public async Task Frames_prepared_ahead_and_run_in_any_order_give_the_sequential_results()
    {
        // The Detector service prepares several frames of a stream before running them (BeginAsync) and runs them
        // on any thread. A recurrent model's frame must still see the state its predecessor left: run the prepared
        // frames last-first on separate threads and compare with one-at-a-time detection on another stream.
        const int n = 4;
        using var p = VideoQuality.Detection.DetectorPipeline.Load(TestModels.Root, inference: TestModels.CpuOptions(maxConcurrency: n));
        var frames = Enumerable.Range(0, n).Select(i => RawFrame.Gray8(96, 64, Frames.BlockyLuma(96, 64, seed: i))).ToList();
        var sequential = p.CreateStream("sequential");
        var expected = frames.Select(f => p.Detect(sequential, f)).ToList();

        var ahead = p.CreateStream("ahead");
        var pending = new List<VideoQuality.Detection.DetectorPipeline.PendingDetection>();
        foreach (var f in frames)
        {
            pending.Add(await p.BeginAsync(ahead, f));
        }

        var runs = Enumerable.Range(0, n).Reverse().Select(i => Task.Run(pending[i].Run)).ToList();
        runs.Reverse();
        var got = await Task.WhenAll(runs);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected[i].Severity, got[i].Severity);
            Assert.Equal(expected[i].BlockProbabilities, got[i].BlockProbabilities);
        }
    }

    [Fact]
    public void Every_input_format_of_the_same_picture_gives_the_same_result()
    {
        var p = TestModels.Pipeline;
        int w = 64, h = 48;
        var i420 = Frames.I420(w, h);
        var gray = i420.AsMemory(0, w * h);
        var nv12 = new byte[i420.Length];
        i420.AsSpan(0, w * h).CopyTo(nv12);
        nv12.AsSpan(w * h).Fill(128);
        var expected = p.Detect(RawFrame.Gray8(w, h, gray));
        Assert.Equal(expected.BlockProbabilities, p.Detect(RawFrame.I420(w, h, i420)).BlockProbabilities);
        Assert.Equal(expected.BlockProbabilities, p.Detect(new RawFrame(FramePixelFormat.Nv12, w, h, nv12)).BlockProbabilities);
    }

    [Fact]
    public void Result_reports_model_provider_and_timings()
    {
        var r = TestModels.Pipeline.Detect(RawFrame.I420(640, 360, Frames.I420(640, 360)));
        Assert.Equal("CPU", r.Model.ExecutionProvider);
        Assert.False(string.IsNullOrEmpty(r.Model.Version));
        Assert.Equal(64, r.Model.Sha256.Length);
        Assert.True(r.Timings.InferenceUs > 0);
        Assert.Equal((45, 80), (r.Mask.Rows, r.Mask.Cols));
        Assert.Equal(r.Mask.Flagged, r.Regions.Sum(g => g.Blocks));
        var line = VqbenchLine.Format(0, r);
        Assert.Contains($"\"bits\": \"{r.Mask.ToHex()}\"", line);
    }
}
