using System.Diagnostics;

namespace VideoQuality.Enhancer;

/// <summary>
/// How long a frame's detection may take: <see cref="EnhancerOptions.BudgetShare"/> of the stream's frame interval,
/// or of the caller's remaining deadline when that is shorter, and never more than <see cref="EnhancerOptions.MaxBudgetMs"/>
/// (also the budget when there is neither). <see cref="Basis"/> says which one set it (interval, deadline, max).
/// </summary>
internal readonly record struct DetectionBudget(double Ms, string Basis)
{
    public static DetectionBudget For(EnhancerOptions options, double? frameIntervalMs, DateTime deadline)
    {
        var budget = frameIntervalMs is > 0 && frameIntervalMs.Value * options.BudgetShare < options.MaxBudgetMs
            ? new DetectionBudget(frameIntervalMs.Value * options.BudgetShare, "interval")
            : new DetectionBudget(options.MaxBudgetMs, "max");
        if (deadline != DateTime.MaxValue)
        {
            double remaining = Math.Max(0, (deadline - DateTime.UtcNow).TotalMilliseconds) * options.BudgetShare;
            if (remaining < budget.Ms)
            {
                budget = new DetectionBudget(remaining, "deadline");
            }
        }

        return budget;
    }
}

/// <summary>
/// A stream's frame interval from its frames' timestamps (<c>Frame.timestamp_us</c>: capture or presentation time),
/// smoothed. Arrival times are not used: a client that sends each frame when the previous answer arrives, or a burst
/// of queued frames, says nothing about how long a frame may take. Frames without increasing timestamps leave the
/// interval unknown (the default budget applies). Written by the stream's reader, read by its worker.
/// </summary>
internal sealed class FrameInterval
{
    private const double MaxPlausibleMs = 10_000;
    private long _lastTimestampUs = long.MinValue;
    private double _ms;

    /// <summary>The smoothed interval, or null before two timestamped frames arrived.</summary>
    public double? Ms => Volatile.Read(ref _ms) is > 0 and var ms ? ms : null;

    public void Observe(long timestampUs)
    {
        if (_lastTimestampUs != long.MinValue && timestampUs > _lastTimestampUs)
        {
            double sample = (timestampUs - _lastTimestampUs) / 1000.0;
            if (sample < MaxPlausibleMs)
            {
                double ms = Volatile.Read(ref _ms);
                Volatile.Write(ref _ms, ms == 0 ? sample : (0.8 * ms) + (0.2 * sample));
            }
        }

        _lastTimestampUs = timestampUs;
    }
}

/// <summary>
/// When to hedge a detector call: a high percentile (<see cref="EnhancerOptions.HedgePercentile"/>) of the detector's
/// recent answer times times <see cref="EnhancerOptions.HedgeMargin"/>, so a healthy detector is hedged on a few
/// percent of calls at most; never later than the frame's budget less the in-process detection's own time, so a slow
/// detector costs a frame its budget and no more; never earlier than <see cref="EnhancerOptions.MinHedgeDelayMs"/>.
/// A call that lost the race enters the window at the time it was abandoned (its real time is at least that), so
/// the delay climbs to the budget while the detector is slow and follows it back down once it answers fast again.
/// Until the window holds enough calls the delay is the budget's.
/// </summary>
internal sealed class HedgePolicy(EnhancerOptions options)
{
    private const int MinSamples = 8;
    private readonly LatencyWindow _remote = new(options.LatencyWindowCalls, TimeSpan.FromMilliseconds(options.LatencyWindowMs));
    private double _localMs;

    /// <summary>Smoothed time of an in-process detection (0 before the first).</summary>
    public double LocalMs => Volatile.Read(ref _localMs);

    /// <summary>The hedging delay for a frame with <paramref name="budget"/>; infinite when hedging is off.</summary>
    public TimeSpan Delay(DetectionBudget budget)
    {
        if (!options.Hedging)
        {
            return Timeout.InfiniteTimeSpan;
        }

        double cap = Math.Max(options.MinHedgeDelayMs, budget.Ms - LocalMs);
        double ms = _remote.Percentile(options.HedgePercentile, MinSamples) is { } p
            ? Math.Clamp(p * options.HedgeMargin, options.MinHedgeDelayMs, cap)
            : cap;
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>The detector answered after <paramref name="ms"/>.</summary>
    public void RemoteAnswered(double ms) => _remote.Add(ms);

    /// <summary>The detector call was abandoned (in-process detection answered first) after <paramref name="ms"/>.</summary>
    public void RemoteAbandoned(double ms) => _remote.Add(ms);

    /// <summary>An in-process detection took <paramref name="ms"/>.</summary>
    public void LocalAnswered(double ms)
    {
        double prev = Volatile.Read(ref _localMs);
        Volatile.Write(ref _localMs, prev == 0 ? ms : (0.9 * prev) + (0.1 * ms));
    }
}

/// <summary>The last <c>capacity</c> samples no older than <c>maxAge</c>, with percentiles over them.</summary>
internal sealed class LatencyWindow(int capacity, TimeSpan maxAge)
{
    private readonly Lock _lock = new();
    private readonly long[] _at = new long[capacity];
    private readonly double[] _ms = new double[capacity];
    private readonly double[] _scratch = new double[capacity];
    private int _next;
    private int _count;

    public void Add(double ms)
    {
        lock (_lock)
        {
            _at[_next] = Stopwatch.GetTimestamp();
            _ms[_next] = ms;
            _next = (_next + 1) % capacity;
            _count = Math.Min(_count + 1, capacity);
        }
    }

    /// <summary>The <paramref name="q"/> quantile (nearest rank) of the samples in the window, or null when it holds
    /// fewer than <paramref name="minSamples"/>.</summary>
    public double? Percentile(double q, int minSamples)
    {
        lock (_lock)
        {
            long now = Stopwatch.GetTimestamp();
            int n = 0;
            for (int i = 0; i < _count; i++)
            {
                if (Stopwatch.GetElapsedTime(_at[i], now) <= maxAge)
                {
                    _scratch[n++] = _ms[i];
                }
            }

            if (n < minSamples)
            {
                return null;
            }

            var live = _scratch.AsSpan(0, n);
            live.Sort();
            return live[Math.Clamp((int)Math.Ceiling(q * n) - 1, 0, n - 1)];
        }
    }
}
