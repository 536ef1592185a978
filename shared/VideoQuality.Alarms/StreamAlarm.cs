namespace VideoQuality.Alarms;

/// <summary>
/// Alarms of one stream as a service sees them: feeds frames to the stream's <see cref="AlarmStateMachine"/>, hands its
/// events to the sink, reports them to metrics and, when <see cref="AlarmOptions.TelemetryIntervalMs"/> is set, sends a
/// severity summary every interval of frame time. Dispose at the end of the stream (a raised alarm is then cleared with
/// reason "stream_ended"). One caller at a time.
/// </summary>
public sealed class StreamAlarm : IDisposable
{
    private readonly AlarmStateMachine _machine;
    private readonly IAlarmSink _sink;
    private readonly IAlarmMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly long _telemetryUs;
    private string _modelVersion = string.Empty;
    private long? _periodStartUs;
    private long _periodFrames;
    private double _periodSum;
    private double _periodMax;
    private bool _disposed;

    /// <summary>Creates the alarm of <paramref name="streamId"/>.</summary>
    public StreamAlarm(string streamId, AlarmOptions options, IAlarmSink sink, IAlarmMetrics? metrics = null, TimeProvider? time = null)
    {
        _machine = new AlarmStateMachine(streamId, options);
        _sink = sink;
        _metrics = metrics ?? NoAlarmMetrics.Instance;
        _time = time ?? TimeProvider.System;
        _telemetryUs = options.TelemetryIntervalMs * 1000L;
    }

    /// <summary>Stream id.</summary>
    public string StreamId => _machine.StreamId;

    /// <summary>Whether the alarm is raised.</summary>
    public bool IsRaised => _machine.IsRaised;

    /// <summary>Feeds one detected frame.</summary>
    public void Observe(AlarmSample sample, string modelVersion)
    {
        _modelVersion = modelVersion;
        if (_machine.Add(sample, modelVersion, _time.GetUtcNow()) is { } e)
        {
            Emit(e);
        }

        if (_telemetryUs > 0)
        {
            Telemetry(sample);
        }
    }

    /// <summary>Ends the stream: clears a raised alarm (reason "stream_ended").</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_machine.End(_modelVersion, _time.GetUtcNow()) is { } e)
        {
            Emit(e);
        }
    }

    private void Emit(AlarmEvent e)
    {
        if (e.State == "raised")
        {
            _metrics.AlarmRaised(e.StreamId, e.Class);
        }
        else
        {
            _metrics.AlarmCleared(e.StreamId);
        }

        _sink.Enqueue(e);
    }

    private void Telemetry(AlarmSample s)
    {
        if (_periodStartUs is not { } start || s.TimestampUs < start)
        {
            _periodStartUs = start = s.TimestampUs;
            (_periodFrames, _periodSum, _periodMax) = (0, 0, 0);
        }

        _periodFrames++;
        _periodSum += s.Severity;
        _periodMax = Math.Max(_periodMax, s.Severity);
        if (s.TimestampUs - start + FrameSpanUs() < _telemetryUs)
        {
            return;
        }

        _sink.Offer(new StreamTelemetry
        {
            StreamId = StreamId,
            AlarmState = _machine.IsRaised ? "raised" : "clear",
            Frames = _periodFrames,
            MeanSeverity = Math.Round(_periodSum / _periodFrames, 4),
            MaxSeverity = Math.Round(_periodMax, 4),
            Frame = s.Frame,
            TimestampUs = s.TimestampUs,
            ModelVersion = _modelVersion,
        });
        _periodStartUs = null;

        // One frame's duration, estimated from the period, so N frames at rate R make a period of N/R (not (N-1)/R).
        long FrameSpanUs() => _periodFrames > 1 ? (s.TimestampUs - start) / (_periodFrames - 1) : 0;
    }
}
