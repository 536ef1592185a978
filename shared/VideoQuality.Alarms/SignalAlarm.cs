namespace VideoQuality.Alarms;

/// <summary>
/// Loss of signal of one stream, an alarm of its own (<see cref="AlarmEvent.Type"/> <c>signal_lost</c>) beside the
/// macroblocking alarm, with the same topics and event shape:
/// <list type="bullet">
/// <item>Raised (reason <c>no_frames</c>) once no frame has arrived for the stall timeout. Measured on the wall clock
/// (<see cref="TimeProvider"/>): a silent feed has no frame time. The clock starts when the alarm is created, so a feed
/// that never sends is reported too, once the first-frame timeout has passed (opening a feed takes time: connecting,
/// probing the stream).</item>
/// <item>Cleared (reason <c>frames_resumed</c>) once frames have flowed again for the resume window (default 1 s of wall
/// clock, each within the stall timeout of the one before): the few frames a decoder flushes as its feed dies arrive
/// in one burst and do not clear it. On <see cref="Dispose"/> while raised, cleared with reason <c>stream_ended</c>.</item>
/// </list>
/// <c>start_frame</c> is the first frame that did not arrive (the last one + 1), <c>start_timestamp_us</c> the last frame's
/// timestamp; the clear's <c>end_frame</c>/<c>end_timestamp_us</c> are the first frame of the run that resumed the stream. Severity fields are
/// 0, <c>class</c> is <c>signal</c>. Thread-safe: frames arrive on the reader's thread, the check runs on a timer.
/// </summary>
public sealed class SignalAlarm : IDisposable
{
    private readonly Lock _gate = new();
    private readonly IAlarmSink _sink;
    private readonly TimeProvider _time;
    private readonly TimeSpan _stallTimeout;
    private readonly TimeSpan _resumeWindow;
    private TimeSpan _timeout; // the first-frame timeout until the first frame, then the stall timeout
    private (long Arrival, long Frame, long TimestampUs)? _resumed; // while lost: the first frame of the current run
    private readonly ITimer _timer;
    private long _lastArrival;
    private long _lastFrame = -1;
    private long _lastTimestampUs;
    private bool _disposed;

    /// <summary>Starts watching <paramref name="streamId"/>: checks every quarter of <paramref name="stallTimeout"/>.</summary>
    /// <param name="firstFrameTimeout">How long the first frame may take (default: <paramref name="stallTimeout"/>).</param>
    /// <param name="resumeWindow">How long frames must flow again to clear the alarm (default 1 s).</param>
    public SignalAlarm(string streamId, TimeSpan stallTimeout, IAlarmSink sink, TimeProvider? time = null, TimeSpan? firstFrameTimeout = null,
        TimeSpan? resumeWindow = null)
    {
        _resumeWindow = resumeWindow ?? TimeSpan.FromSeconds(1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stallTimeout, TimeSpan.Zero);
        StreamId = streamId;
        _stallTimeout = stallTimeout;
        _timeout = firstFrameTimeout ?? stallTimeout;
        _sink = sink;
        _time = time ?? TimeProvider.System;
        _lastArrival = _time.GetTimestamp();
        var period = TimeSpan.FromTicks(Math.Max(stallTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond));
        _timer = _time.CreateTimer(_ => Check(), null, period, period);
    }

    /// <summary>Stream id.</summary>
    public string StreamId { get; }

    /// <summary>Whether the signal-lost alarm is raised.</summary>
    public bool IsLost { get; private set; }

    /// <summary>Detector model version put in the events (the stream's latest).</summary>
    public string ModelVersion { get; set; } = string.Empty;

    /// <summary>A frame arrived: restarts the stall clock; clears a raised alarm once frames have flowed for the resume window.</summary>
    public void FrameArrived(long frame, long timestampUs)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (IsLost && _time.GetElapsedTime(_lastArrival, now) >= _timeout)
            {
                _resumed = null; // the previous run of frames broke off
            }

            _lastArrival = now;
            _timeout = _stallTimeout;
            if (IsLost && !_disposed)
            {
                _resumed ??= (now, frame, timestampUs);
                if (_time.GetElapsedTime(_resumed.Value.Arrival, now) >= _resumeWindow)
                {
                    IsLost = false;
                    _sink.Enqueue(Event("cleared", "frames_resumed", _resumed.Value.Frame, _resumed.Value.TimestampUs));
                    _resumed = null;
                }

                return; // the event names the last frame before the loss
            }

            (_lastFrame, _lastTimestampUs) = (frame, timestampUs);
        }
    }

    /// <summary>Raises the alarm if the stall timeout has passed since the last frame (the timer calls it).</summary>
    public void Check()
    {
        lock (_gate)
        {
            if (IsLost || _disposed || _time.GetElapsedTime(_lastArrival) < _timeout)
            {
                return;
            }

            IsLost = true;
            _sink.Enqueue(Event("raised", "no_frames", null, null));
        }
    }

    /// <summary>Stops watching; a raised alarm is cleared with reason <c>stream_ended</c>.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (IsLost)
            {
                IsLost = false;
                _sink.Enqueue(Event("cleared", "stream_ended", null, null));
            }
        }
    }

    private AlarmEvent Event(string state, string reason, long? endFrame, long? endUs) => new()
    {
        Type = AlarmEvent.SignalLostType,
        StreamId = StreamId,
        AlarmId = $"{StreamId}:{AlarmEvent.SignalLostType}:{_lastFrame + 1}",
        State = state,
        Reason = reason,
        Class = "signal",
        PeakSeverity = 0,
        MeanSeverity = 0,
        Frames = 0,
        StartFrame = _lastFrame + 1,
        StartTimestampUs = _lastTimestampUs,
        EndFrame = endFrame,
        EndTimestampUs = endUs,
        ModelVersion = ModelVersion,
        EmittedAt = _time.GetUtcNow(),
    };
}
