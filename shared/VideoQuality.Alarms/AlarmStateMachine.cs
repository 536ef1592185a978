namespace VideoQuality.Alarms;

/// <summary>
/// The alarm of one stream, driven by its frames in order:
/// <list type="bullet">
/// <item>Clear -> raised once every frame for <see cref="AlarmOptions.RaiseWindowMs"/> of frame time has severity at or above
/// <see cref="AlarmOptions.RaiseThreshold"/> (the run starts at its first such frame; any frame below restarts it).</item>
/// <item>Raised -> clear once every frame for <see cref="AlarmOptions.ClearWindowMs"/> has severity below
/// <see cref="AlarmOptions.ClearThreshold"/> (any frame at or above restarts the clean run). Frames between the two
/// thresholds keep the alarm raised: that gap is the hysteresis that stops flapping around one threshold.</item>
/// <item>A timestamp that goes backwards (a restarted source) restarts the pending run; it never completes a window.</item>
/// </list>
/// Not thread-safe: one caller per stream, frames in order.
/// </summary>
public sealed class AlarmStateMachine(string streamId, AlarmOptions options)
{
    private readonly long _raiseWindowUs = options.RaiseWindowMs * 1000L;
    private readonly long _clearWindowUs = options.ClearWindowMs * 1000L;
    private Run _alarm;          // frames of the raised alarm, or of the run towards raising it
    private long? _cleanSinceUs; // raised: first frame of the current clean run
    private long _lastUs = long.MinValue;
    private long _lastDamagedFrame;
    private long _lastDamagedUs;

    /// <summary>Stream id.</summary>
    public string StreamId { get; } = streamId;

    /// <summary>Whether the alarm is raised.</summary>
    public bool IsRaised { get; private set; }

    /// <summary>Feeds one frame; returns the event it causes (raised or cleared), if any.</summary>
    public AlarmEvent? Add(AlarmSample s, string modelVersion, DateTimeOffset now)
    {
        bool backwards = s.TimestampUs < _lastUs;
        _lastUs = s.TimestampUs;
        return IsRaised ? WhileRaised(s, backwards, modelVersion, now) : WhileClear(s, backwards, modelVersion, now);
    }

    /// <summary>The stream ended: a raised alarm is cleared with reason "stream_ended".</summary>
    public AlarmEvent? End(string modelVersion, DateTimeOffset now)
    {
        if (!IsRaised)
        {
            _alarm = default;
            return null;
        }

        return Clear("stream_ended", modelVersion, now);
    }

    private AlarmEvent? WhileClear(AlarmSample s, bool backwards, string modelVersion, DateTimeOffset now)
    {
        if (s.Severity < options.RaiseThreshold)
        {
            _alarm = default;
            return null;
        }

        if (_alarm.Frames == 0 || backwards)
        {
            _alarm = Run.Start(s);
        }
        else
        {
            _alarm.Add(s);
        }

        if (s.TimestampUs - _alarm.StartUs < _raiseWindowUs)
        {
            return null;
        }

        IsRaised = true;
        _cleanSinceUs = null;
        (_lastDamagedFrame, _lastDamagedUs) = (s.Frame, s.TimestampUs);
        return Event("raised", "severity", modelVersion, now, null, null);
    }

    private AlarmEvent? WhileRaised(AlarmSample s, bool backwards, string modelVersion, DateTimeOffset now)
    {
        if (s.Severity >= options.ClearThreshold)
        {
            _alarm.Add(s);
            _cleanSinceUs = null;
            (_lastDamagedFrame, _lastDamagedUs) = (s.Frame, s.TimestampUs);
            return null;
        }

        if (_cleanSinceUs is null || backwards)
        {
            _cleanSinceUs = s.TimestampUs;
        }

        if (s.TimestampUs - _cleanSinceUs.Value < _clearWindowUs)
        {
            return null;
        }

        return Clear("severity", modelVersion, now);
    }

    private AlarmEvent Clear(string reason, string modelVersion, DateTimeOffset now)
    {
        IsRaised = false;
        var e = Event("cleared", reason, modelVersion, now, _lastDamagedFrame, _lastDamagedUs);
        _alarm = default;
        _cleanSinceUs = null;
        return e;
    }

    private AlarmEvent Event(string state, string reason, string modelVersion, DateTimeOffset now, long? endFrame, long? endUs) => new()
    {
        StreamId = StreamId,
        AlarmId = $"{StreamId}:{_alarm.StartFrame}",
        State = state,
        Reason = reason,
        Class = _alarm.DominantClass,
        PeakSeverity = Math.Round(_alarm.Peak, 4),
        MeanSeverity = Math.Round(_alarm.Sum / _alarm.Frames, 4),
        Frames = _alarm.Frames,
        StartFrame = _alarm.StartFrame,
        StartTimestampUs = _alarm.StartUs,
        EndFrame = endFrame,
        EndTimestampUs = endUs,
        ModelVersion = modelVersion,
        EmittedAt = now,
    };

    /// <summary>Statistics of the frames of an alarm (at or above the clear threshold once raised).</summary>
    private struct Run
    {
        public long StartFrame;
        public long StartUs;
        public long Frames;
        public double Sum;
        public double Peak;
        public long Compression;
        public long Transmission;

        public static Run Start(AlarmSample s)
        {
            var r = new Run { StartFrame = s.Frame, StartUs = s.TimestampUs };
            r.Add(s);
            return r;
        }

        public void Add(AlarmSample s)
        {
            Frames++;
            Sum += s.Severity;
            Peak = Math.Max(Peak, s.Severity);
            if (s.Class == "transmission")
            {
                Transmission++;
            }
            else if (s.Class == "compression")
            {
                Compression++;
            }
        }

        public readonly string DominantClass => Transmission > Compression ? "transmission" : "compression";
    }
}
