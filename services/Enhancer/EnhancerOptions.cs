using System.ComponentModel.DataAnnotations;
using VideoQuality.Contracts.V1;

namespace VideoQuality.Enhancer;

/// <summary>How the enhancer reaches the detector (configuration section <c>Enhancer</c>).</summary>
internal sealed class EnhancerOptions : IValidatableObject
{
    public const string SectionName = "Enhancer";

    /// <summary>Detector gRPC address (e.g. http://detector:50051); empty = detect in-process only.</summary>
    public string? DetectorAddress { get; set; }

    /// <summary>Deadline of one attempt of a detector call (the caller's own deadline, when shorter, wins).</summary>
    [Range(10, 60_000)]
    public int DetectTimeoutMs { get; set; } = 1000;

    /// <summary>Retries of a detector call after a retryable failure (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, attempt timeout).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Base delay of the jittered exponential backoff between retries.</summary>
    [Range(1, 10_000)]
    public int RetryBaseDelayMs { get; set; } = 25;

    /// <summary>Share of failed detector calls in the sampling window that opens the circuit.</summary>
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls needed in the sampling window before the circuit may open.</summary>
    [Range(2, 1000)]
    public int MinimumThroughput { get; set; } = 4;

    /// <summary>Sampling window of the circuit breaker.</summary>
    [Range(500, 600_000)]
    public int SamplingDurationMs { get; set; } = 10_000;

    /// <summary>How long the circuit stays open (all detection local) before one trial call goes to the detector.</summary>
    [Range(500, 600_000)]
    public int BreakDurationMs { get; set; } = 3000;

    public bool HasRemote => !string.IsNullOrWhiteSpace(DetectorAddress);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (HasRemote && (!Uri.TryCreate(DetectorAddress, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"Enhancer:DetectorAddress '{DetectorAddress}' is not an http(s) address", [nameof(DetectorAddress)]);
        }
    }
}

/// <summary>EnhanceStream defaults (configuration section <c>Streams</c>, the same keys as the detector's).</summary>
internal sealed class EnhanceStreamsOptions
{
    public const string SectionName = "Streams";

    /// <summary>Largest queue a client may ask for.</summary>
    public const int MaxQueueCapacity = 64;

    /// <summary>Frames queued per stream before live mode drops the oldest / lossless mode pushes back.</summary>
    [Range(1, MaxQueueCapacity)]
    public int QueueCapacity { get; set; } = 4;

    /// <summary>Mode of calls that do not choose one: "live" or "lossless".</summary>
    [RegularExpression("^(?i)(live|lossless)$", ErrorMessage = "Streams:Mode must be live or lossless")]
    public string Mode { get; set; } = "live";

    public StreamMode DefaultMode => string.Equals(Mode, "lossless", StringComparison.OrdinalIgnoreCase) ? StreamMode.Lossless : StreamMode.Live;
}
