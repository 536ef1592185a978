using Microsoft.Extensions.Options;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Repair;
using VideoQuality.ServiceDefaults;

namespace VideoQuality.Enhancer;

/// <summary>
/// Loads the enhancer model (configured provider chain) and the in-process fallback detector (CPU, the same
/// detector model the Detector service serves) after the server starts listening, then marks the service ready.
/// A failure is logged and stops the host with exit code 1.
/// </summary>
internal sealed partial class EnhancerModelLoader(
    IOptions<ModelOptions> model,
    IOptions<InferenceOptions> inference,
    IOptions<RepairOptions> repair,
    EnhancerState state,
    DetectorResilience resilience,
    EnhancerMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    ILogger<EnhancerModelLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var (repairer, detector) = await Task.Run(() =>
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
                    return (r, DetectorPipeline.Load(new ModelOptions { Root = model.Value.Root }, cpu, loggerFactory));
                }
                catch
                {
                    r.Dispose();
                    throw;
                }
            }, stoppingToken).ConfigureAwait(false);
            resilience.StateChanged += state.Publish;
            state.SetLoaded(repairer, detector, resilience.State);
            var m = repairer.Model.Info;
            metrics.SetModel(m);
            Log.Ready(logger, m.Name, m.Version, m.Profile, m.ExecutionProvider, detector.Model.Version);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            state.SetFailed(ex.Message);
            Log.LoadFailed(logger, ex.Message, ex);
            await lifetime.StopAfterStartAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Enhancer ready: {Name} {Version} (profile {Profile}) on {Provider}; fallback detector {DetectorVersion} on CPU")]
        public static partial void Ready(ILogger logger, string name, string version, string profile, string provider, string detectorVersion);

        [LoggerMessage(Level = LogLevel.Critical, Message = "Enhancer models could not be loaded, stopping: {Reason}")]
        public static partial void LoadFailed(ILogger logger, string reason, Exception exception);
    }
}
