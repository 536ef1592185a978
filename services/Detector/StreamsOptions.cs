using System.ComponentModel.DataAnnotations;
using VideoQuality.Contracts.V1;

namespace VideoQuality.Detector;

/// <summary>DetectStream defaults (configuration section <c>Streams</c>).</summary>
internal sealed class StreamsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Streams";

    /// <summary>Largest queue a client may ask for.</summary>
    public const int MaxQueueCapacity = 256;

    /// <summary>Frames queued per stream before live mode drops / lossless mode pushes back.</summary>
    [Range(1, MaxQueueCapacity)]
    public int QueueCapacity { get; set; } = 4;

    /// <summary>Mode of calls that do not choose one: "live" or "lossless".</summary>
    [RegularExpression("^(?i)(live|lossless)$", ErrorMessage = "Streams:Mode must be live or lossless")]
    public string Mode { get; set; } = "live";

    /// <summary>The default mode as the contract enum.</summary>
    public StreamMode DefaultMode => string.Equals(Mode, "lossless", StringComparison.OrdinalIgnoreCase) ? StreamMode.Lossless : StreamMode.Live;
}
