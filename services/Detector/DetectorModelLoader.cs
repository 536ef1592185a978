using Microsoft.Extensions.Options;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Models;

namespace VideoQuality.Detector;

/// <summary>
/// Loads the detector after the server starts listening (the shared <see cref="ModelLoader{T}"/>): resolve the
/// version, verify sha256, create the session with the provider chain, warm up; then marks the service ready (gRPC
/// health SERVING, /readyz 200). A failure (including RequireGpu without a GPU) is logged and stops the host with exit code 1.
/// </summary>
internal sealed partial class DetectorModelLoader(
    IOptions<ModelOptions> model,
    IOptions<InferenceOptions> inference,
    ModelHolder<DetectorPipeline> holder,
    ReadinessState readiness,
    DetectorMetrics metrics,
    ModelLoadGate gate,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    ILogger<DetectorModelLoader> logger) : ModelLoader<DetectorPipeline>(holder, readiness, lifetime, logger)
{
    private readonly ILogger _log = logger;

    protected override Task WaitAsync(CancellationToken cancellationToken) => gate.WaitAsync(cancellationToken);

    protected override DetectorPipeline Load() => DetectorPipeline.Load(model.Value, inference.Value, loggerFactory);

    protected override void OnLoaded(DetectorPipeline pipeline)
    {
        var m = pipeline.Model;
        metrics.SetModel(m);
        Readiness.MarkReady($"model {m.Name} {m.Version} ready on {m.ExecutionProvider}", new Dictionary<string, object>
        {
            ["model"] = m.Name,
            ["version"] = m.Version,
            ["execution_provider"] = m.ExecutionProvider,
            ["sha256"] = m.Sha256,
            ["stride"] = pipeline.Stride,
        });
        Log.Ready(_log, m.Name, m.Version, m.ExecutionProvider);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Detector ready: {Name} {Version} on {Provider}")]
        public static partial void Ready(ILogger logger, string name, string version, string provider);
    }
}

/// <summary>
/// Lets the loader wait before loading. Open by default; tests hold it closed to observe NOT_SERVING
/// before the model is ready.
/// </summary>
internal class ModelLoadGate
{
    /// <summary>Completes when loading may start.</summary>
    public virtual Task WaitAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
