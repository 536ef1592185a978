using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using VideoQuality.Contracts.V1;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Streams;

namespace VideoQuality.Tests.Streams;

/// <summary>
/// The shared stream loop on its own, over in-memory request/response streams (the services' streaming tests run the
/// same behaviours over real sockets): live drops, lossless backpressure, shutdown, failing frames, order.
/// </summary>
public sealed class StreamPumpTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Live_full_queue_drops_its_oldest_frame_and_counts_it()
    {
        var t = new Harness(new StreamQueue(StreamQueueMode.Live, 1));
        var run = t.RunAsync();
        await t.Send(1);
        await Until(() => t.Started == 1);
        await t.Send(2, 3, 4);
        await Until(() => t.Metrics.Dropped == 2); // 1 is running, 2 and then 3 were pushed out by 4
        t.Gate.SetResult();
        t.Requests.Complete();
        await run.WaitAsync(Patience);

        Assert.Equal([1, 4], t.Answered);
        Assert.Equal(2, t.Pump.Dropped);
        Assert.Equal(0, t.Metrics.Queued);
    }

    [Fact]
    public async Task Lossless_full_queue_stops_reading_so_the_client_is_pushed_back()
    {
        var t = new Harness(new StreamQueue(StreamQueueMode.Lossless, 1));
        var run = t.RunAsync();
        await t.Send(1);
        await Until(() => t.Started == 1);
        await t.Send(2, 3, 4);
        await Until(() => t.Requests.Taken == 4); // the config message; 1 running, 2 queued, 3 waiting for room
        await Task.Delay(100);
        Assert.Equal(4, t.Requests.Taken); // 4 stays with the client
        t.Gate.SetResult();
        t.Requests.Complete();
        await run.WaitAsync(Patience);

        Assert.Equal([1, 2, 3, 4], t.Answered);
        Assert.Equal(0, t.Pump.Dropped);
        Assert.Equal(0, t.Metrics.Dropped);
    }

    [Fact]
    public async Task Host_stop_stops_reading_answers_the_queued_frames_then_ends_unavailable()
    {
        var t = new Harness(new StreamQueue(StreamQueueMode.Lossless, 4));
        var run = t.RunAsync();
        await t.Send(1);
        await Until(() => t.Started == 1);
        await t.Send(2, 3);
        await Until(() => t.Metrics.Queued == 2); // 1 running, 2 and 3 queued
        await t.Stopping.CancelAsync();
        await t.Send(4); // after the stop: not taken
        t.Gate.SetResult();

        var ex = await Assert.ThrowsAsync<RpcException>(() => run.WaitAsync(Patience));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(RpcErrors.ShuttingDownMessage, ex.Status.Detail);
        Assert.Equal([1, 2, 3], t.Answered);
        Assert.Equal(0, t.Metrics.Queued);
    }

    [Theory]
    [InlineData(true)]  // its preparation throws (the detector's decode, in frame order)
    [InlineData(false)] // its running work faults
    public async Task A_failing_frame_ends_the_call_with_its_failure_naming_the_frame(bool failsToStart)
    {
        var t = new Harness(new StreamQueue(StreamQueueMode.Lossless, 4)) { FailToStart = failsToStart ? 2 : 0, FailToRun = failsToStart ? 0 : 2 };
        t.Gate.SetResult();
        var run = t.RunAsync();
        await t.Send(1, 2, 3);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => run.WaitAsync(Patience));
        Assert.Equal("frame sequence 2: bad frame", ex.Message);
        Assert.Equal([1], t.Answered);
        Assert.Equal(0, t.Metrics.Queued);
    }

    [Fact]
    public async Task A_failing_read_ends_the_call_with_the_read_failure()
    {
        var t = new Harness(new StreamQueue(StreamQueueMode.Live, 4));
        t.Gate.SetResult();
        var run = t.RunAsync();
        await t.Send(1);
        t.Requests.Complete(new IOException("message too large"));

        var ex = await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(Patience));
        Assert.Equal("message too large", ex.Message);
    }

    [Fact]
    public async Task Overlapping_work_is_answered_in_frame_order_and_every_read_frame_is_observed()
    {
        var t = new Harness(new StreamQueue(StreamQueueMode.Lossless, 8), concurrency: 4) { SlowFirst = true };
        t.Gate.SetResult();
        var run = t.RunAsync();
        await t.Send(1, 2, 3, 4, 5, 6);
        t.Requests.Complete();
        await run.WaitAsync(Patience);

        Assert.Equal([1, 2, 3, 4, 5, 6], t.Answered);
        Assert.Equal([1, 2, 3, 4, 5, 6], t.Observed);
        Assert.True(t.MaxRunning > 1, "work overlapped");
    }

    [Fact]
    public void The_queue_comes_from_the_call_config_and_the_one_limit()
    {
        var options = new StreamsOptions { QueueCapacity = 4, Mode = "lossless" };
        Assert.Equal(new StreamQueue(StreamQueueMode.Lossless, 4), options.QueueFor((int)StreamMode.Unspecified, 0));
        Assert.Equal(new StreamQueue(StreamQueueMode.Live, 7), options.QueueFor((int)StreamMode.Live, 7));
        Assert.Equal(new StreamQueue(StreamQueueMode.Lossless, StreamsOptions.MaxQueueCapacity), options.QueueFor((int)StreamMode.Lossless, 100_000));
        Assert.Null(options.QueueFor(99, 0));
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Delay(5);
        }
    }

    private sealed record Item(int Seq);

    private sealed record Request(Item? Frame);

    /// <summary>One pump over in-memory streams. Frame 1's work waits for <see cref="Gate"/>.</summary>
    private sealed class Harness
    {
        private readonly List<int> _answered = [];
        private readonly List<int> _observed = [];
        private int _running;
        private int _started;
        private int _maxRunning;

        public Harness(StreamQueue queue, int concurrency = 1)
        {
            Pump = new StreamPump<Item, int>(queue, Metrics, NullLogger.Instance, Stopping.Token)
            {
                Concurrency = concurrency,
                Observe = item => { lock (_observed) { _observed.Add(item.Seq); } },
                OnFrameFailed = static (item, ex) => ex is InvalidDataException bad ? new InvalidDataException($"frame sequence {item.Seq}: {bad.Message}", bad) : null,
                Start = (pumped, _) =>
                {
                    int seq = pumped.Item.Seq;
                    Interlocked.Increment(ref _started);
                    if (seq == FailToStart)
                    {
                        throw new InvalidDataException("bad frame");
                    }

                    return ValueTask.FromResult(WorkAsync(seq));
                },
                Write = (pumped, result, _) =>
                {
                    _answered.Add(result);
                    return Task.CompletedTask;
                },
            };
        }

        public StreamPump<Item, int> Pump { get; }

        public FakeMetrics Metrics { get; } = new();

        public FakeReader<Request> Requests { get; } = new();

        public CancellationTokenSource Stopping { get; } = new();

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int FailToStart { get; init; }

        public int FailToRun { get; init; }

        public bool SlowFirst { get; init; }

        public int[] Answered => [.. _answered];

        public int Started => Volatile.Read(ref _started);

        public int[] Observed { get { lock (_observed) { return [.. _observed]; } } }

        public int MaxRunning => Volatile.Read(ref _maxRunning);

        /// <summary>Reads the first request as a service does, then runs the pump.</summary>
        public async Task RunAsync()
        {
            await Task.Yield();
            Assert.True(await Requests.MoveNext(CancellationToken.None));
            await Pump.RunAsync(Requests.Current, Requests, static r => r.Frame, "test", CancellationToken.None);
        }

        /// <summary>The first request carries no frame (config only), like a service's first message may.</summary>
        public async Task Send(params int[] seqs)
        {
            if (Requests.Sent == 0)
            {
                await Requests.WriteAsync(new Request(null));
            }

            foreach (int seq in seqs)
            {
                await Requests.WriteAsync(new Request(new Item(seq)));
            }
        }

        private async Task<int> WorkAsync(int seq)
        {
            int running = Interlocked.Increment(ref _running);
            InterlockedMax(ref _maxRunning, running);
            try
            {
                if (seq == 1)
                {
                    await Gate.Task;
                    if (SlowFirst)
                    {
                        await Task.Delay(50);
                    }
                }

                await Task.Yield();
                if (seq == FailToRun)
                {
                    throw new InvalidDataException("bad frame");
                }

                return seq;
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }

    private sealed class FakeMetrics : IStreamQueueMetrics
    {
        private int _queued;
        private int _dropped;

        public int Queued => Volatile.Read(ref _queued);

        public int Dropped => Volatile.Read(ref _dropped);

        void IStreamQueueMetrics.Queued(int delta) => Interlocked.Add(ref _queued, delta);

        void IStreamQueueMetrics.Dropped() => Interlocked.Increment(ref _dropped);
    }

    /// <summary>A request stream the test writes into; counts the messages the pump took.</summary>
    private sealed class FakeReader<T> : IAsyncStreamReader<T>
    {
        private readonly Channel<T> _channel = Channel.CreateUnbounded<T>();
        private int _taken;
        private int _sent;

        public T Current { get; private set; } = default!;

        public int Taken => Volatile.Read(ref _taken);

        public int Sent => Volatile.Read(ref _sent);

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) || !_channel.Reader.TryRead(out var item))
            {
                return false;
            }

            Current = item;
            Interlocked.Increment(ref _taken);
            return true;
        }

        public async Task WriteAsync(T item)
        {
            Interlocked.Increment(ref _sent);
            await _channel.Writer.WriteAsync(item);
        }

        public void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);
    }
}
