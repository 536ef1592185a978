using VideoQuality.Cli.Input;

namespace VideoQuality.Cli.Tests;

public sealed class FfmpegInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Theory]
    [InlineData(64, 48)]
    [InlineData(66, 38)] // sides not multiples of 8 (and 38/8 not whole)
    public async Task Reads_every_frame_with_the_luma_exactly_as_decoded(int width, int height)
    {
        var clip = await Clips.MakeAsync(_dir.File($"clip{width}.mkv"), width, height, 7, "-c:v", "mpeg2video", "-q:v", "20");
        var expected = await Clips.LumaPlanesAsync(clip, width, height);

        await using var input = await FfmpegInput.OpenAsync(clip, CancellationToken.None);
        var frames = new List<InputFrame>();
        await foreach (var f in input.ReadFramesAsync()) frames.Add(f);

        Assert.Equal((width, height, 30.0), (input.Width, input.Height, input.Fps));
        Assert.Equal(7, frames.Count);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), frames.Select(f => f.Index));
        Assert.Equal(TimeSpan.FromSeconds(6 / 30.0), frames[6].Timestamp);
        for (var i = 0; i < frames.Count; i++) Assert.Equal(expected[i], frames[i].Pixels.Data.ToArray());
    }

    [Fact]
    public async Task Frames_carry_ffmpegs_presentation_time_even_where_frames_are_missing()
    {
        // 25 fps with source frames 2 and 3 dropped (variable frame rate in Matroska): index / rate is wrong after the gap.
        var clip = _dir.File("gap.mkv");
        await FfmpegProcess.RunAsync("ffmpeg",
            ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=25", "-frames:v", "8",
             "-vf", "select='not(between(n,2,3))'", "-fps_mode", "passthrough", "-c:v", "ffv1", clip], CancellationToken.None);

        await using var input = await FfmpegInput.OpenAsync(clip, CancellationToken.None);
        var frames = new List<InputFrame>();
        await foreach (var f in input.ReadFramesAsync()) frames.Add(f);

        Assert.Equal([0L, 40_000, 160_000, 200_000, 240_000, 280_000, 320_000, 360_000], frames.Select(f => f.PtsUs!.Value));
        Assert.All(frames, f => Assert.Null(f.ReceivedAt)); // a file: no wall clock
    }

    [Fact]
    public async Task Reads_odd_frame_sizes()
    {
        var clip = await Clips.MakeAsync(_dir.File("odd.mkv"), 65, 37, 3, "-c:v", "ffv1");
        await using var input = await FfmpegInput.OpenAsync(clip, CancellationToken.None);
        var n = 0;
        await foreach (var f in input.ReadFramesAsync())
        {
            Assert.Equal(65 * 37, f.Pixels.Data.Length);
            n++;
        }
        Assert.Equal(3, n);
        Assert.Equal(0, (await input.FinishAsync(CancellationToken.None)).ExitCode);
    }

    [Fact]
    public async Task An_undecodable_input_fails_with_ffmpegs_reason()
    {
        var bogus = _dir.File("bogus.mp4");
        await File.WriteAllTextAsync(bogus, "this is not a video");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => FfmpegInput.OpenAsync(bogus, CancellationToken.None));
        Assert.Contains("bogus.mp4", e.Message);
        Assert.Contains("Invalid data", e.Message);
    }

    [Fact]
    public async Task Stop_ends_a_live_udp_input_cleanly()
    {
        var url = $"udp://127.0.0.1:{Clips.FreeUdpPort()}";
        await using var sender = Clips.StartLiveSender(url, 64, 48);
        await using var input = await FfmpegInput.OpenAsync(url, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        var n = 0;
        await foreach (var f in input.ReadFramesAsync())
        {
            Assert.Equal(64 * 48, f.Pixels.Data.Length);
            Assert.NotNull(f.PtsUs);
            Assert.InRange(f.ReceivedAt!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow); // live: arrival time
            if (++n == 10) input.Stop();
            Assert.True(n <= 100, "Stop did not end the input");
        }
        Assert.True(input.Stopped);
        Assert.InRange(n, 10, 100);
    }

    public void Dispose() => _dir.Dispose();
}
