using Grpc.Core;
using Microsoft.Extensions.Options;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection.Grpc;
using VideoQuality.Media;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Streams;

namespace VideoQuality.Enhancer;

/// <summary>The videoquality.v1.Enhancer gRPC service: maps requests to <see cref="FrameEnhancer"/>.</summary>
internal sealed class EnhancerService(
    FrameEnhancer enhancer,
    EnhancerState state,
    EnhancerMetrics metrics,
    IOptions<StreamsOptions> streams,
    IOptions<EnhancerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<EnhancerService> logger) : Contracts.V1.Enhancer.EnhancerBase
{
    /// <inheritdoc />
    public override async Task<EnhanceResponse> Enhance(EnhanceRequest request, ServerCallContext context)
    {
        return await enhancer.EnhanceAsync("unary", request.Frame, request.PreviousFrame, null, null,
            FrameEnhancer.OutputFormat(request.OutputFormat), FrameEnhancer.JpegQuality(request.JpegQuality),
            DetectionBudget.For(options.Value, null, context.Deadline), context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One EnhanceStream call on the shared <see cref="StreamPump{TItem,TResult}"/> (queue modes, drops, bad frames and
    /// shutdown are its): frames are repaired one at a time in order with the stream's history (previous input for
    /// detection, previous repaired frame for concealment, the frame interval of the timestamps read so far for the
    /// detection budget) and one response per frame is written in order.
    /// </summary>
    public override async Task EnhanceStream(IAsyncStreamReader<EnhanceStreamRequest> requestStream, IServerStreamWriter<EnhanceResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (repairer, _) = state.GetReady();
        if (!await requestStream.MoveNext(ct).ConfigureAwait(false))
        {
            return;
        }

        metrics.StreamStarted();
        try
        {
            var first = requestStream.Current;
            var config = first.Config ?? new StreamConfig();
            var queue = streams.Value.QueueFor((int)config.Mode, config.QueueCapacity) ?? throw new FrameFormatException($"unknown stream mode {(int)config.Mode}");
            var output = FrameEnhancer.OutputFormat(first.OutputFormat);
            int jpegQuality = FrameEnhancer.JpegQuality(first.JpegQuality);
            var interval = new FrameInterval();
            var history = repairer.CreateStream(config.StreamId);
            var detectorState = new DetectorStateHolder();
            Frame? previous = null;
            StreamPump<Frame, EnhanceResponse>? pump = null;
            pump = new StreamPump<Frame, EnhanceResponse>(queue, metrics, logger, lifetime.ApplicationStopping)
            {
                Observe = frame => interval.Observe(frame.TimestampUs),
                OnFrameFailed = ContractMapping.InSequence,
                Start = (pumped, token) =>
                {
                    var frame = pumped.Item;
                    if (previous is not null && (previous.Width != frame.Width || previous.Height != frame.Height))
                    {
                        previous = null; // size change: no temporal context
                        history.Reset();
                        detectorState.State = null;
                    }

                    return ValueTask.FromResult(enhancer.EnhanceAsync("stream", frame, previous, history, detectorState, output, jpegQuality,
                        DetectionBudget.For(options.Value, interval.Ms, context.Deadline), token));
                },
                Write = async (pumped, response, token) =>
                {
                    if (response.Frame.StreamId.Length == 0)
                    {
                        response.Frame.StreamId = config.StreamId;
                    }

                    response.DroppedFrames = (ulong)pump!.Dropped;
                    await responseStream.WriteAsync(response, token).ConfigureAwait(false);
                    previous = pumped.Item;
                },
            };
            await pump.RunAsync(first, requestStream, static r => r.Frame, config.StreamId, ct).ConfigureAwait(false);
        }
        finally
        {
            metrics.StreamEnded();
        }
    }
}
