using System.Text.Json;
using System.Text.Json.Serialization;

namespace VideoQuality.Alarms;

/// <summary>One frame as the alarm state machine sees it.</summary>
/// <param name="Frame">Frame number in the stream (decoded index or the sender's sequence).</param>
/// <param name="TimestampUs">Presentation time in microseconds; windows are measured on it.</param>
/// <param name="Severity">Frame severity in [0,1].</param>
/// <param name="Class">Frame class: "clean", "compression" or "transmission".</param>
public readonly record struct AlarmSample(long Frame, long TimestampUs, double Severity, string Class);

/// <summary>
/// An alarm event, published as JSON (snake_case) to <c>&lt;prefix&gt;/&lt;stream&gt;</c> with QoS 1.
/// A raise and its clear share <see cref="AlarmId"/>; a consumer that sees a message twice (QoS 1 is at least once)
/// can drop the duplicate on (<see cref="AlarmId"/>, <see cref="State"/>).
/// </summary>
public sealed record AlarmEvent
{
    /// <summary><see cref="Type"/> of the severity alarm (<see cref="AlarmStateMachine"/>).</summary>
    public const string MacroblockingType = "macroblocking";

    /// <summary><see cref="Type"/> of the loss-of-signal alarm (<see cref="SignalAlarm"/>).</summary>
    public const string SignalLostType = "signal_lost";

    /// <summary>What the alarm is about: <see cref="MacroblockingType"/> or <see cref="SignalLostType"/>.</summary>
    public string Type { get; init; } = MacroblockingType;

    /// <summary>Stream id as the sender named it.</summary>
    public required string StreamId { get; init; }

    /// <summary>"&lt;stream&gt;:&lt;start frame&gt;": the same for a raise and its clear.</summary>
    public required string AlarmId { get; init; }

    /// <summary>"raised" or "cleared".</summary>
    public required string State { get; init; }

    /// <summary>Why: "severity" (the windows were met) or "stream_ended" (cleared because the stream ended while raised);
    /// for <see cref="SignalLostType"/>, "no_frames" and "frames_resumed".</summary>
    public required string Reason { get; init; }

    /// <summary>Most frequent damage class of the alarm's frames ("compression" or "transmission").</summary>
    public required string Class { get; init; }

    /// <summary>Highest frame severity of the alarm so far.</summary>
    public required double PeakSeverity { get; init; }

    /// <summary>Mean frame severity of the alarm so far.</summary>
    public required double MeanSeverity { get; init; }

    /// <summary>Frames in the alarm so far (from its first frame at or above the raise threshold).</summary>
    public required long Frames { get; init; }

    /// <summary>First frame of the run that raised the alarm.</summary>
    public required long StartFrame { get; init; }

    /// <summary>Timestamp of <see cref="StartFrame"/>, microseconds.</summary>
    public required long StartTimestampUs { get; init; }

    /// <summary>Cleared: the last frame at or above the clear threshold before the clean run; null while raised.</summary>
    public long? EndFrame { get; init; }

    /// <summary>Timestamp of <see cref="EndFrame"/>, microseconds; null while raised.</summary>
    public long? EndTimestampUs { get; init; }

    /// <summary>Detector model version that produced the frames.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Wall-clock time (UTC) the event was produced.</summary>
    public required DateTimeOffset EmittedAt { get; init; }

    /// <summary>Labels of the channel (`vq monitor --channels`); omitted when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>The event as UTF-8 JSON.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, AlarmJson.Default.AlarmEvent);
}

/// <summary>Periodic severity summary of one stream, published to <c>&lt;prefix&gt;/&lt;stream&gt;/telemetry</c> (QoS 0).</summary>
public sealed record StreamTelemetry
{
    /// <summary>Stream id.</summary>
    public required string StreamId { get; init; }

    /// <summary>"raised" or "clear": the stream's alarm state.</summary>
    public required string AlarmState { get; init; }

    /// <summary>Frames in this period.</summary>
    public required long Frames { get; init; }

    /// <summary>Mean severity over the period.</summary>
    public required double MeanSeverity { get; init; }

    /// <summary>Highest severity over the period.</summary>
    public required double MaxSeverity { get; init; }

    /// <summary>Last frame of the period.</summary>
    public required long Frame { get; init; }

    /// <summary>Timestamp of <see cref="Frame"/>, microseconds.</summary>
    public required long TimestampUs { get; init; }

    /// <summary>Detector model version.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>The telemetry as UTF-8 JSON.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, AlarmJson.Default.StreamTelemetry);
}

/// <summary>Source-generated JSON for the MQTT payloads.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AlarmEvent))]
[JsonSerializable(typeof(StreamTelemetry))]
public sealed partial class AlarmJson : JsonSerializerContext;
