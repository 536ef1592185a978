using Microsoft.Extensions.Options;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Repair;
using VideoQuality.ServiceDefaults;

namespace VideoQuality.Enhancer;

/// <summary>
/// The loaded models (null until <see cref="EnhancerModelLoader"/> finishes) and readiness: SERVING once the
/// enhancer model is loaded and warm and the detection path is ready (the in-process detector always is once
/// loaded, so a down detector does not make the enhancer unready); the remote detector's circuit state is
/// published in the readiness details and in metrics.
/// </summary>
internal sealed class EnhancerState(ReadinessState readiness, IOptions<EnhancerOptions> options) : IDisposable
{
    private volatile Loaded? _loaded;

    public string? LoadError { get; private set; }

    public int ExitCode => LoadError is null ? 0 : 1;

    /// <summary>Repairer and local detector; UNAVAILABLE while loading.</summary>
    public (FrameRepairer Repairer, DetectorPipeline LocalDetector) GetReady()
    {
        var l = _loaded;
        if (l is null)
        {
            RpcErrors.Unavailable(LoadError is null ? "models are loading; retry shortly" : $"models failed to load: {LoadError}");
        }

        return (l.Repairer, l.Detector);
    }

    internal void SetLoaded(FrameRepairer repairer, DetectorPipeline detector, CircuitState circuit)
    {
        _loaded = new Loaded(repairer, detector);
        Publish(circuit);
    }

    internal void SetFailed(string error)
    {
        LoadError = error;
        readiness.MarkNotReady($"models failed to load: {error}");
    }

    /// <summary>Re-publishes readiness details (called when the detector circuit changes state).</summary>
    internal void Publish(CircuitState circuit)
    {
        if (_loaded is not { } l)
        {
            return;
        }

        var m = l.Repairer.Model.Info;
        string remote = !options.Value.HasRemote ? "not configured (in-process detection)"
            : circuit switch
            {
                CircuitState.Closed => "remote",
                CircuitState.HalfOpen => "half-open (trying the detector again)",
                _ => "open (detector unavailable, in-process fallback)",
            };
        readiness.MarkReady($"model {m.Name} {m.Version} ready on {m.ExecutionProvider}; detection: {remote}", new Dictionary<string, object>
        {
            ["model"] = m.Name,
            ["version"] = m.Version,
            ["execution_provider"] = m.ExecutionProvider,
            ["profile"] = m.Profile,
            ["sha256"] = m.Sha256,
            ["local_detector"] = $"{l.Detector.Model.Name} {l.Detector.Model.Version} on {l.Detector.Model.ExecutionProvider}",
            ["detector_address"] = options.Value.DetectorAddress ?? string.Empty,
            ["detector_circuit"] = circuit.ToString(),
            ["detection"] = remote,
        });
    }

    public void Dispose()
    {
        _loaded?.Repairer.Dispose();
        _loaded?.Detector.Dispose();
    }

    private sealed record Loaded(FrameRepairer Repairer, DetectorPipeline Detector);
}
