using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Options;
using VideoQuality.Contracts.V1;
using VideoQuality.Media;
using VideoQuality.ServiceDefaults;

namespace VideoQuality.Enhancer;

/// <summary>The videoquality.v1.Enhancer gRPC service: maps requests to <see cref="FrameEnhancer"/>.</summary>
internal sealed class EnhancerService(
    FrameEnhancer enhancer,
    EnhancerState state,
    EnhancerMetrics metrics,
    IOptions<EnhanceStreamsOptions> streams,
    IOptions<EnhancerOptions> options,
    IHostApplicationLifetime lifetime) : Contracts.V1.Enhancer.EnhancerBase
{
    /// <inheritdoc />
    public override async Task<EnhanceResponse> Enhance(EnhanceRequest request, ServerCallContext context)
    {
        return await enhancer.EnhanceAsync("unary", request.Frame, request.PreviousFrame, null, null,
            FrameEnhancer.OutputFormat(request.OutputFormat), FrameEnhancer.JpegQuality(request.JpegQuality),
            DetectionBudget.For(options.Value, null, context.Deadline), context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One EnhanceStream call: a reader moves frames into a bounded queue (live: a full queue drops its oldest
    /// frame; lossless: the reader waits, so HTTP/2 flow control pushes back), a worker repairs them one at a time
    /// in order with the stream's history (previous input for detection, previous repaired frame for concealment)
    /// and writes one response per frame, in order. A bad frame ends the call with INVALID_ARGUMENT. When the host stops
    /// (SIGTERM) the reader stops taking frames, the queued ones are answered, and the call ends with UNAVAILABLE
    /// "server shutting down".
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
            var mode = config.Mode == StreamMode.Unspecified ? streams.Value.DefaultMode : config.Mode;
            if (mode is not (StreamMode.Live or StreamMode.Lossless))
            {
                throw new FrameFormatException($"unknown stream mode {(int)mode}");
            }

            var output = FrameEnhancer.OutputFormat(first.OutputFormat);
            int jpegQuality = FrameEnhancer.JpegQuality(first.JpegQuality);
            int capacity = config.QueueCapacity == 0 ? streams.Value.QueueCapacity : (int)Math.Min(config.QueueCapacity, EnhanceStreamsOptions.MaxQueueCapacity);
            long dropped = 0;
            var queue = Channel.CreateBounded<Frame>(
                new BoundedChannelOptions(capacity)
                {
                    SingleReader = true,
                    SingleWriter = true,
                    FullMode = mode == StreamMode.Live ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
                },
                _ =>
                {
                    Interlocked.Increment(ref dropped);
                    metrics.Dropped();
                    metrics.Queued(-1);
                });

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var stopping = lifetime.ApplicationStopping;
            bool shuttingDown = false;
            var interval = new FrameInterval();
            var reader = Task.Run(async () =>
            {
                using var read = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, stopping);
                try
                {
                    if (first.Frame is not null)
                    {
                        interval.Observe(first.Frame.TimestampUs);
                        await queue.Writer.WriteAsync(first.Frame, read.Token).ConfigureAwait(false);
                        metrics.Queued(1);
                    }

                    while (await requestStream.MoveNext(read.Token).ConfigureAwait(false))
                    {
                        if (requestStream.Current.Frame is { } f)
                        {
                            interval.Observe(f.TimestampUs);
                            await queue.Writer.WriteAsync(f, read.Token).ConfigureAwait(false);
                            metrics.Queued(1);
                        }
                    }

                    queue.Writer.TryComplete();
                }
                catch (Exception) when (stopping.IsCancellationRequested && !cts.IsCancellationRequested)
                {
                    // Host stopping (whatever the aborted read threw): stop taking frames; the queued ones are answered
                    // below, then UNAVAILABLE.
                    shuttingDown = true;
                    queue.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    queue.Writer.TryComplete(ex);
                }
            }, CancellationToken.None);

            var history = repairer.CreateStream(config.StreamId);
            var detectorState = new DetectorStateHolder();
            Frame? previous = null;
            try
            {
                await foreach (var frame in queue.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
                {
                    metrics.Queued(-1);
                    if (previous is not null && (previous.Width != frame.Width || previous.Height != frame.Height))
                    {
                        previous = null; // size change: no temporal context
                        history.Reset();
                        detectorState.State = null;
                    }

                    EnhanceResponse response;
                    try
                    {
                        response = await enhancer.EnhanceAsync("stream", frame, previous, history, detectorState, output, jpegQuality,
                            DetectionBudget.For(options.Value, interval.Ms, context.Deadline), cts.Token).ConfigureAwait(false);
                    }
                    catch (FrameFormatException ex)
                    {
                        throw new FrameFormatException($"frame sequence {frame.Sequence}: {ex.Message}", ex);
                    }

                    if (response.Frame.StreamId.Length == 0)
                    {
                        response.Frame.StreamId = config.StreamId;
                    }

                    response.DroppedFrames = (ulong)Interlocked.Read(ref dropped);
                    await responseStream.WriteAsync(response, cts.Token).ConfigureAwait(false);
                    previous = frame;
                }
            }
            finally
            {
                await cts.CancelAsync().ConfigureAwait(false);
                await reader.ConfigureAwait(false);
                metrics.Queued(-queue.Reader.Count);
            }

            if (shuttingDown)
            {
                RpcErrors.ShuttingDown();
            }
        }
        finally
        {
            metrics.StreamEnded();
        }
    }
}
