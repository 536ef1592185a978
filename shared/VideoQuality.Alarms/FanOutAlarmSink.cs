namespace VideoQuality.Alarms;

/// <summary>Hands every event and telemetry to each of several sinks (MQTT and a webhook, say), in the order given.</summary>
public sealed class FanOutAlarmSink(IReadOnlyList<IAlarmSink> sinks) : IAlarmSink
{
    /// <inheritdoc />
    public void Enqueue(AlarmEvent alarm)
    {
        foreach (var s in sinks)
        {
            s.Enqueue(alarm);
        }
    }

    /// <inheritdoc />
    public void Offer(StreamTelemetry telemetry)
    {
        foreach (var s in sinks)
        {
            s.Offer(telemetry);
        }
    }
}
