using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection.Grpc;
using VideoQuality.Media;
using VideoQuality.Detection;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Models;
using VideoQuality.ServiceDefaults.Streams;

namespace VideoQuality.Detector;

/// <summary>The videoquality.v1.Detector gRPC service: maps requests to the in-process pipeline.</summary>
internal sealed class DetectorService(
    ModelHolder<DetectorPipeline> model,
    DetectorMetrics metrics,
    IOptions<StreamsOptions> streams,
    DetectorAlarms alarms,
    ILogger<StreamSession> streamLogger,
    IHostApplicationLifetime lifetime) : Contracts.V1.Detector.DetectorBase
{
    /// <inheritdoc />
    public override async Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context)
    {
        long t0 = Stopwatch.GetTimestamp();
        var pipeline = model.GetReady();
        if (request.Frame is null)
        {
            throw new FrameFormatException("frame is required");
        }

        var result = await pipeline.DetectAsync(request.Frame.ToRawFrame(), request.PreviousFrame?.ToRawFrame(), request.State.ToRecurrentState(),
            request.ReturnState, context.CancellationToken).ConfigureAwait(false);
        metrics.Processed("unary", request.Frame.StreamId, result, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        return result.ToResponse(request.Frame.StreamId, request.Frame.Sequence, request.Frame.TimestampUs);
    }

    /// <inheritdoc />
    public override async Task DetectStream(IAsyncStreamReader<DetectStreamRequest> requestStream, IServerStreamWriter<DetectResponse> responseStream, ServerCallContext context)
    {
        var pipeline = model.GetReady();
        metrics.StreamStarted();
        try
        {
            var session = new StreamSession(pipeline, metrics, alarms, streams.Value, streamLogger, lifetime.ApplicationStopping);
            await session.RunAsync(requestStream, responseStream, context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            metrics.StreamEnded();
        }
    }
}
