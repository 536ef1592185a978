using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using VideoQuality.Cli.Input;
using VideoQuality.Cli.Output;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection;
using VideoQuality.Detection.Grpc;

namespace VideoQuality.Cli.Detect;

/// <summary>
/// Detection over gRPC against a running Detector service: one DetectStream call per input in LOSSLESS mode, so
/// every frame gets a result and the server's flow control paces the decoder. Sending and receiving run
/// concurrently (a few frames in flight), which keeps the model busy without waiting a round trip per frame.
/// Frames are sent as GRAY8 luma planes, the only plane the detector model reads (any size, odd ones included).
/// </summary>
internal sealed class RemoteDetector(Uri address) : IFrameDetector
{
    private readonly GrpcChannel _channel = CliCredentials.Channel(address, new GrpcChannelOptions
    {
        MaxSendMessageSize = 64 * 1024 * 1024,
        MaxReceiveMessageSize = 16 * 1024 * 1024,
    });

    public string Description => $"the detector service at {address}";

    public async IAsyncEnumerable<FrameResult> DetectAsync(IAsyncEnumerable<InputFrame> frames, string streamId,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var client = new Detector.DetectorClient(_channel);
        // A failure on the sending side (the decoder broke) cancels the call, and its own exception is reported.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = client.DetectStream(cancellationToken: failed.Token);
        // Timestamps of frames sent and not yet answered, in order (responses come back in order).
        var pending = Channel.CreateUnbounded<Sent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var sender = SendAsync(call.RequestStream, frames, streamId, pending.Writer, failed, ct);
        long index = 0;
        while (true)
        {
            bool more;
            try
            {
                more = await call.ResponseStream.MoveNext(failed.Token);
            }
            catch (Exception) when (failed.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                await sender; // the sending side failed and cancelled the call: report its exception, not the cancellation
                throw;
            }
            if (!more) break;
            var response = call.ResponseStream.Current;
            if (!pending.Reader.TryRead(out var sent)) throw new InvalidOperationException("the detector answered a frame that was not sent");
            if (response.DroppedFrames != 0) throw new InvalidOperationException($"the detector dropped {response.DroppedFrames} frames in lossless mode");
            yield return ToResult(index++, sent.Timestamp, response) with { PtsUs = sent.PtsUs, ReceivedAt = sent.ReceivedAt };
        }
        await sender;
        if (pending.Reader.TryRead(out _)) throw new InvalidOperationException("the detector ended the stream before answering every frame");
    }

    private static async Task SendAsync(IClientStreamWriter<DetectStreamRequest> requests, IAsyncEnumerable<InputFrame> frames,
        string streamId, ChannelWriter<Sent> pending, CancellationTokenSource failed, CancellationToken ct)
    {
        try
        {
            await SendAllAsync(requests, frames, streamId, pending, ct);
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    private static async Task SendAllAsync(IClientStreamWriter<DetectStreamRequest> requests, IAsyncEnumerable<InputFrame> frames,
        string streamId, ChannelWriter<Sent> pending, CancellationToken ct)
    {
        await requests.WriteAsync(new DetectStreamRequest
        {
            Config = new StreamConfig { StreamId = streamId, Mode = StreamMode.Lossless },
        }, ct);
        await foreach (var frame in frames.WithCancellation(ct))
        {
            pending.TryWrite(new Sent(frame.Timestamp, frame.PtsUs, frame.ReceivedAt));
            await requests.WriteAsync(new DetectStreamRequest { Frame = frame.Pixels.ToFrame(streamId, (ulong)frame.Index, frame.Timestamp.Ticks / TimeSpan.TicksPerMicrosecond) }, ct);
        }
        pending.Complete();
        await requests.CompleteAsync();
    }

    internal static FrameResult ToResult(long index, TimeSpan timestamp, DetectResponse r)
    {
        if ((long)r.Sequence != index) throw new InvalidOperationException($"the detector answered frame {r.Sequence} where {index} was expected");
        var m = r.Mask ?? throw new InvalidOperationException($"the detector sent no mask for frame {index}");
        return new FrameResult(index, timestamp, r.Severity, r.DamageClass.ToFrameClass(),
            new Detection.BlockMask((int)m.BlockSize, (int)m.Rows, (int)m.Cols, m.Bits.ToByteArray()), r.Model?.Version ?? string.Empty);
    }

    /// <summary>What is kept of a frame until its answer arrives (not its pixels).</summary>
    private readonly record struct Sent(TimeSpan Timestamp, long? PtsUs, DateTimeOffset? ReceivedAt);

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
