using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace VideoQuality.ServiceDefaults.Models;

/// <summary>
/// Loads a service's model(s) after the server starts listening (so health answers NOT_SERVING meanwhile), on the
/// thread pool, into its <see cref="ModelHolder{T}"/>; then <see cref="OnLoaded"/> marks the service ready. A failure
/// is kept in the holder (exit code 1), marks the service not ready, is logged, and stops the host.
/// </summary>
public abstract class ModelLoader<T>(ModelHolder<T> holder, ReadinessState readiness, IHostApplicationLifetime lifetime, ILogger logger) : BackgroundService
    where T : class, IDisposable
{
    /// <summary>The service's readiness, for <see cref="OnLoaded"/>.</summary>
    protected ReadinessState Readiness => readiness;

    /// <summary>Completes when loading may start (tests hold it to observe NOT_SERVING).</summary>
    protected virtual Task WaitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Loads, verifies and warms up the model(s); runs on the thread pool.</summary>
    protected abstract T Load();

    /// <summary>The model(s) are in the holder: mark the service ready, set metrics, log.</summary>
    protected abstract void OnLoaded(T model);

    /// <inheritdoc />
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WaitAsync(stoppingToken).ConfigureAwait(false);
            var model = await Task.Run(Load, stoppingToken).ConfigureAwait(false);
            holder.SetLoaded(model);
            OnLoaded(model);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            holder.SetFailed(ex.Message);
            readiness.MarkNotReady($"{holder.Noun} failed to load: {ex.Message}");
            ModelLoaderLog.LoadFailed(logger, holder.Noun, ex.Message, ex);
            await lifetime.StopAfterStartAsync(stoppingToken).ConfigureAwait(false);
        }
    }
}

internal static partial class ModelLoaderLog
{
    [LoggerMessage(Level = LogLevel.Critical, Message = "The {Models} could not be loaded, stopping: {Reason}")]
    public static partial void LoadFailed(ILogger logger, string models, string reason, Exception exception);
}
