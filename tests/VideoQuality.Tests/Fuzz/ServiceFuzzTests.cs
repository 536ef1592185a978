using Grpc.Health.V1;
using VideoQuality.Fuzz;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Fuzz;

/// <summary>
/// The short fuzz run of CI: a few hundred malformed frames (tools/VideoQuality.Fuzz) against a real detector over
/// loopback, unary and inside streams, beside healthy streams. The long run is recorded in docs/RELIABILITY.md.
/// </summary>
public class ServiceFuzzTests
{
    [Fact]
    public async Task Malformed_frames_are_each_answered_with_a_clear_status_and_healthy_streams_are_unaffected()
    {
        await using var detector = await DetectorServer.StartAsync();
        var report = await FuzzRunner.RunAsync(new FuzzSettings(
            new Uri($"http://127.0.0.1:{detector.GrpcPort}"),
            Inputs: 300,
            Seed: 7,
            Concurrency: 2,
            DeadlineMs: 60_000,
            OversizeBytes: DetectorServer.MaxReceiveBytes + 1024,
            OversizeEvery: 60,
            StreamEvery: 5,
            HealthyStreams: 2));

        Assert.Equal(300, report.Inputs);
        Assert.Empty(report.Failures);
        Assert.Equal(0, report.Hangs);
        Assert.Equal(0, report.Unclear);
        Assert.Empty(report.HealthyStreamErrors);
        Assert.True(report.HealthyFramesSent > 0);
        Assert.Equal(report.HealthyFramesSent, report.HealthyFramesAnswered);
        Assert.Equal("Serving", report.HealthAfter);
        Assert.True(report.ByStatus.GetValueOrDefault("InvalidArgument") > 200, string.Join(", ", report.ByStatus));
        Assert.True(report.ByStatus.GetValueOrDefault("ResourceExhausted") >= 4, string.Join(", ", report.ByStatus));
        Assert.Equal(Enum.GetNames<FuzzKind>().Length, report.ByKind.Count); // every kind was sent
        Assert.True(report.Passed);

        // The host is still up and serving.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await detector.Health.CheckAsync(new HealthCheckRequest())).Status);
    }
}
