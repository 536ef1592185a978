using Microsoft.Extensions.Options;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.ServiceDefaults;

namespace VideoQuality.Detector;

/// <summary>
/// Loads the detector after the server starts listening: resolve the version, verify sha256, create the
/// session with the provider chain, warm up; then marks the service ready (gRPC health SERVING, /readyz 200).
/// A failure (including RequireGpu without a GPU) is logged and stops the host with exit code 1.
/// </summary>
internal sealed partial class DetectorModelLoader(
    IOptions<ModelOptions> model,
    IOptions<InferenceOptions> inference,
    DetectorModelState state,
    ReadinessState readiness,
    DetectorMetrics metrics,
    ModelLoadGate gate,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    ILogger<DetectorModelLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await gate.WaitAsync(stoppingToken).ConfigureAwait(false);
            var pipeline = await Task.Run(() => DetectorPipeline.Load(model.Value, inference.Value, loggerFactory), stoppingToken).ConfigureAwait(false);
            state.SetLoaded(pipeline);
            var m = pipeline.Model;
            metrics.SetModel(m);
            readiness.MarkReady($"model {m.Name} {m.Version} ready on {m.ExecutionProvider}", new Dictionary<string, object>
            {
                ["model"] = m.Name,
                ["version"] = m.Version,
                ["execution_provider"] = m.ExecutionProvider,
                ["sha256"] = m.Sha256,
                ["stride"] = pipeline.Stride,
            });
            Log.Ready(logger, m.Name, m.Version, m.ExecutionProvider);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            state.SetFailed(ex.Message);
            readiness.MarkNotReady($"model failed to load: {ex.Message}");
            Log.LoadFailed(logger, ex.Message, ex);
            await lifetime.StopAfterStartAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Detector ready: {Name} {Version} on {Provider}")]
        public static partial void Ready(ILogger logger, string name, string version, string provider);

        [LoggerMessage(Level = LogLevel.Critical, Message = "Detector model could not be loaded, stopping: {Reason}")]
        public static partial void LoadFailed(ILogger logger, string reason, Exception exception);
    }
}
