using Microsoft.Extensions.Options;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Repair;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Models;

namespace VideoQuality.Enhancer;

/// <summary>The enhancer model and the in-process fallback detector, loaded together.</summary>
internal sealed record EnhancerModels(FrameRepairer Repairer, DetectorPipeline LocalDetector) : IDisposable
{
    public void Dispose()
    {
        Repairer.Dispose();
        LocalDetector.Dispose();
    }
}

/// <summary>
/// The loaded models (the shared <see cref="ModelHolder{T}"/>: null until <see cref="EnhancerModelLoader"/> finishes,
/// UNAVAILABLE from <see cref="ModelHolder{T}.GetReady"/> meanwhile) and readiness: SERVING once the
/// enhancer model is loaded and warm and the detection path is ready (the in-process detector always is once
/// loaded, so a down detector does not make the enhancer unready); the remote detector's circuit state is
/// published in the readiness details and in metrics.
/// </summary>
internal sealed class EnhancerState(ReadinessState readiness, IOptions<EnhancerOptions> options) : ModelHolder<EnhancerModels>("models")
{
    /// <summary>Re-publishes readiness details (called when the models are loaded and when the detector circuit changes state).</summary>
    internal void Publish(CircuitState circuit)
    {
        if (Model is not { } l)
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
            ["local_detector"] = $"{l.LocalDetector.Model.Name} {l.LocalDetector.Model.Version} on {l.LocalDetector.Model.ExecutionProvider}",
            ["detector_address"] = options.Value.DetectorAddress ?? string.Empty,
            ["detector_circuit"] = circuit.ToString(),
            ["detection"] = remote,
        });
    }
}
