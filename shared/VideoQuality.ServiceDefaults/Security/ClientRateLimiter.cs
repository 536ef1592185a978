using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// Token buckets per client (see <see cref="RateLimitOptions"/>): partitioned by the authenticated identity, else
/// by remote IP. Idle buckets are dropped by the partitioned limiter.
/// </summary>
internal sealed class ClientRateLimiter : IDisposable
{
    private readonly RateLimitOptions _options;
    private readonly PartitionedRateLimiter<string>? _limiter;

    public ClientRateLimiter(IOptions<RateLimitOptions> options)
    {
        _options = options.Value;
        if (!_options.Enabled)
        {
            return;
        }

        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.Burst > 0 ? _options.Burst : _options.PermitsPerSecond,
            TokensPerPeriod = _options.PermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = false, // the partitioned limiter replenishes its buckets on its own timer
        };
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => bucket));
    }

    public bool Enabled => _limiter is not null;

    /// <summary>Takes one permit for the caller or throws RESOURCE_EXHAUSTED.</summary>
    public void Acquire(ServerCallContext context, ClientIdentity? identity)
    {
        if (_limiter is null)
        {
            return;
        }

        var key = identity?.PartitionKey ?? $"ip:{context.GetHttpContext().Connection.RemoteIpAddress}";
        using var lease = _limiter.AttemptAcquire(key);
        if (!lease.IsAcquired)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"rate limit exceeded: at most {_options.PermitsPerSecond} calls or frames per second per client (burst {(_options.Burst > 0 ? _options.Burst : _options.PermitsPerSecond)}); slow down and retry"));
        }
    }

    public void Dispose() => _limiter?.Dispose();
}
