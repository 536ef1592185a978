using System.ComponentModel.DataAnnotations;

namespace VideoQuality.ServiceDefaults.Streams;

/// <summary>
/// Defaults of every streaming call (DetectStream, EnhanceStream), configuration section <c>Streams</c>; both services
/// bind this one class, so one value (e.g. the Helm chart's <c>streams.queueCapacity</c>) is valid for both.
/// </summary>
/// <remarks>
/// <see cref="MaxQueueCapacity"/> is 64 for both services (the detector allowed 256 before, the enhancer 64): a live queue
/// is latency (64 frames are about 2 s at 30 fps) and each queued frame holds its full message (up to a 4K I420 frame in
/// the enhancer), so the stricter of the two former limits is the one kept. A client asking for more gets 64.
/// </remarks>
public sealed class StreamsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Streams";

    /// <summary>Largest queue a client (or the configuration) may ask for.</summary>
    public const int MaxQueueCapacity = 64;

    /// <summary>Frames queued per stream before live mode drops the oldest / lossless mode pushes back.</summary>
    [Range(1, MaxQueueCapacity)]
    public int QueueCapacity { get; set; } = 4;

    /// <summary>Mode of calls that do not choose one: "live" or "lossless".</summary>
    [RegularExpression("^(?i)(live|lossless)$", ErrorMessage = "Streams:Mode must be live or lossless")]
    public string Mode { get; set; } = "live";

    /// <summary>The default mode.</summary>
    public StreamQueueMode DefaultMode => string.Equals(Mode, "lossless", StringComparison.OrdinalIgnoreCase) ? StreamQueueMode.Lossless : StreamQueueMode.Live;

    /// <summary>
    /// The queue of a call from what its first message asked for: <paramref name="requestedMode"/> is the wire number
    /// of <c>videoquality.v1.StreamMode</c> (0 unspecified = <see cref="DefaultMode"/>, 1 live, 2 lossless),
    /// <paramref name="requestedCapacity"/> 0 = <see cref="QueueCapacity"/>, otherwise capped at <see cref="MaxQueueCapacity"/>.
    /// Null for a mode number this server does not know (the caller answers INVALID_ARGUMENT).
    /// </summary>
    public StreamQueue? QueueFor(int requestedMode, uint requestedCapacity)
    {
        StreamQueueMode? mode = requestedMode switch
        {
            0 => DefaultMode,
            1 => StreamQueueMode.Live,
            2 => StreamQueueMode.Lossless,
            _ => null,
        };
        int capacity = requestedCapacity == 0 ? QueueCapacity : (int)Math.Min(requestedCapacity, MaxQueueCapacity);
        return mode is { } m ? new StreamQueue(m, capacity) : null;
    }
}

/// <summary>What a stream's queue does when it is full.</summary>
public enum StreamQueueMode
{
    /// <summary>Drop the oldest queued frame (counted).</summary>
    Live,

    /// <summary>Stop reading, so HTTP/2 flow control pushes back on the client.</summary>
    Lossless,
}

/// <summary>One call's queue: its mode and how many frames it holds.</summary>
public readonly record struct StreamQueue(StreamQueueMode Mode, int Capacity);

/// <summary>The queue gauges and drop counter a service keeps for its streams.</summary>
public interface IStreamQueueMetrics
{
    /// <summary>Frames entered (positive) or left (negative) a stream queue.</summary>
    void Queued(int delta);

    /// <summary>A live queue dropped its oldest frame.</summary>
    void Dropped();
}
