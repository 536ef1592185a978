using Microsoft.Extensions.Options;
using VideoQuality.Contracts.V1;
using VideoQuality.ServiceDefaults;
using VideoQuality.Tests.Service;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Observability;

/// <summary>The detector's /metrics over a real host: per-stream series behind the cardinality guard, latency, classes.</summary>
public sealed class MetricsTests
{
    [Fact]
    public void The_stream_label_guard_names_the_first_streams_and_aggregates_the_rest()
    {
        var labels = new StreamLabels(Options.Create(new MetricsOptions { StreamLabelLimit = 2 }));
        Assert.Equal(["a", "b", "other", "a", "other", "unnamed"], new[] { "a", "b", "c", "a", "d", "" }.Select(labels.For));
    }

    [Fact]
    public async Task Per_stream_severity_series_are_bounded_by_the_configured_limit()
    {
        await using var server = await DetectorServer.StartAsync(["--Metrics:StreamLabelLimit=2"]);
        foreach (var stream in new[] { "cam-a", "cam-b", "cam-c", "cam-d" })
        {
            await server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48, stream: stream) });
        }

        var text = await server.MetricsAsync();
        Assert.Contains("vq_detector_severity_count{stream=\"cam-a\"} 1", text);
        Assert.Contains("vq_detector_severity_count{stream=\"cam-b\"} 1", text);
        Assert.Contains("vq_detector_severity_count{stream=\"other\"} 2", text);
        Assert.DoesNotContain("stream=\"cam-c\"", text);
        Assert.Contains("vq_detector_request_seconds_count{rpc=\"unary\"} 4", text);
        Assert.Contains("vq_detector_severity_bucket{stream=\"cam-a\",le=\"0.7\"}", text);
        Assert.Contains("vq_detector_flagged_blocks_total{class=\"compression\"}", text);
        Assert.Contains("vq_detector_queued_frames 0", text);
    }
}
