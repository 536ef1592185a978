using VideoQuality.LoadTests;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.LoadTests;

/// <summary>Short load runs of the real tool against a real loopback detector (real Kestrel, the test model, an ffmpeg clip).</summary>
[Collection("detector server")]
public class LoadRunTests(DetectorServerFixture fixture)
{
    private async Task<Report> RunAsync(params string[] args)
    {
        var o = LoadOptions.Parse([.. args, "--target", $"http://127.0.0.1:{fixture.Server.GrpcPort}", "--size", "320x180", "--frames", "12", "--warmup", "1"]);
        return await LoadApp.RunAsync(o, new Thresholds(MaxErrorRate: 0), TextWriter.Null, CancellationToken.None);
    }

    [Fact]
    public async Task An_open_unary_run_answers_every_request_it_sent()
    {
        var r = await RunAsync("detect-unary", "--rate", "10", "--duration", "2");
        Assert.True(r.Passed, string.Join("; ", r.Failures));
        Assert.Equal(20, r.Sent);
        Assert.Equal(r.Sent, r.Ok);
        Assert.Equal(0, r.Errors);
        Assert.True(r.LatencyMs.P50 > 0 && r.LatencyMs.P50 <= r.LatencyMs.P99 && r.LatencyMs.P99 <= r.LatencyMs.Max);
        Assert.Equal(10.0, r.ThroughputFps);
    }

    [Fact]
    public async Task A_lossless_stream_run_over_several_streams_answers_every_frame()
    {
        var r = await RunAsync("detect-stream", "--rate", "12", "--streams", "3", "--duration", "2", "--mode", "lossless");
        Assert.True(r.Passed, string.Join("; ", r.Failures));
        Assert.Equal(24, r.Sent);
        Assert.Equal(r.Sent, r.Ok);
        Assert.Equal((0L, 0L, 0L), (r.Errors, r.Dropped, r.Unanswered));
    }

    [Fact]
    public async Task A_run_against_a_closed_port_fails_its_thresholds_with_unavailable()
    {
        int port = DetectorServer.FreePort();
        var o = LoadOptions.Parse(["detect-unary", "--target", $"http://127.0.0.1:{port}", "--rate", "5", "--duration", "1", "--warmup", "0",
            "--size", "320x180", "--frames", "4"]);
        var r = await LoadApp.RunAsync(o, new Thresholds(MaxErrorRate: 0), TextWriter.Null, CancellationToken.None);
        Assert.False(r.Passed);
        Assert.Equal(5, r.Errors);
        Assert.Equal(5, r.ErrorsByCode["Unavailable"]);
    }
}
