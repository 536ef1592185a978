using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using VideoQuality.Contracts.V1;

namespace VideoQuality.LoadTests;

/// <summary>
/// Drives a scenario for warm-up + duration seconds and records into a <see cref="Measurement"/>.
/// <list type="bullet">
/// <item>Open model: a dispatcher releases request i at <see cref="ArrivalSchedule.At"/>(i) whatever the state of
/// earlier ones; unary calls run concurrently (at most <c>--max-inflight</c>), stream frames go round-robin to
/// <c>--streams</c> calls. Latency = answer time − intended send time.</item>
/// <item>Closed model: <c>--concurrency</c> workers (unary) or streams, each sending its next frame when the previous one
/// is answered. Latency = answer time − send time.</item>
/// </list>
/// A stream that fails counts its unanswered frames as errors with the call's status, and reopens after 100 ms.
/// </summary>
internal sealed class LoadRunner(LoadOptions o, object scenario, IReadOnlyList<Frame> frames, Measurement m)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    private double TotalS => o.WarmupS + o.DurationS;

    private double Now => Stopwatch.GetElapsedTime(_start).TotalSeconds;

    public async Task RunAsync(CancellationToken ct)
    {
        var tasks = (scenario, o.Model) switch
        {
            (IUnaryScenario u, LoadModel.Open) => [OpenUnaryAsync(u, ct)],
            (IUnaryScenario u, LoadModel.Closed) => Enumerable.Range(0, o.Concurrency).Select(w => ClosedUnaryAsync(u, w, ct)).ToList(),
            (IStreamScenario s, LoadModel.Open) => OpenStreams(s, ct),
            (IStreamScenario s, LoadModel.Closed) => Enumerable.Range(0, o.Concurrency).Select(k => ClosedStreamAsync(s, k, ct)).ToList(),
            _ => throw new InvalidOperationException($"scenario {o.Scenario} has no runner"),
        };
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task OpenUnaryAsync(IUnaryScenario unary, CancellationToken ct)
    {
        var schedule = new ArrivalSchedule(o.Rate, o.RampS);
        long total = schedule.CountBefore(TotalS);
        using var slots = new SemaphoreSlim(o.MaxInflight);
        var calls = new List<Task>();
        for (long i = 0; i < total && !ct.IsCancellationRequested; i++)
        {
            double due = schedule.At(i);
            await DelayUntilAsync(due, ct).ConfigureAwait(false);
            await slots.WaitAsync(ct).ConfigureAwait(false);
            long index = i;
            calls.Add(Task.Run(async () =>
            {
                try
                {
                    await UnaryOnceAsync(unary, index, due, ct).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None));
            if (calls.Count > 4096)
            {
                calls.RemoveAll(t => t.IsCompleted);
            }
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
    }

    private async Task ClosedUnaryAsync(IUnaryScenario unary, int worker, CancellationToken ct)
    {
        for (long i = worker; !ct.IsCancellationRequested; i += o.Concurrency)
        {
            double sent = Now;
            if (sent >= TotalS)
            {
                return;
            }

            await UnaryOnceAsync(unary, i, sent, ct).ConfigureAwait(false);
        }
    }

    private async Task UnaryOnceAsync(IUnaryScenario unary, long index, double intended, CancellationToken ct)
    {
        m.RecordSent(intended);
        var frame = ClipFrames.At(frames, index, "load-unary", (ulong)index, intended);
        var previous = ClipFrames.At(frames, Math.Max(0, index - 1), "load-unary", (ulong)Math.Max(0, index - 1), Math.Max(0, intended - (1 / o.Rate)));
        try
        {
            var reply = await unary.CallAsync(frame, previous, DateTime.UtcNow.AddMilliseconds(o.DeadlineMs), ct).ConfigureAwait(false);
            m.Answered(intended, Now, reply.Source, 0);
        }
        catch (RpcException ex)
        {
            m.Failed(intended, Now, ex.StatusCode);
        }
    }

    private List<Task> OpenStreams(IStreamScenario s, CancellationToken ct)
    {
        var queues = Enumerable.Range(0, o.Streams).Select(_ => Channel.CreateUnbounded<double>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true })).ToList();
        var tasks = queues.Select((q, k) => StreamLoopAsync(s, k, q.Reader, closed: false, ct)).ToList();
        tasks.Add(Task.Run(async () =>
        {
            var schedule = new ArrivalSchedule(o.Rate, o.RampS);
            long total = schedule.CountBefore(TotalS);
            try
            {
                for (long i = 0; i < total && !ct.IsCancellationRequested; i++)
                {
                    double due = schedule.At(i);
                    await DelayUntilAsync(due, ct).ConfigureAwait(false);
                    queues[(int)(i % o.Streams)].Writer.TryWrite(due);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Stopped early (Ctrl-C): report what was measured.
            }
            finally
            {
                queues.ForEach(q => q.Writer.TryComplete());
            }
        }, CancellationToken.None));
        return tasks;
    }

    private Task ClosedStreamAsync(IStreamScenario s, int k, CancellationToken ct) => StreamLoopAsync(s, k, null, closed: true, ct);

    /// <summary>
    /// One stream slot: opens a call, sends the frames released to it (open) or one frame per answer (closed), matches
    /// answers to frames by sequence; reopens after a failure until the run ends.
    /// </summary>
    private async Task StreamLoopAsync(IStreamScenario s, int k, ChannelReader<double>? dues, bool closed, CancellationToken ct)
    {
        string streamId = $"load-{k}";
        long frameIndex = 0;
        var mode = o.Mode == "lossless" ? StreamMode.Lossless : StreamMode.Live;
        while (!ct.IsCancellationRequested && (closed ? Now < TotalS : !dues!.Completion.IsCompleted))
        {
            var pending = new ConcurrentDictionary<ulong, double>();
            using var answered = new SemaphoreSlim(0);
            using var callCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var call = s.Open(streamId, mode, callCts.Token);
            ulong sequence = 0;
            ulong lastDropped = 0;
            var reader = Task.Run(async () =>
            {
                await foreach (var r in call.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    double now = Now;
                    long delta = (long)(r.DroppedTotal - Math.Min(lastDropped, r.DroppedTotal));
                    lastDropped = Math.Max(lastDropped, r.DroppedTotal);
                    if (pending.TryRemove(r.Sequence, out var intended))
                    {
                        m.Answered(intended, now, r.Source, delta);
                    }

                    foreach (var skipped in pending.Keys.Where(q => q < r.Sequence))
                    {
                        pending.TryRemove(skipped, out _); // dropped by the service (live mode); counted by the drop counter
                    }

                    answered.Release();
                }
            }, CancellationToken.None);

            StatusCode? failure = null;
            try
            {
                if (closed)
                {
                    while (Now < TotalS && !ct.IsCancellationRequested && !reader.IsCompleted)
                    {
                        double sent = Now;
                        await SendAsync(sent).ConfigureAwait(false);
                        var got = answered.WaitAsync(o.DeadlineMs, ct);
                        if (await Task.WhenAny(got, reader).ConfigureAwait(false) == reader && !got.IsCompleted)
                        {
                            failure = StatusCode.Unknown; // the call ended; its status is taken from the reader below
                            break;
                        }

                        if (!await got.ConfigureAwait(false))
                        {
                            failure = StatusCode.DeadlineExceeded;
                            break;
                        }
                    }
                }
                else
                {
                    await foreach (var due in dues!.ReadAllAsync(ct).ConfigureAwait(false))
                    {
                        await SendAsync(due).ConfigureAwait(false);
                    }
                }

                if (failure is null)
                {
                    await call.CompleteAsync().ConfigureAwait(false);
                    if (await Task.WhenAny(reader, Task.Delay(o.DeadlineMs + 5000, CancellationToken.None)).ConfigureAwait(false) != reader)
                    {
                        failure = StatusCode.DeadlineExceeded;
                    }
                }

                if (failure is null)
                {
                    await reader.ConfigureAwait(false);
                }
            }
            catch (RpcException ex)
            {
                failure = ex.StatusCode;
            }
            catch (InvalidOperationException) when (reader.IsFaulted)
            {
                failure = (reader.Exception?.InnerException as RpcException)?.StatusCode ?? StatusCode.Unknown; // write after the call ended
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                failure = StatusCode.Cancelled;
            }

            if (failure is null)
            {
                foreach (var intended in pending.Values)
                {
                    m.RecordUnanswered(intended);
                }

                return;
            }

            if (reader.Exception?.InnerException is RpcException readError)
            {
                failure = readError.StatusCode;
            }

            await callCts.CancelAsync().ConfigureAwait(false);
            await reader.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            double at = Now;
            var lost = pending.Values.ToList();
            foreach (var intended in lost)
            {
                m.Failed(intended, at, failure.Value);
            }

            if (lost.Count == 0)
            {
                m.Failed(at, at, failure.Value);
            }

            if (!ct.IsCancellationRequested)
            {
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }

            async Task SendAsync(double intended)
            {
                sequence++;
                pending[sequence] = intended;
                m.RecordSent(intended);
                await call.WriteAsync(ClipFrames.At(frames, frameIndex++, streamId, sequence, intended)).ConfigureAwait(false);
            }
        }
    }

    private async Task DelayUntilAsync(double dueS, CancellationToken ct)
    {
        var wait = TimeSpan.FromSeconds(dueS) - Stopwatch.GetElapsedTime(_start);
        if (wait > TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(wait, ct).ConfigureAwait(false);
        }
    }
}
