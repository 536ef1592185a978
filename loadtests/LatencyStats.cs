using HdrHistogram;

namespace VideoQuality.LoadTests;

/// <summary>Latency percentiles of a run, in milliseconds.</summary>
internal sealed record LatencySummary(double P50, double P90, double P99, double P999, double Max, double Mean, long Count);

/// <summary>
/// Thread-safe latency recorder over an HdrHistogram (microseconds, 3 significant digits, up to 10 minutes: a value
/// is reported to within 0.1%). Percentiles are the histogram's values at those percentiles.
/// </summary>
internal sealed class LatencyStats
{
    private const long HighestUs = 600_000_000;
    private readonly LongHistogram _histogram = new(HighestUs, 3);
    private readonly Lock _lock = new();

    public void RecordMicroseconds(long us)
    {
        us = Math.Clamp(us, 1, HighestUs);
        lock (_lock)
        {
            _histogram.RecordValue(us);
        }
    }

    public LatencySummary Summarize()
    {
        lock (_lock)
        {
            if (_histogram.TotalCount == 0)
            {
                return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
            }

            static double Ms(long us) => us / 1000.0;
            return new LatencySummary(
                Ms(_histogram.GetValueAtPercentile(50)),
                Ms(_histogram.GetValueAtPercentile(90)),
                Ms(_histogram.GetValueAtPercentile(99)),
                Ms(_histogram.GetValueAtPercentile(99.9)),
                Ms(_histogram.GetMaxValue()),
                _histogram.GetMean() / 1000.0,
                _histogram.TotalCount);
        }
    }
}
