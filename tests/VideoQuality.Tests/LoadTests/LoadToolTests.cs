using System.Text.Json;
using VideoQuality.LoadTests;

namespace VideoQuality.Tests.LoadTests;

public class ArrivalScheduleTests
{
    [Fact]
    public void Without_ramp_requests_are_evenly_spaced_at_the_rate()
    {
        var s = new ArrivalSchedule(rate: 40, rampS: 0);
        Assert.Equal(0, s.At(0));
        Assert.Equal(0.025, s.At(1), 9);
        Assert.Equal(10.0, s.At(400), 9);
        Assert.Equal(400, s.CountBefore(10));
        Assert.Equal(401, s.CountBefore(10.001));
    }

    [Fact]
    public void A_ramp_sends_half_the_steady_count_during_it_then_the_full_rate()
    {
        var s = new ArrivalSchedule(rate: 100, rampS: 4);
        Assert.Equal(200, s.CountBefore(4)); // rate·ramp/2
        Assert.Equal(4.0, s.At(200), 9);
        Assert.Equal(4.01, s.At(201), 9);
        Assert.Equal(1200, s.CountBefore(14));

        // Gaps shrink through the ramp: the instantaneous rate rises.
        double early = s.At(11) - s.At(10), late = s.At(191) - s.At(190);
        Assert.True(early > late, $"gap {early} early vs {late} late");
    }

    [Fact]
    public void Intended_times_never_go_backwards()
    {
        var s = new ArrivalSchedule(rate: 7.5, rampS: 3);
        for (long i = 1; i < 500; i++)
        {
            Assert.True(s.At(i) > s.At(i - 1), $"At({i})");
        }
    }
}

public class LatencyAndReportTests
{
    [Fact]
    public void Percentiles_come_from_the_histogram_within_its_precision()
    {
        var stats = new LatencyStats();
        for (int ms = 1; ms <= 1000; ms++)
        {
            stats.RecordMicroseconds(ms * 1000L);
        }

        var s = stats.Summarize();
        Assert.Equal(1000, s.Count);
        Assert.InRange(s.P50, 499.5, 500.5);
        Assert.InRange(s.P90, 899.5, 900.5);
        Assert.InRange(s.P99, 989.5, 990.5);
        Assert.InRange(s.P999, 998.5, 999.5);
        Assert.InRange(s.Max, 999.5, 1000.5);
        Assert.InRange(s.Mean, 500, 501);
    }

    [Fact]
    public void Only_requests_sent_after_the_warmup_count()
    {
        var m = new Measurement(warmupS: 2, durationS: 10, timelineMs: 1000);
        m.RecordSent(1.0);
        m.Answered(1.0, 1.5, ReplySource.None, droppedDelta: 3);
        m.RecordSent(2.0);
        m.Answered(2.0, 2.25, ReplySource.Remote, droppedDelta: 1);
        m.RecordSent(3.0);
        m.Failed(3.0, 4.0, Grpc.Core.StatusCode.Unavailable);
        m.RecordSent(12.0); // after the window

        Assert.Equal(2, m.SentCount);
        Assert.Equal(1, m.Ok);
        Assert.Equal(1, m.Errors);
        Assert.Equal(1, m.Dropped);
        Assert.Equal(1, m.ErrorsByCode["Unavailable"]);
        Assert.InRange(m.Latency.Summarize().Max, 249.5, 250.5);
        Assert.Equal(new[] { 1.0, 2.0, 4.0 }, m.Timeline().Select(p => p.AtS));
    }

    [Fact]
    public void The_json_report_has_the_documented_fields()
    {
        var m = new Measurement(0, 4, 1000);
        for (int i = 0; i < 8; i++)
        {
            m.RecordSent(i * 0.5);
            m.Answered(i * 0.5, (i * 0.5) + 0.02, ReplySource.None, 0);
        }

        var o = LoadOptions.Parse(["detect-unary", "--target", "http://127.0.0.1:50051", "--rate", "2", "--duration", "4"]);
        var report = Report.From(o, m, new Thresholds(MaxP99Ms: 100), 0, "0 0 0", "0 0 0");
        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;
        Assert.Equal(8, root.GetProperty("sent").GetInt64());
        Assert.Equal(8, root.GetProperty("ok").GetInt64());
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        Assert.Equal(0, root.GetProperty("dropped").GetInt64());
        Assert.Equal(2.0, root.GetProperty("throughput_fps").GetDouble());
        var latency = root.GetProperty("latency_ms");
        foreach (var p in new[] { "p50", "p90", "p99", "p999", "max" })
        {
            Assert.InRange(latency.GetProperty(p).GetDouble(), 19.9, 20.1);
        }

        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.Contains("| 8 | 8 | 0 | 0 | 0 | 2.0 |", report.ToMarkdown());
    }

    [Fact]
    public void Thresholds_fail_on_p99_error_rate_and_an_empty_run()
    {
        var t = new Thresholds(MaxP99Ms: 50, MaxErrorRate: 0.01);
        Assert.Empty(t.Check(sent: 1000, ok: 995, errors: 5, dropped: 0, p99Ms: 49, throughputFps: 30));
        Assert.Contains(t.Check(1000, 980, 20, 0, 49, 30), f => f.StartsWith("error rate", StringComparison.Ordinal));
        Assert.Contains(t.Check(1000, 1000, 0, 0, 51, 30), f => f.StartsWith("p99", StringComparison.Ordinal));
        Assert.Contains(new Thresholds().Check(10, 0, 10, 0, 0, 0), f => f.StartsWith("no request", StringComparison.Ordinal));
    }

    [Fact]
    public void A_budget_file_gives_per_scenario_thresholds_and_the_command_line_wins()
    {
        const string json = """{"scenarios": {"detect-unary": {"max_p99_ms": 400, "max_error_rate": 0}}}""";
        var budget = Thresholds.FromBudget(json, "detect-unary");
        Assert.Equal(new Thresholds(MaxP99Ms: 400, MaxErrorRate: 0), budget);
        Assert.Null(Thresholds.FromBudget(json, "enhance-stream"));
        Assert.Equal(new Thresholds(MaxP99Ms: 100, MaxErrorRate: 0), new Thresholds(MaxP99Ms: 100).Over(budget));
        Assert.Throws<JsonException>(() => Thresholds.FromBudget("""{"scenarios": {"x": {"max_p99": 1}}}""", "x"));
    }
}

public class LoadOptionsTests
{
    private static LoadOptions Parse(params string[] args) => LoadOptions.Parse(args);

    [Fact]
    public void The_documented_command_line_parses()
    {
        var o = Parse("detect-stream", "--target", "http://127.0.0.1:50051", "--rate", "60", "--duration", "30", "--streams", "4", "--json", "r.json",
            "--max-p99-ms", "200", "--max-error-rate", "0");
        Assert.Equal("detect-stream", o.Scenario);
        Assert.Equal(50051, o.Target.Port);
        Assert.Equal((60.0, 30.0, 4), (o.Rate, o.DurationS, o.Streams));
        Assert.Equal(LoadModel.Open, o.Model);
        Assert.Equal("r.json", o.Json);
        Assert.Equal(new Thresholds(MaxP99Ms: 200, MaxErrorRate: 0), o.Thresholds);
        Assert.True(o.IsStreaming);

        var closed = Parse("detect-unary", "--target", "http://h:1", "--duration", "5", "--model", "closed", "--concurrency", "8");
        Assert.Equal((LoadModel.Closed, 8), (closed.Model, closed.Concurrency));
    }

    [Theory]
    [InlineData("a scenario is required", "--target", "http://h:1")]
    [InlineData("unknown scenario", "detect-everything", "--target", "http://h:1", "--rate", "1", "--duration", "1")]
    [InlineData("--target URL is required", "detect-unary", "--rate", "1", "--duration", "1")]
    [InlineData("is not an http(s) URL", "detect-unary", "--target", "ftp://h:1", "--rate", "1", "--duration", "1")]
    [InlineData("--rate FRAMES_PER_S is required", "detect-unary", "--target", "http://h:1", "--duration", "1")]
    [InlineData("--rate must be a positive number", "detect-unary", "--target", "http://h:1", "--rate", "-3", "--duration", "1")]
    [InlineData("does not apply to the closed model", "detect-unary", "--target", "http://h:1", "--rate", "5", "--duration", "1", "--model", "closed")]
    [InlineData("--streams applies to the stream scenarios", "detect-unary", "--target", "http://h:1", "--rate", "5", "--duration", "1", "--streams", "2")]
    [InlineData("more than --rate", "detect-stream", "--target", "http://h:1", "--rate", "2", "--duration", "1", "--streams", "3")]
    [InlineData("--ramp is longer than the whole run", "detect-unary", "--target", "http://h:1", "--rate", "5", "--duration", "1", "--warmup", "1", "--ramp", "3")]
    [InlineData("--max-error-rate must be between 0 and 1", "detect-unary", "--target", "http://h:1", "--rate", "5", "--duration", "1", "--max-error-rate", "2")]
    [InlineData("--size must be WxH", "detect-unary", "--target", "http://h:1", "--rate", "5", "--duration", "1", "--size", "641x360")]
    [InlineData("unknown option '--rps'", "detect-unary", "--target", "http://h:1", "--rps", "5")]
    [InlineData("--duration needs a value", "detect-unary", "--target", "http://h:1", "--duration")]
    public void Bad_command_lines_are_refused_with_a_reason(string reason, params string[] args)
    {
        var ex = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(args));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }
}
