using System.Diagnostics;

namespace VideoQuality.Inference;

/// <summary>
/// Stage timings in whole microseconds, from <see cref="Stopwatch.GetTimestamp"/> readings: the one clock the
/// detector pipeline, the repairer and the enhancer service report their <c>*_us</c> fields and metrics with.
/// </summary>
public static class StageClock
{
    /// <summary>Microseconds from <paramref name="start"/> to now.</summary>
    public static long Micros(long start) => (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds;

    /// <summary>Microseconds from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static long Micros(long start, long end) => (long)Stopwatch.GetElapsedTime(start, end).TotalMicroseconds;

    /// <summary>A duration as a protobuf <c>uint32</c> microsecond field: negative -> 0, beyond the range -> its maximum.</summary>
    public static uint Saturate(long micros) => micros <= 0 ? 0 : micros >= uint.MaxValue ? uint.MaxValue : (uint)micros;
}
