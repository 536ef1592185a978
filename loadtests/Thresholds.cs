using System.Globalization;
using System.Text.Json;

namespace VideoQuality.LoadTests;

/// <summary>Pass/fail limits of a run; any one exceeded makes the exit code 1. Null = not checked.</summary>
internal sealed record Thresholds(double? MaxP99Ms = null, double? MaxErrorRate = null, double? MaxDropRate = null, double? MinThroughputFps = null)
{
    /// <summary>Values given here win over <paramref name="fallback"/>'s.</summary>
    public Thresholds Over(Thresholds? fallback) => fallback is null ? this : new Thresholds(
        MaxP99Ms ?? fallback.MaxP99Ms,
        MaxErrorRate ?? fallback.MaxErrorRate,
        MaxDropRate ?? fallback.MaxDropRate,
        MinThroughputFps ?? fallback.MinThroughputFps);

    /// <summary>The limits the result breaks, as sentences; empty = passed. A run that answered nothing always fails.</summary>
    public IReadOnlyList<string> Check(long sent, long ok, long errors, long dropped, double p99Ms, double throughputFps)
    {
        var inv = CultureInfo.InvariantCulture;
        var failures = new List<string>();
        if (ok == 0)
        {
            failures.Add($"no request was answered ({sent} sent)");
        }

        double errorRate = sent == 0 ? 0 : (double)errors / sent;
        if (MaxErrorRate is { } maxErrors && errorRate > maxErrors)
        {
            failures.Add(string.Create(inv, $"error rate {errorRate:0.####} ({errors} of {sent}) > {maxErrors}"));
        }

        double dropRate = sent == 0 ? 0 : (double)dropped / sent;
        if (MaxDropRate is { } maxDrops && dropRate > maxDrops)
        {
            failures.Add(string.Create(inv, $"drop rate {dropRate:0.####} ({dropped} of {sent}) > {maxDrops}"));
        }

        if (MaxP99Ms is { } maxP99 && p99Ms > maxP99)
        {
            failures.Add(string.Create(inv, $"p99 {p99Ms:0.0} ms > {maxP99} ms"));
        }

        if (MinThroughputFps is { } minFps && throughputFps < minFps)
        {
            failures.Add(string.Create(inv, $"throughput {throughputFps:0.0} frames/s < {minFps}"));
        }

        return failures;
    }

    /// <summary>
    /// A budget file: <c>{"scenarios": {"detect-unary": {"max_p99_ms": 400, "max_error_rate": 0}, ...}}</c>.
    /// Returns the scenario's thresholds, or null when the file has none for it.
    /// </summary>
    public static Thresholds? FromBudget(string json, string scenario)
    {
        var budget = JsonSerializer.Deserialize<BudgetFile>(json, Report.JsonOptions)
            ?? throw new ArgumentException("the budget file is empty");
        return budget.Scenarios.GetValueOrDefault(scenario);
    }

    private sealed record BudgetFile(Dictionary<string, Thresholds> Scenarios);
}
