using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace VideoQuality.Enhancer;

/// <summary>State of the circuit in front of the detector.</summary>
internal enum CircuitState
{
    Closed = 0,
    HalfOpen = 1,
    Open = 2,
}

/// <summary>
/// The Polly pipeline in front of the Detector service (one per host, so the circuit's state is shared by all
/// calls): retry with jittered exponential backoff (retryable codes only) -> circuit breaker -> per-attempt timeout.
/// While the circuit is open calls fail at once with <see cref="BrokenCircuitException"/> and the caller detects
/// in-process; after the break one trial call goes through (half-open) and a success closes the circuit again.
/// </summary>
internal sealed partial class DetectorResilience
{
    private volatile int _state;

    public DetectorResilience(IOptions<EnhancerOptions> options, EnhancerMetrics metrics, ILogger<DetectorResilience> logger)
    {
        var o = options.Value;
        var retryable = new PredicateBuilder()
            .Handle<RpcException>(e => IsRetryable(e.StatusCode))
            .Handle<TimeoutRejectedException>();
        var builder = new ResiliencePipelineBuilder();
        if (o.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = retryable,
                MaxRetryAttempts = o.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(o.RetryBaseDelayMs),
                MaxDelay = TimeSpan.FromSeconds(1),
                OnRetry = _ =>
                {
                    metrics.DetectorRetry();
                    return default;
                },
            });
        }

        Pipeline = builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = retryable,
                FailureRatio = o.FailureRatio,
                MinimumThroughput = o.MinimumThroughput,
                SamplingDuration = TimeSpan.FromMilliseconds(o.SamplingDurationMs),
                BreakDuration = TimeSpan.FromMilliseconds(o.BreakDurationMs),
                OnOpened = _ => Set(CircuitState.Open, metrics, logger),
                OnHalfOpened = _ => Set(CircuitState.HalfOpen, metrics, logger),
                OnClosed = _ => Set(CircuitState.Closed, metrics, logger),
            })
            .AddTimeout(TimeSpan.FromMilliseconds(o.DetectTimeoutMs))
            .Build();
    }

    /// <summary>The pipeline detector calls run through.</summary>
    public ResiliencePipeline Pipeline { get; }

    /// <summary>Current circuit state.</summary>
    public CircuitState State => (CircuitState)_state;

    /// <summary>Raised after the circuit changes state.</summary>
    public event Action<CircuitState>? StateChanged;

    /// <summary>gRPC codes worth another attempt: the server was unreachable, overloaded or too slow.</summary>
    public static bool IsRetryable(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;

    private ValueTask Set(CircuitState state, EnhancerMetrics metrics, ILogger logger)
    {
        _state = (int)state;
        metrics.SetCircuit(state);
        Log.Circuit(logger, state);
        StateChanged?.Invoke(state);
        return default;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Detector circuit is now {State}")]
        public static partial void Circuit(ILogger logger, CircuitState state);
    }
}

/// <summary>
/// gRPC client interceptor that runs every unary detector call through <see cref="DetectorResilience.Pipeline"/>
/// (HTTP handlers cannot see gRPC status codes, an interceptor can). Each attempt is a new call whose
/// cancellation is linked to the attempt timeout and to the caller's own token/deadline.
/// </summary>
internal sealed class DetectorResilienceInterceptor(DetectorResilience resilience) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var callerToken = context.Options.CancellationToken;
        var response = resilience.Pipeline.ExecuteAsync(async token =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, callerToken);
            var attempt = new ClientInterceptorContext<TRequest, TResponse>(
                context.Method, context.Host, context.Options.WithCancellationToken(linked.Token));
            using var call = continuation(request, attempt);
            try
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested)
            {
                // The attempt timeout (not the caller) cancelled it: let Polly see a cancellation it owns
                // (-> TimeoutRejectedException, retried and counted by the circuit breaker).
                throw new OperationCanceledException(e.Message, e, token);
            }
        }, callerToken).AsTask();
        return new AsyncUnaryCall<TResponse>(
            response,
            Task.FromResult(new Metadata()),
            () => response.IsCompletedSuccessfully ? Status.DefaultSuccess : new Status(StatusCode.Unknown, "see the call's exception"),
            () => [],
            () => { });
    }
}
