using Grpc.Core;
using VideoQuality.Contracts.V1;

namespace VideoQuality.LoadTests;

/// <summary>An answer as the runner needs it: which frame, the stream's drop counter, and (enhancer) the detection source.</summary>
internal readonly record struct Reply(ulong Sequence, ulong DroppedTotal, ReplySource Source);

/// <summary>A unary scenario: one call per frame, with the previous frame as temporal context.</summary>
internal interface IUnaryScenario
{
    Task<Reply> CallAsync(Frame frame, Frame previous, DateTime deadline, CancellationToken ct);
}

/// <summary>A streaming scenario: opens one bidirectional call.</summary>
internal interface IStreamScenario
{
    IStreamCall Open(string streamId, StreamMode mode, CancellationToken ct);
}

/// <summary>One open stream call.</summary>
internal interface IStreamCall : IDisposable
{
    Task WriteAsync(Frame frame);

    Task CompleteAsync();

    IAsyncEnumerable<Reply> ReadAllAsync(CancellationToken ct);
}

/// <summary>The scenarios by name, over one channel.</summary>
internal static class Scenarios
{
    public static object Create(string name, CallInvoker invoker) => name switch
    {
        "detect-unary" => new DetectUnary(new Detector.DetectorClient(invoker)),
        "detect-stream" => new DetectStream(new Detector.DetectorClient(invoker)),
        "enhance-unary" => new EnhanceUnary(new Enhancer.EnhancerClient(invoker)),
        "enhance-stream" => new EnhanceStream(new Enhancer.EnhancerClient(invoker)),
        _ => throw new ArgumentException($"unknown scenario '{name}'"),
    };

    private static ReplySource Source(DetectionSource s) => s switch
    {
        VideoQuality.Contracts.V1.DetectionSource.Remote => ReplySource.Remote,
        VideoQuality.Contracts.V1.DetectionSource.LocalFallback => ReplySource.Fallback,
        VideoQuality.Contracts.V1.DetectionSource.LocalHedge => ReplySource.Hedge,
        VideoQuality.Contracts.V1.DetectionSource.Local => ReplySource.Local,
        _ => ReplySource.None,
    };

    private sealed class DetectUnary(Detector.DetectorClient client) : IUnaryScenario
    {
        public async Task<Reply> CallAsync(Frame frame, Frame previous, DateTime deadline, CancellationToken ct)
        {
            var r = await client.DetectAsync(new DetectRequest { Frame = frame, PreviousFrame = previous }, deadline: deadline, cancellationToken: ct).ConfigureAwait(false);
            return new Reply(r.Sequence, 0, ReplySource.None);
        }
    }

    private sealed class EnhanceUnary(Enhancer.EnhancerClient client) : IUnaryScenario
    {
        public async Task<Reply> CallAsync(Frame frame, Frame previous, DateTime deadline, CancellationToken ct)
        {
            var r = await client.EnhanceAsync(new EnhanceRequest { Frame = frame, PreviousFrame = previous }, deadline: deadline, cancellationToken: ct).ConfigureAwait(false);
            return new Reply(r.Frame?.Sequence ?? frame.Sequence, 0, Source(r.DetectionSource));
        }
    }

    private sealed class DetectStream(Detector.DetectorClient client) : IStreamScenario
    {
        public IStreamCall Open(string streamId, StreamMode mode, CancellationToken ct) =>
            new Call<DetectStreamRequest, DetectResponse>(client.DetectStream(cancellationToken: ct),
                new DetectStreamRequest { Config = new StreamConfig { StreamId = streamId, Mode = mode } },
                f => new DetectStreamRequest { Frame = f },
                r => new Reply(r.Sequence, r.DroppedFrames, ReplySource.None));
    }

    private sealed class EnhanceStream(Enhancer.EnhancerClient client) : IStreamScenario
    {
        public IStreamCall Open(string streamId, StreamMode mode, CancellationToken ct) =>
            new Call<EnhanceStreamRequest, EnhanceResponse>(client.EnhanceStream(cancellationToken: ct),
                new EnhanceStreamRequest { Config = new StreamConfig { StreamId = streamId, Mode = mode } },
                f => new EnhanceStreamRequest { Frame = f },
                r => new Reply(r.Frame?.Sequence ?? 0, r.DroppedFrames, Source(r.DetectionSource)));
    }

    private sealed class Call<TRequest, TResponse>(
        AsyncDuplexStreamingCall<TRequest, TResponse> call,
        TRequest config,
        Func<Frame, TRequest> request,
        Func<TResponse, Reply> reply) : IStreamCall
    {
        private bool _configSent;

        public async Task WriteAsync(Frame frame)
        {
            if (!_configSent)
            {
                await call.RequestStream.WriteAsync(config).ConfigureAwait(false);
                _configSent = true;
            }

            await call.RequestStream.WriteAsync(request(frame)).ConfigureAwait(false);
        }

        public Task CompleteAsync() => call.RequestStream.CompleteAsync();

        public async IAsyncEnumerable<Reply> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var r in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return reply(r);
            }
        }

        public void Dispose() => call.Dispose();
    }
}
