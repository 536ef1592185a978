using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using VideoQuality.Alarms;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection;
using VideoQuality.Detection.Grpc;
using VideoQuality.Inference;
using VideoQuality.Media;
using VideoQuality.ServiceDefaults;

namespace VideoQuality.Detector;

/// <summary>
/// One DetectStream call: a reader that moves incoming frames into a bounded queue and a worker that prepares
/// them in order with the stream's history, runs up to the model's concurrency of them at once (each frame's
/// temporal context is fixed when it is prepared, so overlapping runs give the same results), and writes one
/// response per processed frame, in order.
/// Live mode: a full queue drops its oldest frame (counted, reported in the next response and in metrics).
/// Lossless mode: a full queue stops the reader, so HTTP/2 flow control pushes back on the client.
/// A bad frame ends this call with INVALID_ARGUMENT; other calls are unaffected.
/// Host stopping (<paramref name="stopping"/>, SIGTERM): the reader stops taking frames, the frames already queued are
/// answered, and the call ends with UNAVAILABLE "server shutting down".
/// </summary>
internal sealed partial class StreamSession(DetectorPipeline pipeline, DetectorMetrics metrics, DetectorAlarms alarms, StreamsOptions options, ILogger<StreamSession> logger, CancellationToken stopping)
{
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private long _dropped;
    private long _written;
    private volatile bool _shuttingDown;

    public async Task RunAsync(IAsyncStreamReader<DetectStreamRequest> requests, IServerStreamWriter<DetectResponse> responses, CancellationToken callToken)
    {
        if (!await requests.MoveNext(callToken).ConfigureAwait(false))
        {
            return;
        }

        var first = requests.Current;
        var config = first.Config ?? new StreamConfig();
        var mode = config.Mode == StreamMode.Unspecified ? options.DefaultMode : config.Mode;
        if (mode is not (StreamMode.Live or StreamMode.Lossless))
        {
            throw new FrameFormatException($"unknown stream mode {(int)mode}");
        }

        int capacity = config.QueueCapacity == 0 ? options.QueueCapacity : (int)Math.Min(config.QueueCapacity, StreamsOptions.MaxQueueCapacity);
        var channelOptions = new BoundedChannelOptions(capacity)
        {
            SingleReader = false, // the worker may hold a pending WaitToReadAsync while it calls TryRead
            SingleWriter = true,
            FullMode = mode == StreamMode.Live ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
        };
        var channel = Channel.CreateBounded<Queued>(channelOptions, _ =>
        {
            Interlocked.Increment(ref _dropped);
            metrics.Dropped();
            metrics.Queued(-1);
        });

        var history = pipeline.CreateStream(config.StreamId);
        Log.Started(logger, config.StreamId, mode, capacity);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        Exception? readError = null;
        var reader = ReadAsync(first, requests, channel.Writer, cts, e => readError = e);
        using var alarm = alarms.Open(config.StreamId.Length > 0 ? config.StreamId : first.Frame?.StreamId ?? string.Empty);
        try
        {
            await ProcessAsync(channel.Reader, responses, history, config.StreamId, alarm, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (readError is not null)
        {
            // The reader failed first (oversize message, transport error); report its error below.
        }
        catch
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
            metrics.Queued(-channel.Reader.Count);
            throw;
        }

        await reader.ConfigureAwait(false);
        metrics.Queued(-channel.Reader.Count);
        if (readError is not null)
        {
            throw readError;
        }

        if (_shuttingDown)
        {
            Log.Drained(logger, config.StreamId, history.FramesDetected);
            RpcErrors.ShuttingDown();
        }

        Log.Finished(logger, config.StreamId, history.FramesDetected, Interlocked.Read(ref _dropped));
    }

    private async Task ReadAsync(DetectStreamRequest first, IAsyncStreamReader<DetectStreamRequest> requests, ChannelWriter<Queued> writer, CancellationTokenSource cts, Action<Exception> onError)
    {
        await Task.Yield();
        using var read = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, stopping);
        try
        {
            if (first.Frame is not null)
            {
                await writer.WriteAsync(new Queued(first.Frame, Stopwatch.GetTimestamp()), read.Token).ConfigureAwait(false);
                metrics.Queued(1);
            }

            while (await requests.MoveNext(read.Token).ConfigureAwait(false))
            {
                var frame = requests.Current.Frame;
                if (frame is not null)
                {
                    await writer.WriteAsync(new Queued(frame, Stopwatch.GetTimestamp()), read.Token).ConfigureAwait(false);
                    metrics.Queued(1);
                }
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested && !cts.IsCancellationRequested)
        {
            // Host stopping, whatever the aborted read threw.
            _shuttingDown = true; // stop taking frames; the worker answers those queued, then the call ends UNAVAILABLE
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Cancelled by the worker's failure or by the client; the caller reports the reason.
        }
        catch (Exception ex)
        {
            onError(ex);
            await cts.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }

    /// <summary>
    /// Takes frames in order, prepares each one with the stream history (in order), runs up to the model's
    /// concurrency of them at once, and writes the responses in frame order.
    /// </summary>
    private async Task ProcessAsync(ChannelReader<Queued> queue, IServerStreamWriter<DetectResponse> responses, DetectionStream history, string defaultStreamId, StreamAlarm? alarm, CancellationToken token)
    {
        int maxInFlight = Math.Max(1, pipeline.Session.Concurrency);
        var inFlight = new Queue<(Task<DetectionResult> Task, Frame Frame, long EnqueuedAt, long QueueUs)>();
        long reported = 0;
        Task<bool>? waitForFrame = null;
        try
        {
            while (true)
            {
                while (inFlight.Count < maxInFlight && queue.TryRead(out var item))
                {
                    metrics.Queued(-1);
                    inFlight.Enqueue(await StartAsync(item).ConfigureAwait(false));
                }

                while (inFlight.Count > 0 && inFlight.Peek().Task.IsCompleted)
                {
                    await WriteHeadAsync().ConfigureAwait(false);
                }

                if (inFlight.Count >= maxInFlight)
                {
                    await WriteHeadAsync().ConfigureAwait(false);
                    continue;
                }

                // Wait for the next frame, or for the oldest running frame to finish, whichever comes first.
                waitForFrame ??= queue.WaitToReadAsync(token).AsTask();
                if (inFlight.Count > 0 && await Task.WhenAny(inFlight.Peek().Task, waitForFrame).ConfigureAwait(false) != waitForFrame)
                {
                    continue;
                }

                bool more = await waitForFrame.ConfigureAwait(false);
                waitForFrame = null;
                if (!more)
                {
                    break;
                }
            }

            while (inFlight.Count > 0)
            {
                await WriteHeadAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // On failure, let runs that already started finish so their slots return to the pool.
            foreach (var (task, _, _, _) in inFlight)
            {
                await task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        async Task<(Task<DetectionResult>, Frame, long, long)> StartAsync(Queued item)
        {
            var frame = item.Frame;
            long queueUs = StageClock.Micros(item.EnqueuedAt);
            DetectorPipeline.PendingDetection pending;
            try
            {
                pending = await pipeline.BeginAsync(history, frame.ToRawFrame(), token).ConfigureAwait(false);
            }
            catch (FrameFormatException ex)
            {
                throw new FrameFormatException($"frame sequence {frame.Sequence}: {ex.Message}", ex);
            }

            return (Task.Run(pending.Run, CancellationToken.None), frame, item.EnqueuedAt, queueUs);
        }

        async Task WriteHeadAsync()
        {
            var (task, frame, enqueuedAt, queueUs) = inFlight.Dequeue();
            var result = await task.ConfigureAwait(false);
            long dropped = Interlocked.Read(ref _dropped);
            string streamId = frame.StreamId.Length > 0 ? frame.StreamId : defaultStreamId;
            var response = result.ToResponse(streamId, frame.Sequence, frame.TimestampUs, queueUs);
            response.DroppedFrames = (ulong)dropped;
            response.DroppedSinceLast = (uint)(dropped - reported);
            reported = dropped;
            await responses.WriteAsync(response, token).ConfigureAwait(false);
            metrics.Processed("stream", streamId, result, Stopwatch.GetElapsedTime(enqueuedAt).TotalSeconds, queueUs);
            alarm?.Observe(AlarmSampleOf(frame, enqueuedAt, result), result.Model.Version);
            _written++;
        }
    }

    /// <summary>The frame for the alarm windows: its sequence and timestamp_us, or, for a sender that sets neither, its
    /// index in the call and its arrival time at the service.</summary>
    private AlarmSample AlarmSampleOf(Frame frame, long enqueuedAt, DetectionResult result)
    {
        long number = frame.Sequence != 0 ? (long)frame.Sequence : _written;
        long us = frame.TimestampUs != 0 ? (long)frame.TimestampUs : StageClock.Micros(_startedAt, enqueuedAt);
        return new AlarmSample(number, us, result.Severity, result.Class.ToVqbenchName());
    }

    private readonly record struct Queued(Frame Frame, long EnqueuedAt);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Stream '{StreamId}' started: mode {Mode}, queue {Capacity}")]
        public static partial void Started(ILogger logger, string streamId, StreamMode mode, int capacity);

        [LoggerMessage(Level = LogLevel.Information, Message = "Stream '{StreamId}' drained for shutdown after {Frames} frames; ending it with UNAVAILABLE")]
        public static partial void Drained(ILogger logger, string streamId, long frames);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Stream '{StreamId}' finished: {Frames} frames detected, {Dropped} dropped")]
        public static partial void Finished(ILogger logger, string streamId, long frames, long dropped);
    }
}
