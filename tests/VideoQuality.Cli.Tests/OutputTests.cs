using VideoQuality.Cli.Output;
using VideoQuality.Detection;

namespace VideoQuality.Cli.Tests;

public sealed class OutputTests
{
    /// <summary>A result with a 2x5 mask; <paramref name="flagged"/> of its 10 blocks set.</summary>
    private static FrameResult Result(long frame, float severity, FrameClass cls, int flagged = 9)
    {
        var grid = Enumerable.Range(0, 10).Select(i => i < flagged).ToArray();
        return new(frame, TimeSpan.FromSeconds(frame / 30.0), severity, cls, BlockMask.FromBools(8, 2, 5, grid));
    }

    [Fact]
    public void A_line_is_the_vqbench_prediction_format()
    {
        var line = PredictionWriter.FormatLine(Result(3, 0.8299999833106995f, FrameClass.Compression));
        Assert.Equal("""{"frame": 3, "severity": 0.83, "class": "compression", "mask": {"block": 8, "rows": 2, "cols": 5, "bits": "ff80"}}""", line);
    }

    [Theory]
    [InlineData("/data/clips/match day.final.mkv", "match day.final")]
    [InlineData("clip.y4m", "clip")]
    [InlineData("udp://239.0.0.1:1234", "239.0.0.1_1234")]
    [InlineData("https://cdn.example.com/live/channel1/index.m3u8", "cdn.example.com_live_channel1_index")]
    [InlineData("https://cdn.example.com:8443/live/channel2/index.m3u8", "cdn.example.com_8443_live_channel2_index")]
    [InlineData("rtsp://cam.local/stream1", "cam.local_stream1")]
    [InlineData("rtsp://cam.local:8554/stream1", "cam.local_8554_stream1")]
    public void The_output_stem_comes_from_the_input_name(string input, string stem) =>
        Assert.Equal(stem, PredictionWriter.StemOf(input));

    [Fact]
    public async Task Frames_must_be_written_in_order_and_each_line_is_flushed()
    {
        using var dir = new TempDir();
        await using var writer = PredictionWriter.Create(dir.Path, "x.mkv");
        await writer.WriteAsync(Result(0, 0.1f, FrameClass.Clean), CancellationToken.None);
        // Readable by another reader before the writer is closed (live inputs).
        using (var reader = new StreamReader(new FileStream(writer.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
        {
            Assert.StartsWith("""{"frame": 0,""", await reader.ReadToEndAsync());
        }
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync(Result(2, 0.1f, FrameClass.Clean), CancellationToken.None));
    }

    [Fact]
    public void The_summary_reports_the_worst_episodes_with_timestamps()
    {
        var s = new DetectionSummary();
        for (var i = 0; i < 300; i++)
        {
            var (sev, cls) = i switch
            {
                >= 30 and < 60 => (0.7f + i / 1000f, FrameClass.Compression),
                >= 200 and < 210 => (0.95f, FrameClass.Transmission),
                _ => (0.1f, FrameClass.Clean),
            };
            s.Add(Result(i, sev, cls, flagged: 5));
        }
        Assert.Equal((300L, 40L, 30L, 10L), (s.Frames, s.Flagged, s.Compression, s.Transmission));
        var worst = s.WorstEpisodes;
        Assert.Equal(2, worst.Count);
        Assert.Equal((200L, 209L, FrameClass.Transmission), (worst[0].StartFrame, worst[0].EndFrame, worst[0].DominantClass));
        Assert.Equal((30L, 59L, FrameClass.Compression, 59L), (worst[1].StartFrame, worst[1].EndFrame, worst[1].DominantClass, worst[1].PeakFrame));
        var text = s.Format("in.mkv", "out/in.jsonl", 40, 16, 30);
        Assert.Contains("300 frames", text);
        Assert.Contains("40 flagged (13.3%)", text);
        Assert.Contains("00:00:06.667 - 00:00:06.967  transmission", text);
        Assert.Contains("peak severity 0.76 at 00:00:01.967 (frame 59, 50% of blocks flagged)", text);
    }

    [Fact]
    public void Short_clean_gaps_do_not_split_an_episode_and_only_the_worst_are_kept()
    {
        var s = new DetectionSummary();
        long frame = 0;
        for (var e = 0; e < 8; e++)
        {
            // Episode e: two flagged frames with a 3-frame gap (merged), then 20 clean frames (closed).
            foreach (var flagged in new[] { true, false, false, false, true })
            {
                s.Add(Result(frame++, flagged ? 0.5f + e / 100f : 0.1f, flagged ? FrameClass.Compression : FrameClass.Clean));
            }
            for (var i = 0; i < 20; i++) s.Add(Result(frame++, 0.1f, FrameClass.Clean));
        }
        var worst = s.WorstEpisodes;
        Assert.Equal(DetectionSummary.KeepEpisodes, worst.Count);
        Assert.All(worst, w => Assert.Equal(4, w.EndFrame - w.StartFrame));
        Assert.Equal([0.57f, 0.56f, 0.55f, 0.54f, 0.53f], worst.Select(w => w.PeakSeverity));
    }
}
