using System.Collections.Concurrent;
using Grpc.Core;

namespace VideoQuality.LoadTests;

/// <summary>Where an enhancer response's detection came from (detector responses carry none).</summary>
internal enum ReplySource
{
    None,
    Remote,
    Fallback,

    /// <summary>The enhancer's own detection won the race against a late detector (hedged).</summary>
    Hedge,

    /// <summary>The enhancer has no detector configured.</summary>
    Local,
}

/// <summary>One second (or <c>--timeline-ms</c>) of a run, by completion time: what was answered, failed and from where.</summary>
internal sealed record TimelinePoint(double AtS, long Ok, long Errors, long Remote, long LocalFallback, double MaxLatencyMs);

/// <summary>
/// What a run observed. Times are seconds from the start of the run. A request belongs to the measured window when
/// its intended send time is in [warm-up, warm-up + duration); only those count in sent/ok/errors/dropped and the
/// latency histogram. The timeline records every completion, warm-up included, so chaos runs can see recovery.
/// </summary>
internal sealed class Measurement(double warmupS, double durationS, int timelineMs)
{
    private readonly ConcurrentDictionary<StatusCode, long> _errors = new();
    private readonly ConcurrentDictionary<long, Bucket> _timeline = new();
    private readonly long[] _sources = new long[Enum.GetValues<ReplySource>().Length];
    private long _sent, _ok, _dropped, _unanswered;

    public LatencyStats Latency { get; } = new();

    public double WarmupS { get; } = warmupS;

    public double DurationS { get; } = durationS;

    public long SentCount => Interlocked.Read(ref _sent);

    public long Ok => Interlocked.Read(ref _ok);

    public long Errors => _errors.Values.Sum();

    public long Dropped => Interlocked.Read(ref _dropped);

    public long UnansweredCount => Interlocked.Read(ref _unanswered);

    public IReadOnlyDictionary<string, long> ErrorsByCode => _errors.ToDictionary(e => e.Key.ToString(), e => e.Value);

    public IReadOnlyDictionary<string, long> DetectionSource => new Dictionary<string, long>
    {
        ["remote"] = Interlocked.Read(ref _sources[(int)ReplySource.Remote]),
        ["local_fallback"] = Interlocked.Read(ref _sources[(int)ReplySource.Fallback]),
        ["local_hedge"] = Interlocked.Read(ref _sources[(int)ReplySource.Hedge]),
        ["local"] = Interlocked.Read(ref _sources[(int)ReplySource.Local]),
    };

    public bool InWindow(double intendedS) => intendedS >= WarmupS && intendedS < WarmupS + DurationS;

    public void RecordSent(double intendedS)
    {
        if (InWindow(intendedS))
        {
            Interlocked.Increment(ref _sent);
        }
    }

    /// <summary>An answer; <paramref name="droppedDelta"/> is how much the response's drop counter grew since the stream's previous response.</summary>
    public void Answered(double intendedS, double completedS, ReplySource source, long droppedDelta)
    {
        double latencyMs = Math.Max(0, completedS - intendedS) * 1000;
        var bucket = BucketAt(completedS);
        bucket.Add(ok: 1, errors: 0, source, latencyMs);
        if (!InWindow(intendedS))
        {
            return;
        }

        Interlocked.Increment(ref _ok);
        Interlocked.Add(ref _dropped, droppedDelta);
        Interlocked.Increment(ref _sources[(int)source]);

        Latency.RecordMicroseconds((long)(latencyMs * 1000));
    }

    public void Failed(double intendedS, double completedS, StatusCode code)
    {
        BucketAt(completedS).Add(ok: 0, errors: 1, ReplySource.None, 0);
        if (InWindow(intendedS))
        {
            _errors.AddOrUpdate(code, 1, (_, n) => n + 1);
        }
    }

    /// <summary>A stream frame with no answer when its stream ended cleanly (live mode drops it without telling
    /// when no later response carries the counter).</summary>
    public void RecordUnanswered(double intendedS)
    {
        if (InWindow(intendedS))
        {
            Interlocked.Increment(ref _unanswered);
        }
    }

    public IReadOnlyList<TimelinePoint> Timeline() =>
        [.. _timeline.OrderBy(b => b.Key).Select(b => b.Value.ToPoint(b.Key * timelineMs / 1000.0))];

    private Bucket BucketAt(double s) => _timeline.GetOrAdd((long)Math.Floor(s * 1000 / timelineMs), _ => new Bucket());

    private sealed class Bucket
    {
        private readonly Lock _lock = new();
        private long _ok, _errors, _remote, _fallback;
        private double _max;

        public void Add(long ok, long errors, ReplySource source, double latencyMs)
        {
            lock (_lock)
            {
                _ok += ok;
                _errors += errors;
                _remote += source == ReplySource.Remote ? 1 : 0;
                _fallback += source == ReplySource.Fallback ? 1 : 0;
                _max = Math.Max(_max, latencyMs);
            }
        }

        public TimelinePoint ToPoint(double t)
        {
            lock (_lock)
            {
                return new TimelinePoint(Math.Round(t, 3), _ok, _errors, _remote, _fallback, Math.Round(_max, 2));
            }
        }
    }
}
