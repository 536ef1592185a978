using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Hedging;
using Polly.Retry;
using Polly.Timeout;
using VideoQuality.Contracts.V1;

namespace VideoQuality.Enhancer;

/// <summary>State of the circuit in front of the detector.</summary>
internal enum CircuitState
{
    Closed = 0,
    HalfOpen = 1,
    Open = 2,
}

/// <summary>
/// The Polly pipelines in front of the Detector service (one per host, so the circuit's state is shared by all calls).
/// <list type="bullet">
/// <item><see cref="Pipeline"/>, around each gRPC call (<see cref="DetectorResilienceInterceptor"/>): retry with jittered
/// exponential backoff (retryable codes only) -> per-attempt timeout.</item>
/// <item><see cref="Routing"/>, around each detection (<see cref="DetectionRouter"/>): circuit breaker -> hedging.
/// Hedging runs the remote call and, when it has not answered within the frame's hedging delay (or failed), the
/// in-process detection beside it; the first answer wins and the other is cancelled. The breaker counts a detection
/// as failed when the remote call failed or lost the race, so sustained slowness opens the circuit as errors do.
/// While it is open, detection is in-process at once (<see cref="BrokenCircuitException"/>); after the break one trial
/// call goes through (half-open) and a remote answer closes the circuit again.</item>
/// </list>
/// </summary>
internal sealed partial class DetectorResilience
{
    private readonly EnhancerOptions _options;
    private readonly EnhancerMetrics _metrics;
    private readonly ILogger<DetectorResilience> _logger;
    private volatile int _state;
    private volatile bool _openedBySlowness;

    public DetectorResilience(IOptions<EnhancerOptions> options, EnhancerMetrics metrics, ILogger<DetectorResilience> logger)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        var o = options.Value;
        var builder = new ResiliencePipelineBuilder();
        if (o.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<RpcException>(e => IsRetryable(e.StatusCode))
                    .Handle<TimeoutRejectedException>(),
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

        Pipeline = builder.AddTimeout(TimeSpan.FromMilliseconds(o.DetectTimeoutMs)).Build();
    }

    /// <summary>The pipeline each detector gRPC call runs through.</summary>
    public ResiliencePipeline Pipeline { get; }

    /// <summary>Current circuit state.</summary>
    public CircuitState State => (CircuitState)_state;

    /// <summary>Whether the circuit last opened because the detector was late rather than failing.</summary>
    public bool OpenedBySlowness => _openedBySlowness;

    /// <summary>Raised after the circuit changes state.</summary>
    public event Action<CircuitState>? StateChanged;

    /// <summary>gRPC codes worth another attempt: the server was unreachable, overloaded or too slow.</summary>
    public static bool IsRetryable(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;

    /// <summary>Failures of the remote call after which in-process detection takes over: everything but the caller's
    /// own error (INVALID_ARGUMENT) and cancellation.</summary>
    public static bool IsFallbackReason(Exception ex) => ex switch
    {
        BrokenCircuitException or TimeoutRejectedException => true,
        RpcException r => r.StatusCode is not (StatusCode.InvalidArgument or StatusCode.Cancelled),
        _ => false,
    };

    /// <summary>
    /// The per-detection pipeline: breaker -> hedging. <paramref name="hedgeDelay"/> gives each call's hedging delay,
    /// <paramref name="hedge"/> is the in-process detection started beside (or after) the remote call.
    /// </summary>
    public ResiliencePipeline<RoutedDetection> Routing(
        Func<ResilienceContext, TimeSpan> hedgeDelay, Func<ResilienceContext, ValueTask<Outcome<RoutedDetection>>> hedge) =>
        new ResiliencePipelineBuilder<RoutedDetection>()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<RoutedDetection>
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is { } e
                    ? IsFallbackReason(e)
                    : args.Outcome.Result is { Source: not DetectionSource.Remote }),
                FailureRatio = _options.FailureRatio,
                MinimumThroughput = _options.MinimumThroughput,
                SamplingDuration = TimeSpan.FromMilliseconds(_options.SamplingDurationMs),
                BreakDuration = TimeSpan.FromMilliseconds(_options.BreakDurationMs),
                OnOpened = args =>
                {
                    _openedBySlowness = args.Outcome.Result is { Source: DetectionSource.LocalHedge };
                    return Set(CircuitState.Open);
                },
                OnHalfOpened = _ => Set(CircuitState.HalfOpen),
                OnClosed = _ => Set(CircuitState.Closed),
            })
            .AddHedging(new HedgingStrategyOptions<RoutedDetection>
            {
                MaxHedgedAttempts = 1,
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is { } e && IsFallbackReason(e)),
                DelayGenerator = args => new ValueTask<TimeSpan>(hedgeDelay(args.Context)),
                ActionGenerator = args => () => hedge(args.ActionContext),
            })
            .Build();

    private ValueTask Set(CircuitState state)
    {
        _state = (int)state;
        _metrics.SetCircuit(state);
        Log.Circuit(_logger, state, state == CircuitState.Open && _openedBySlowness ? " (detector too slow)" : string.Empty);
        StateChanged?.Invoke(state);
        return default;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Detector circuit is now {State}{Why}")]
        public static partial void Circuit(ILogger logger, CircuitState state, string why);
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
