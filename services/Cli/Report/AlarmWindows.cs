using VideoQuality.Alarms;
using VideoQuality.Cli.Output;

namespace VideoQuality.Cli.Report;

/// <summary>One alarm `vq monitor` would have raised: from the first frame of the run that raised it to the last damaged frame before it cleared.</summary>
/// <param name="Reason">Why it cleared: "severity" or "stream_ended".</param>
internal sealed record AlarmWindow(TimeSpan Start, TimeSpan End, string Class, double PeakSeverity, double MeanSeverity, string Reason);

/// <summary>
/// Replays a stream's results through the same <see cref="StreamAlarm"/> (and so the same <see cref="AlarmStateMachine"/>)
/// that `vq monitor` and the Detector service feed, and pairs each raise with its clear. Nothing about alarms is decided here.
/// </summary>
internal static class AlarmWindows
{
    public static IReadOnlyList<AlarmWindow> Replay(IEnumerable<FrameResult> results, string streamId, AlarmOptions options)
    {
        var sink = new Collector();
        using (var alarm = new StreamAlarm(streamId, options, sink))
        {
            foreach (var r in results) alarm.Observe(r.ToAlarmSample(), r.ModelVersion);
        }

        return sink.Cleared
            .Select(e => new AlarmWindow(TimeSpan.FromMicroseconds(e.StartTimestampUs), TimeSpan.FromMicroseconds(e.EndTimestampUs ?? e.StartTimestampUs),
                e.Class, e.PeakSeverity, e.MeanSeverity, e.Reason))
            .ToList();
    }

    /// <summary>Keeps the clear events: each carries its alarm's whole span and statistics (the stream's end clears a raised one).</summary>
    private sealed class Collector : IAlarmSink
    {
        public List<AlarmEvent> Cleared { get; } = [];

        public void Enqueue(AlarmEvent alarm)
        {
            if (alarm.State == "cleared") Cleared.Add(alarm);
        }

        public void Offer(StreamTelemetry telemetry)
        {
        }
    }
}
