namespace VideoQuality.Alarms;

/// <summary>What the alarm code reports to the host's metrics (the Detector's DetectorMetrics; nothing in `vq monitor`).</summary>
public interface IAlarmMetrics
{
    /// <summary>An alarm was raised on a stream.</summary>
    void AlarmRaised(string streamId, string damageClass);

    /// <summary>A raised alarm was cleared (or its stream ended).</summary>
    void AlarmCleared(string streamId);

    /// <summary>Alarm events waiting in the outbox.</summary>
    void OutboxDepth(int depth);

    /// <summary>An event was dropped because the outbox was full.</summary>
    void OutboxOverflow();

    /// <summary>Whether the publisher is connected to the broker.</summary>
    void BrokerConnected(bool connected);

    /// <summary>An event or telemetry message was published.</summary>
    void Published(string kind);
}

/// <summary>No metrics (the CLI probe).</summary>
public sealed class NoAlarmMetrics : IAlarmMetrics
{
    /// <summary>The instance.</summary>
    public static readonly NoAlarmMetrics Instance = new();

    /// <inheritdoc />
    public void AlarmRaised(string streamId, string damageClass)
    {
    }

    /// <inheritdoc />
    public void AlarmCleared(string streamId)
    {
    }

    /// <inheritdoc />
    public void OutboxDepth(int depth)
    {
    }

    /// <inheritdoc />
    public void OutboxOverflow()
    {
    }

    /// <inheritdoc />
    public void BrokerConnected(bool connected)
    {
    }

    /// <inheritdoc />
    public void Published(string kind)
    {
    }
}

/// <summary>Where alarm events and telemetry go (the MQTT publisher).</summary>
public interface IAlarmSink
{
    /// <summary>Queues an alarm event; it is delivered in order, after reconnects, unless the outbox overflows.</summary>
    void Enqueue(AlarmEvent alarm);

    /// <summary>Sends telemetry if the broker is reachable now (telemetry is never queued).</summary>
    void Offer(StreamTelemetry telemetry);
}
