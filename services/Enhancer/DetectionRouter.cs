using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection;
using VideoQuality.Detection.Grpc;
using BlockMask = VideoQuality.Detection.BlockMask;
using VideoQuality.Inference;

namespace VideoQuality.Enhancer;

/// <summary>
/// A stream's recurrent detector state, kept by the enhancer between its frames (the detector keeps nothing between
/// unary calls): handed to the detector with each frame and replaced by the state it returns. Cleared on a size change.
/// </summary>
internal sealed class DetectorStateHolder
{
    public RecurrentState? State { get; set; }
}

/// <summary>A detection the repair acts on, with where it came from and the stream's next detector state.</summary>
internal sealed record RoutedDetection(DetectResponse Response, BlockMask Compression, BlockMask Transmission, DetectionSource Source, long DetectUs,
    RecurrentState? NextState = null);

/// <summary>
/// Detection for the enhancer. With a Detector service configured, each frame goes through
/// <see cref="DetectorResilience.Routing"/>: the remote call first; when it has not answered within the frame's
/// hedging delay (<see cref="HedgePolicy"/>, from the frame's <see cref="DetectionBudget"/>) the in-process detector
/// starts beside it and the first answer wins (<see cref="DetectionSource.LocalHedge"/> when the local one does);
/// when the remote call fails (errors, attempt timeouts) or the circuit is open, detection is in-process
/// (<see cref="DetectionSource.LocalFallback"/>). With no detector configured it is in-process
/// (<see cref="DetectionSource.Local"/>). A detector that rejects the frame (INVALID_ARGUMENT) is the caller's error and
/// is passed on; so is the caller's own cancellation.
/// </summary>
internal sealed partial class DetectionRouter
{
    private static readonly ResiliencePropertyKey<Call> CallKey = new("vq.detection");
    private readonly Contracts.V1.Detector.DetectorClient? _client;
    private readonly ResiliencePipeline<RoutedDetection>? _routing;
    private readonly DetectorResilience? _resilience;
    private readonly HedgePolicy _hedge;
    private readonly EnhancerMetrics _metrics;
    private readonly ILogger<DetectionRouter> _logger;

    public DetectionRouter(IServiceProvider services, IOptions<EnhancerOptions> options, EnhancerMetrics metrics, ILogger<DetectionRouter> logger)
    {
        _metrics = metrics;
        _logger = logger;
        _hedge = new HedgePolicy(options.Value);
        if (options.Value.HasRemote)
        {
            _client = services.GetRequiredService<Contracts.V1.Detector.DetectorClient>();
            _resilience = services.GetRequiredService<DetectorResilience>();
            _routing = _resilience.Routing(
                ctx => ctx.Properties.GetValue(CallKey, null!).HedgeDelay,
                ctx => HedgeAsync(ctx.Properties.GetValue(CallKey, null!), ctx.CancellationToken));
        }
    }

    /// <summary>Detects <paramref name="frame"/> within <paramref name="budget"/> as far as the sources allow; with
    /// <paramref name="state"/> (streams) a recurrent detector continues the stream's state, remote or local alike,
    /// and the holder gets the winning detection's new state.</summary>
    public async Task<RoutedDetection> DetectAsync(DetectorPipeline local, Frame frame, Frame? previous, DetectorStateHolder? state, DetectionBudget budget,
        CancellationToken ct)
    {
        var call = new Call(local, frame, previous, state?.State, state is not null, Stopwatch.GetTimestamp(), ct);
        RoutedDetection result;
        if (_routing is null)
        {
            result = await LocalAsync(call, DetectionSource.Local, ct).ConfigureAwait(false);
        }
        else
        {
            call.HedgeDelay = _hedge.Delay(budget);
            _metrics.SetHedgeDelay(call.HedgeDelay);
            var context = ResilienceContextPool.Shared.Get(ct);
            context.Properties.Set(CallKey, call);
            try
            {
                result = await _routing.ExecuteAsync(static (ctx, s) => s.Router.RemoteAsync(s.Call, ctx.CancellationToken), context, (Router: this, Call: call))
                    .ConfigureAwait(false);
            }
            catch (BrokenCircuitException)
            {
                _metrics.Fallback(_resilience!.OpenedBySlowness ? "circuit_open_slow" : "circuit_open");
                result = await LocalAsync(call, DetectionSource.LocalFallback, ct).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }

            if (call.Hedged)
            {
                _metrics.Hedged(result.Source == DetectionSource.Remote ? "remote" : "local");
            }
        }

        if (state is not null)
        {
            state.State = result.NextState;
        }

        _metrics.Detected(result.Source switch
        {
            DetectionSource.Remote => "remote",
            DetectionSource.LocalHedge => "local_hedge",
            DetectionSource.Local => "local",
            _ => "local_fallback",
        });
        if (result.DetectUs > budget.Ms * 1000)
        {
            _metrics.BudgetExceeded(budget.Basis);
        }

        return result;
    }

    private async ValueTask<RoutedDetection> RemoteAsync(Call call, CancellationToken token)
    {
        long t0 = Stopwatch.GetTimestamp();
        try
        {
            var request = new DetectRequest { Frame = call.Frame, PreviousFrame = call.Previous, State = call.State?.ToProto(), ReturnState = call.WantState };
            var response = await _client!.DetectAsync(request, cancellationToken: token).ConfigureAwait(false);
            _hedge.RemoteAnswered(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            var next = response.State.ToRecurrentState();
            response.State = null; // internal to the enhancer: not echoed to its caller
            return new RoutedDetection(response, response.CompressionMask.ToBlockMask(), response.TransmissionMask.ToBlockMask(),
                DetectionSource.Remote, StageClock.Micros(call.Started), next);
        }
        catch (Exception) when (token.IsCancellationRequested && !call.CallerToken.IsCancellationRequested)
        {
            // Lost the race: the in-process detection answered first and hedging cancelled this call.
            _hedge.RemoteAbandoned(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            throw;
        }
        catch (Exception ex) when (DetectorResilience.IsFallbackReason(ex) && !call.CallerToken.IsCancellationRequested)
        {
            call.RemoteFailed = true;
            Log.Fallback(_logger, ex.GetType().Name, ex.Message);
            _metrics.Fallback(ex switch
            {
                TimeoutRejectedException => "timeout",
                RpcException r => r.StatusCode.ToString(),
                _ => "other",
            });
            throw;
        }
    }

    /// <summary>The in-process detection hedging starts: late remote call (a hedge) or failed one (a fallback).</summary>
    private async ValueTask<Outcome<RoutedDetection>> HedgeAsync(Call call, CancellationToken token)
    {
        call.Hedged = !call.RemoteFailed;
        try
        {
            var result = await LocalAsync(call, DetectionSource.LocalHedge, token).ConfigureAwait(false);
            return Outcome.FromResult(call.RemoteFailed ? result with { Source = DetectionSource.LocalFallback } : result);
        }
        catch (Exception ex)
        {
            return Outcome.FromException<RoutedDetection>(ex);
        }
    }

    private async Task<RoutedDetection> LocalAsync(Call call, DetectionSource source, CancellationToken ct)
    {
        long t0 = Stopwatch.GetTimestamp();
        var result = await call.Local.DetectAsync(call.Frame.ToRawFrame(), call.Previous?.ToRawFrame(), call.State, call.WantState, ct).ConfigureAwait(false);
        _hedge.LocalAnswered(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        var routed = result.ToResponse(call.Frame.StreamId, call.Frame.Sequence, call.Frame.TimestampUs);
        routed.State = null;
        return new RoutedDetection(routed, result.CompressionMask, result.TransmissionMask, source, StageClock.Micros(call.Started), result.NextState);
    }

    /// <summary>One frame's detection, shared by the remote call and the hedge.</summary>
    private sealed class Call(DetectorPipeline local, Frame frame, Frame? previous, RecurrentState? state, bool wantState, long started, CancellationToken callerToken)
    {
        public DetectorPipeline Local { get; } = local;

        public Frame Frame { get; } = frame;

        public Frame? Previous { get; } = previous;

        public RecurrentState? State { get; } = state;

        public bool WantState { get; } = wantState;

        public long Started { get; } = started;

        public CancellationToken CallerToken { get; } = callerToken;

        public TimeSpan HedgeDelay { get; set; }

        /// <summary>The remote call failed (its hedge is a fallback, not a race).</summary>
        public volatile bool RemoteFailed;

        /// <summary>The in-process detection was started while the remote call was still running.</summary>
        public volatile bool Hedged;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Detector call failed ({Kind}: {Reason}); detecting in-process")]
        public static partial void Fallback(ILogger logger, string kind, string reason);
    }
}
