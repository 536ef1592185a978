using Microsoft.Extensions.Options;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Repair;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Models;

namespace VideoQuality.Enhancer;

/// <summary>
/// Loads the enhancer model (configured provider chain) and the in-process fallback detector (CPU, the same
/// detector model the Detector service serves) after the server starts listening (the shared
/// <see cref="ModelLoader{T}"/>), then marks the service ready. A failure is logged and stops the host with exit code 1.
/// </summary>
internal sealed partial class EnhancerModelLoader(
    IOptions<ModelOptions> model,
    IOptions<InferenceOptions> inference,
    IOptions<RepairOptions> repair,
    EnhancerState state,
    ReadinessState readiness,
    DetectorResilience resilience,
    EnhancerMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    ILogger<EnhancerModelLoader> logger) : ModelLoader<EnhancerModels>(state, readiness, lifetime, logger)
{
    private readonly ILogger _log = logger;
    private readonly EnhancerState _state = state;

    protected override EnhancerModels Load()
    {
        var r = FrameRepairer.Load(model.Value, inference.Value, repair.Value, loggerFactory);
        try
        {
            var cpu = new InferenceOptions
            {
                Providers = ["CPU"],
                IntraOpThreads = inference.Value.IntraOpThreads,
                MaxConcurrency = inference.Value.MaxConcurrency,
            };
            return new EnhancerModels(r, DetectorPipeline.Load(new ModelOptions { Root = model.Value.Root }, cpu, loggerFactory));
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    protected override void OnLoaded(EnhancerModels models)
    {
        resilience.StateChanged += _state.Publish;
        _state.Publish(resilience.State);
        var m = models.Repairer.Model.Info;
        metrics.SetModel(m);
        Log.Ready(_log, m.Name, m.Version, m.Profile, m.ExecutionProvider, models.LocalDetector.Model.Version);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Enhancer ready: {Name} {Version} (profile {Profile}) on {Provider}; fallback detector {DetectorVersion} on CPU")]
        public static partial void Ready(ILogger logger, string name, string version, string profile, string provider, string detectorVersion);
    }
}
