using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace VideoQuality.ServiceDefaults;

/// <summary>
/// Whether the service can serve: set ready by the service once its model is loaded, verified against its
/// manifest sha256 and warmed up. Feeds the gRPC health service and /readyz.
/// </summary>
public sealed class ReadinessState
{
    private volatile Snapshot _state = new(false, "starting: model not loaded yet", new Dictionary<string, object>());

    /// <summary>Whether the service is ready.</summary>
    public bool IsReady => _state.Ready;

    /// <summary>Human-readable status.</summary>
    public string Description => _state.Description;

    /// <summary>Details (model, version, execution provider...).</summary>
    public IReadOnlyDictionary<string, object> Data => _state.Data;

    /// <summary>Marks the service ready with details shown by /readyz and health.</summary>
    public void MarkReady(string description, IReadOnlyDictionary<string, object> data) =>
        _state = new Snapshot(true, description, data);

    /// <summary>Marks the service not ready.</summary>
    public void MarkNotReady(string description) =>
        _state = new Snapshot(false, description, new Dictionary<string, object>());

    private sealed record Snapshot(bool Ready, string Description, IReadOnlyDictionary<string, object> Data);
}

/// <summary>Health check over <see cref="ReadinessState"/> (tag "ready").</summary>
internal sealed class ReadinessHealthCheck(ReadinessState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsReady
            ? HealthCheckResult.Healthy(state.Description, state.Data)
            : HealthCheckResult.Unhealthy(state.Description));
}
