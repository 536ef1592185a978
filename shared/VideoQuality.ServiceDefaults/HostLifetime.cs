using Microsoft.Extensions.Hosting;

namespace VideoQuality.ServiceDefaults;

/// <summary>Host lifetime helpers shared by the services' model loaders.</summary>
public static class HostLifetime
{
    /// <summary>
    /// Stops the application once it has started (stopping while the host is still starting makes StartAsync throw),
    /// or returns when <paramref name="stoppingToken"/> fires first. Used when a model cannot be loaded.
    /// </summary>
    public static async Task StopAfterStartAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetResult()))
        {
            await started.Task.ConfigureAwait(false);
        }

        lifetime.StopApplication();
    }
}
