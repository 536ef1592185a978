namespace VideoQuality.LoadTests;

/// <summary>
/// Intended send times of an open-model run: the arrival rate rises linearly from 0 to <c>rate</c> over <c>ramp</c>
/// seconds, then stays at <c>rate</c>. Request <c>i</c> (0-based) is due when the expected number of arrivals reaches
/// <c>i</c>: during the ramp N(t) = rate·t²/(2·ramp), after it N(t) = rate·ramp/2 + rate·(t − ramp).
/// Latency is measured from these times, not from when the request actually left, so a stalled sender or a full
/// connection shows up as latency instead of silently lowering the rate (coordinated omission).
/// </summary>
internal sealed class ArrivalSchedule(double rate, double rampS)
{
    public double Rate { get; } = rate > 0 ? rate : throw new ArgumentOutOfRangeException(nameof(rate), "rate must be positive");

    public double RampS { get; } = rampS >= 0 ? rampS : throw new ArgumentOutOfRangeException(nameof(rampS), "ramp must be >= 0");

    /// <summary>Seconds from the start of the run at which request <paramref name="index"/> is due.</summary>
    public double At(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        double rampArrivals = Rate * RampS / 2;
        return index < rampArrivals
            ? Math.Sqrt(2 * RampS * index / Rate)
            : RampS + ((index - rampArrivals) / Rate);
    }

    /// <summary>Requests due strictly before <paramref name="seconds"/> (the size of a run of that length).</summary>
    public long CountBefore(double seconds)
    {
        if (seconds <= 0)
        {
            return 0;
        }

        double n = seconds <= RampS ? Rate * seconds * seconds / (2 * RampS) : (Rate * RampS / 2) + (Rate * (seconds - RampS));
        long count = (long)Math.Ceiling(n);
        while (count > 0 && At(count - 1) >= seconds)
        {
            count--; // floating point at the boundary
        }

        while (At(count) < seconds)
        {
            count++;
        }

        return count;
    }
}
