using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace VideoQuality.LoadTests;

/// <summary>
/// The result of a run, written as JSON (snake_case: <c>sent</c>, <c>ok</c>, <c>errors</c>, <c>dropped</c>,
/// <c>throughput_fps</c>, <c>latency_ms</c> {p50, p90, p99, p999, max, mean, count}, and more) and as Markdown.
/// Counts cover the measured window (requests whose intended send time is after the warm-up).
/// </summary>
internal sealed record Report(
    string Scenario,
    string Target,
    string Model,
    double Rate,
    int Streams,
    int Concurrency,
    string Mode,
    double WarmupS,
    double RampS,
    double DurationS,
    long StartedUnixMs,
    string LoadAverageStart,
    string LoadAverageEnd,
    long Sent,
    long Ok,
    long Errors,
    IReadOnlyDictionary<string, long> ErrorsByCode,
    long Dropped,
    long Unanswered,
    double ThroughputFps,
    LatencySummary LatencyMs,
    IReadOnlyDictionary<string, long> DetectionSource,
    Thresholds Thresholds,
    bool Passed,
    IReadOnlyList<string> Failures,
    IReadOnlyList<TimelinePoint> Timeline)
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    /// <summary>Builds the report of a finished run and checks it against <paramref name="thresholds"/>.</summary>
    public static Report From(LoadOptions o, Measurement m, Thresholds thresholds, long startedUnixMs, string loadStart, string loadEnd)
    {
        var latency = Round(m.Latency.Summarize());
        double fps = Math.Round(m.Ok / m.DurationS, 2);
        var failures = thresholds.Check(m.SentCount, m.Ok, m.Errors, m.Dropped, latency.P99, fps);
        return new Report(o.Scenario, o.Target.ToString(), o.Model.ToString().ToLowerInvariant(), o.Rate,
            o.IsStreaming && o.Model == LoadModel.Open ? o.Streams : 0, o.Model == LoadModel.Closed ? o.Concurrency : 0,
            o.IsStreaming ? o.Mode : "unary", o.WarmupS, o.RampS, o.DurationS, startedUnixMs, loadStart, loadEnd,
            m.SentCount, m.Ok, m.Errors, m.ErrorsByCode, m.Dropped, m.UnansweredCount, fps, latency, m.DetectionSource,
            thresholds, failures.Count == 0, failures, m.Timeline());
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var l = LatencyMs;
        var sb = new StringBuilder();
        sb.Append(inv, $"## {Scenario} against {Target}\n\n");
        sb.Append(inv, $"{Model} model, {(Model == "open" ? $"{Rate} frames/s" : $"concurrency {Concurrency}")}");
        sb.Append(inv, $"{(Streams > 0 ? $" over {Streams} streams" : string.Empty)}, {Mode}; warm-up {WarmupS} s, ramp {RampS} s, measured {DurationS} s; ");
        sb.Append(inv, $"load average {LoadAverageStart} at start, {LoadAverageEnd} at end.\n\n");
        sb.Append("| sent | ok | errors | dropped | unanswered | throughput (frames/s) | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n");
        sb.Append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        sb.Append(inv, $"| {Sent} | {Ok} | {Errors} | {Dropped} | {Unanswered} | {ThroughputFps:0.0} | {l.P50:0.0} | {l.P90:0.0} | {l.P99:0.0} | {l.P999:0.0} | {l.Max:0.0} |\n\n");
        if (ErrorsByCode.Count > 0)
        {
            sb.Append("Errors by gRPC code: ").Append(string.Join(", ", ErrorsByCode.Select(e => $"{e.Key} {e.Value}"))).Append("\n\n");
        }

        if (DetectionSource.Values.Any(v => v > 0))
        {
            sb.Append(inv, $"Detection source: remote {DetectionSource["remote"]}, local hedge (detector late) {DetectionSource["local_hedge"]}, local fallback {DetectionSource["local_fallback"]}, local (no detector) {DetectionSource["local"]}.\n\n");
        }

        sb.Append(Passed ? "Thresholds: passed.\n" : $"Thresholds: FAILED — {string.Join("; ", Failures)}.\n");
        return sb.ToString();
    }

    private static LatencySummary Round(LatencySummary s) =>
        new(R(s.P50), R(s.P90), R(s.P99), R(s.P999), R(s.Max), R(s.Mean), s.Count);

    private static double R(double v) => Math.Round(v, 3);
}
