using System.ComponentModel.DataAnnotations;
using VideoQuality.ServiceDefaults.Security;

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

    /// <summary>Share of detector calls in the sampling window that failed or lost the race to in-process detection
    /// (late: sustained slowness) that opens the circuit.</summary>
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

    /// <summary>Hedge detector calls: when the detector has not answered within the frame's hedging delay, detect
    /// in-process as well and take whichever answers first (the other is cancelled). Off = in-process detection only
    /// after the detector call failed (errors, attempt timeouts, open circuit).</summary>
    public bool Hedging { get; set; } = true;

    /// <summary>Share of a stream's frame interval (or of the caller's remaining deadline, when shorter) that detection may
    /// take, up to <see cref="MaxBudgetMs"/>; the rest is for repair, encoding and queueing. The hedging delay never
    /// exceeds this budget less the in-process detection's own time.</summary>
    [Range(0.05, 1.0)]
    public double BudgetShare { get; set; } = 0.6;

    /// <summary>Longest detection budget: a live viewer waits no longer than this for the detector however slow the
    /// stream's frame rate, while in-process detection can answer. Also the budget of a frame with neither a frame
    /// interval (unary calls, a stream's first frame, frames without timestamps) nor a caller deadline.</summary>
    [Range(10, 60_000)]
    public int MaxBudgetMs { get; set; } = 200;

    /// <summary>Shortest hedging delay: a detector answering faster than this is never hedged.</summary>
    [Range(1, 10_000)]
    public int MinHedgeDelayMs { get; set; } = 10;

    /// <summary>Percentile of the detector's recent answer times the adaptive hedging delay follows.</summary>
    [Range(0.5, 0.999)]
    public double HedgePercentile { get; set; } = 0.99;

    /// <summary>Factor over that percentile before a call counts as late (hedges on a healthy detector stay rare).</summary>
    [Range(1.0, 10.0)]
    public double HedgeMargin { get; set; } = 1.5;

    /// <summary>Detector answer times the adaptive delay looks at: the last this many calls ...</summary>
    [Range(8, 4096)]
    public int LatencyWindowCalls { get; set; } = 256;

    /// <summary>... that are at most this old.</summary>
    [Range(1000, 600_000)]
    public int LatencyWindowMs { get; set; } = 30_000;

    /// <summary>Client certificate (PEM) presented to an https detector that requires mutual TLS; the detector's
    /// certificate is checked against <c>Tls:CaPath</c> (the system store when that is empty).</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>Private key (PEM) of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>API key sent to the detector in <c>x-api-key</c>, when the detector requires one. Prefer <see cref="ApiKeyPath"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>File holding the API key sent to the detector (e.g. a mounted secret).</summary>
    public string? ApiKeyPath { get; set; }

    public bool HasRemote => !string.IsNullOrWhiteSpace(DetectorAddress);

    /// <summary>What the detector client presents and trusts; files are read here, once.</summary>
    public ClientCredentials DetectorCredentials(string? caPath) => new(
        caPath,
        string.IsNullOrWhiteSpace(ClientCertificatePath) ? null : ClientCertificatePath,
        ClientKeyPath,
        !string.IsNullOrWhiteSpace(ApiKeyPath) ? File.ReadAllText(ApiKeyPath).Trim() : string.IsNullOrWhiteSpace(ApiKey) ? null : ApiKey.Trim());

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (HasRemote && (!Uri.TryCreate(DetectorAddress, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"Enhancer:DetectorAddress '{DetectorAddress}' is not an http(s) address", [nameof(DetectorAddress)]);
        }

        if (!string.IsNullOrWhiteSpace(ClientCertificatePath)
            && PemFiles.CheckCertificateAndKey($"{SectionName}:{nameof(ClientCertificatePath)}", ClientCertificatePath, $"{SectionName}:{nameof(ClientKeyPath)}", ClientKeyPath) is { } certError)
        {
            yield return new ValidationResult(certError, [nameof(ClientCertificatePath), nameof(ClientKeyPath)]);
        }

        if (!string.IsNullOrWhiteSpace(ApiKeyPath) && PemFiles.CheckReadable($"{SectionName}:{nameof(ApiKeyPath)}", ApiKeyPath) is { } keyError)
        {
            yield return new ValidationResult(keyError, [nameof(ApiKeyPath)]);
        }
    }
}
