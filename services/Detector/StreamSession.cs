using System.Diagnostics;
using Grpc.Core;
using VideoQuality.Alarms;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection;
using VideoQuality.Detection.Grpc;
using VideoQuality.Media;
using VideoQuality.ServiceDefaults.Streams;

namespace VideoQuality.Detector;

/// <summary>
/// One DetectStream call on the shared <see cref="StreamPump{TItem,TResult}"/> (queue modes, drops, bad frames and
/// shutdown are its): each frame is prepared in order with the stream's history, up to the model's concurrency of them
/// run at once (each frame's temporal context is fixed when it is prepared, so overlapping runs give the same results),
/// and one response per frame is written in order, with the drop counts, metrics and alarm windows.
/// </summary>
internal sealed partial class StreamSession(DetectorPipeline pipeline, DetectorMetrics metrics, DetectorAlarms alarms, StreamsOptions options, ILogger<StreamSession> logger, CancellationToken stopping)
{
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private long _written;
    private long _reported;

    public async Task RunAsync(IAsyncStreamReader<DetectStreamRequest> requests, IServerStreamWriter<DetectResponse> responses, CancellationToken callToken)
    {
        if (!await requests.MoveNext(callToken).ConfigureAwait(false))
        {
            return;
        }

        var first = requests.Current;
        var config = first.Config ?? new StreamConfig();
        var queue = options.QueueFor((int)config.Mode, config.QueueCapacity) ?? throw new FrameFormatException($"unknown stream mode {(int)config.Mode}");
        var history = pipeline.CreateStream(config.StreamId);
        Log.Started(logger, config.StreamId, queue.Mode, queue.Capacity);
        using var alarm = alarms.Open(config.StreamId.Length > 0 ? config.StreamId : first.Frame?.StreamId ?? string.Empty);
        StreamPump<Frame, DetectionResult>? pump = null;
        pump = new StreamPump<Frame, DetectionResult>(queue, metrics, logger, stopping)
        {
            Concurrency = pipeline.Session.Concurrency,
            OnFrameFailed = ContractMapping.InSequence,
            Start = async (frame, token) =>
            {
                var pending = await pipeline.BeginAsync(history, frame.Item.ToRawFrame(), token).ConfigureAwait(false);
                return Task.Run(pending.Run, CancellationToken.None);
            },
            Write = (frame, result, token) => WriteAsync(responses, frame, result, pump!.Dropped, config.StreamId, alarm, token),
        };
        await pump.RunAsync(first, requests, static r => r.Frame, config.StreamId, callToken).ConfigureAwait(false);
        Log.Finished(logger, config.StreamId, history.FramesDetected, pump.Dropped);
    }

    private async Task WriteAsync(IServerStreamWriter<DetectResponse> responses, Pumped<Frame> pumped, DetectionResult result, long dropped, string defaultStreamId, StreamAlarm? alarm, CancellationToken token)
    {
        var frame = pumped.Item;
        long queueUs = pumped.QueueMicros;
        string streamId = frame.StreamId.Length > 0 ? frame.StreamId : defaultStreamId;
        var response = result.ToResponse(streamId, frame.Sequence, frame.TimestampUs, queueUs);
        response.DroppedFrames = (ulong)dropped;
        response.DroppedSinceLast = (uint)(dropped - _reported);
        _reported = dropped;
        await responses.WriteAsync(response, token).ConfigureAwait(false);
        metrics.Processed("stream", streamId, result, Stopwatch.GetElapsedTime(pumped.EnqueuedAt).TotalSeconds, queueUs);
        alarm?.Observe(AlarmSampleOf(frame, pumped.EnqueuedAt, result), result.Model.Version);
        _written++;
    }

    /// <summary>The frame for the alarm windows: its sequence and timestamp_us, or, for a sender that sets neither, its
    /// index in the call and its arrival time at the service.</summary>
    private AlarmSample AlarmSampleOf(Frame frame, long enqueuedAt, DetectionResult result)
    {
        long number = frame.Sequence != 0 ? (long)frame.Sequence : _written;
        long us = frame.TimestampUs != 0 ? (long)frame.TimestampUs : (long)Stopwatch.GetElapsedTime(_startedAt, enqueuedAt).TotalMicroseconds;
        return new AlarmSample(number, us, result.Severity, result.Class.ToVqbenchName());
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Stream '{StreamId}' started: mode {Mode}, queue {Capacity}")]
        public static partial void Started(ILogger logger, string streamId, StreamQueueMode mode, int capacity);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Stream '{StreamId}' finished: {Frames} frames detected, {Dropped} dropped")]
        public static partial void Finished(ILogger logger, string streamId, long frames, long dropped);
    }
}
