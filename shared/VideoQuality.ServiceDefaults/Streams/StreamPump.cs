using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace VideoQuality.ServiceDefaults.Streams;

/// <summary>A frame taken from a stream's queue: when it was read from the call and when it left the queue.</summary>
public readonly record struct Pumped<TItem>(TItem Item, long EnqueuedAt, long DequeuedAt)
{
    /// <summary>Microseconds the frame waited in the queue.</summary>
    public long QueueMicros => (long)Stopwatch.GetElapsedTime(EnqueuedAt, DequeuedAt).TotalMicroseconds;
}

/// <summary>
/// The one stream loop of the services (DetectStream, EnhanceStream): a reader moves the frames of a call into a
/// bounded queue and a worker takes them in order, starts up to <see cref="Concurrency"/> of them at once
/// (<see cref="Start"/> runs in frame order, so it may use the stream's history; the work it returns may overlap) and
/// writes one answer per frame, in frame order (<see cref="Write"/>).
/// <list type="bullet">
/// <item>Live mode: a full queue drops its oldest frame, counted in <see cref="Dropped"/> and in the metrics.</item>
/// <item>Lossless mode: a full queue stops the reader, so HTTP/2 flow control pushes back on the client.</item>
/// <item>A failing frame ends the call with its exception (<see cref="OnFrameFailed"/> may name the frame in it);
/// a failing read (oversize message, transport) ends it with the read's exception.</item>
/// <item>Host stopping (<c>stopping</c>, SIGTERM): the reader stops taking frames, the frames already queued are
/// answered, and the call ends with UNAVAILABLE "server shutting down" (<see cref="RpcErrors.ShuttingDown"/>).</item>
/// </list>
/// Knows no frame type: the host hands it the request reader, how to find the frame in a request, and what to do with one.
/// </summary>
public sealed class StreamPump<TItem, TResult>(StreamQueue queue, IStreamQueueMetrics metrics, ILogger logger, CancellationToken stopping)
    where TItem : class
{
    private long _dropped;
    private long _answered;
    private volatile bool _shuttingDown;

    /// <summary>Starts one frame, in frame order; returns its running work.</summary>
    public required Func<Pumped<TItem>, CancellationToken, ValueTask<Task<TResult>>> Start { get; init; }

    /// <summary>Writes the answer of one frame, in frame order.</summary>
    public required Func<Pumped<TItem>, TResult, CancellationToken, Task> Write { get; init; }

    /// <summary>Called by the reader for each frame it reads, before the frame is queued (e.g. frame timestamps).</summary>
    public Action<TItem>? Observe { get; init; }

    /// <summary>The exception a failure of this frame ends the call with, or null to end it with the failure itself.</summary>
    public Func<TItem, Exception, Exception?>? OnFrameFailed { get; init; }

    /// <summary>Frames started and not yet written at most (1: one at a time).</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Frames a live queue dropped so far.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Frames answered so far.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>
    /// Runs the call to its end. <paramref name="first"/> is the request the host already read (it carries the
    /// configuration); its frame, when it has one, is the first queued. Throws what ends the call.
    /// </summary>
    public async Task RunAsync<TRequest>(TRequest first, IAsyncStreamReader<TRequest> requests, Func<TRequest, TItem?> itemOf, string streamId, CancellationToken callToken)
    {
        var channel = Channel.CreateBounded<Queued>(
            new BoundedChannelOptions(queue.Capacity)
            {
                SingleReader = false, // the worker may hold a pending WaitToReadAsync while it calls TryRead
                SingleWriter = true,
                FullMode = queue.Mode == StreamQueueMode.Live ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
            },
            _ =>
            {
                Interlocked.Increment(ref _dropped);
                metrics.Dropped();
                metrics.Queued(-1);
            });

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        Exception? readError = null;
        var reader = ReadAsync(first, requests, itemOf, channel.Writer, cts, e => readError = e);
        try
        {
            await ProcessAsync(channel.Reader, cts.Token).ConfigureAwait(false);
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
            StreamPumpLog.Drained(logger, streamId, Answered);
            RpcErrors.ShuttingDown();
        }
    }

    private async Task ReadAsync<TRequest>(TRequest first, IAsyncStreamReader<TRequest> requests, Func<TRequest, TItem?> itemOf, ChannelWriter<Queued> writer, CancellationTokenSource cts, Action<Exception> onError)
    {
        await Task.Yield();
        using var read = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, stopping);
        try
        {
            await EnqueueAsync(itemOf(first)).ConfigureAwait(false);
            while (await requests.MoveNext(read.Token).ConfigureAwait(false))
            {
                await EnqueueAsync(itemOf(requests.Current)).ConfigureAwait(false);
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

        async ValueTask EnqueueAsync(TItem? item)
        {
            if (item is null)
            {
                return;
            }

            Observe?.Invoke(item);
            await writer.WriteAsync(new Queued(item, Stopwatch.GetTimestamp()), read.Token).ConfigureAwait(false);
            metrics.Queued(1);
        }
    }

    /// <summary>Takes frames in order, starts up to <see cref="Concurrency"/> of them, and writes their answers in frame order.</summary>
    private async Task ProcessAsync(ChannelReader<Queued> channel, CancellationToken token)
    {
        int maxInFlight = Math.Max(1, Concurrency);
        var inFlight = new Queue<(Task<TResult> Task, Pumped<TItem> Frame)>();
        Task<bool>? waitForFrame = null;
        try
        {
            while (true)
            {
                while (inFlight.Count < maxInFlight && channel.TryRead(out var item))
                {
                    metrics.Queued(-1);
                    var pumped = new Pumped<TItem>(item.Item, item.EnqueuedAt, Stopwatch.GetTimestamp());
                    inFlight.Enqueue((await StartAsync(pumped).ConfigureAwait(false), pumped));
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
                waitForFrame ??= channel.WaitToReadAsync(token).AsTask();
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
            // On failure, let work that already started finish so what it holds (model slots) returns.
            foreach (var (task, _) in inFlight)
            {
                await task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        async Task<Task<TResult>> StartAsync(Pumped<TItem> frame)
        {
            try
            {
                return await Start(frame, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (OnFrameFailed?.Invoke(frame.Item, ex) is { } named)
            {
                throw named;
            }
        }

        async Task WriteHeadAsync()
        {
            var (task, frame) = inFlight.Dequeue();
            TResult result;
            try
            {
                result = await task.ConfigureAwait(false);
            }
            catch (Exception ex) when (OnFrameFailed?.Invoke(frame.Item, ex) is { } named)
            {
                throw named;
            }

            await Write(frame, result, token).ConfigureAwait(false);
            Interlocked.Increment(ref _answered);
        }
    }

    private readonly record struct Queued(TItem Item, long EnqueuedAt);
}

internal static partial class StreamPumpLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Stream '{StreamId}' drained for shutdown after {Frames} frames; ending it with UNAVAILABLE")]
    public static partial void Drained(ILogger logger, string streamId, long frames);
}
