using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;
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

/// <summary>A detection the repair acts on, with where it came from.</summary>
internal sealed record RoutedDetection(DetectResponse Response, BlockMask Compression, BlockMask Transmission, DetectionSource Source, long DetectUs);

/// <summary>
/// Detection for the enhancer: the Detector service (through the resilient client) when configured and reachable;
/// otherwise — circuit open, retries exhausted, attempt timeouts — the in-process detector on CPU, flagged
/// <see cref="DetectionSource.LocalFallback"/>. A detector that rejects the frame (INVALID_ARGUMENT) is the caller's
/// error and is passed on; so is the caller's own cancellation.
/// </summary>
internal sealed partial class DetectionRouter(
    IServiceProvider services,
    IOptions<EnhancerOptions> options,
    EnhancerMetrics metrics,
    ILogger<DetectionRouter> logger)
{
    private readonly Contracts.V1.Detector.DetectorClient? _client =
        options.Value.HasRemote ? services.GetRequiredService<Contracts.V1.Detector.DetectorClient>() : null;

    /// <summary>Detects <paramref name="frame"/>; with <paramref name="state"/> (streams) a recurrent detector continues
    /// the stream's state, remote or local alike, and the holder gets the frame's new state.</summary>
    public async Task<RoutedDetection> DetectAsync(DetectorPipeline local, Frame frame, Frame? previous, DetectorStateHolder? state, CancellationToken ct)
    {
        long t0 = Stopwatch.GetTimestamp();
        if (_client is not null)
        {
            try
            {
                var request = new DetectRequest { Frame = frame, PreviousFrame = previous, State = state?.State?.ToProto(), ReturnState = state is not null };
                var response = await _client.DetectAsync(request, cancellationToken: ct).ConfigureAwait(false);
                metrics.Detected("remote");
                if (state is not null)
                {
                    state.State = response.State.ToRecurrentState();
                    response.State = null; // internal to the enhancer: not echoed to its caller
                }

                return new RoutedDetection(response, response.CompressionMask.ToBlockMask(), response.TransmissionMask.ToBlockMask(),
                    DetectionSource.Remote, StageClock.Micros(t0));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && IsFallbackReason(ex))
            {
                Log.Fallback(logger, ex.GetType().Name, ex.Message);
                metrics.Fallback(FallbackReason(ex));
            }
        }

        var result = await local.DetectAsync(frame.ToRawFrame(), previous?.ToRawFrame(), state?.State, state is not null, ct).ConfigureAwait(false);
        if (state is not null)
        {
            state.State = result.NextState;
        }

        metrics.Detected(_client is null ? "local" : "local_fallback");
        var routed = result.ToResponse(frame.StreamId, frame.Sequence, frame.TimestampUs);
        routed.State = null;
        return new RoutedDetection(routed, result.CompressionMask,
            result.TransmissionMask, DetectionSource.LocalFallback, StageClock.Micros(t0));
    }

    private static bool IsFallbackReason(Exception ex) => ex switch
    {
        BrokenCircuitException or TimeoutRejectedException => true,
        RpcException r => r.StatusCode is not (StatusCode.InvalidArgument or StatusCode.Cancelled),
        _ => false,
    };

    private static string FallbackReason(Exception ex) => ex switch
    {
        BrokenCircuitException => "circuit_open",
        TimeoutRejectedException => "timeout",
        RpcException r => r.StatusCode.ToString(),
        _ => "other",
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Detector call failed ({Kind}: {Reason}); detecting in-process")]
        public static partial void Fallback(ILogger logger, string kind, string reason);
    }
}
