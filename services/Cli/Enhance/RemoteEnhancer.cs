using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using VideoQuality.Cli.Input;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection.Grpc;

namespace VideoQuality.Cli.Enhance;

/// <summary>
/// Repair by a running Enhancer service: one lossless EnhanceStream call per input (no drops; HTTP/2 flow control paces
/// the sender), requests written while responses are read, responses in frame order, I420 out.
/// </summary>
internal sealed class RemoteEnhancer(Uri address) : IFrameEnhancer
{
    private readonly GrpcChannel _channel = CliCredentials.Channel(address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 64 << 20,
        MaxSendMessageSize = 64 << 20,
    });

    public string Description => $"the Enhancer service at {address}";

    public async IAsyncEnumerable<EnhancedFrame> EnhanceAsync(IAsyncEnumerable<InputFrame> frames, string streamId, [EnumeratorCancellation] CancellationToken ct)
    {
        var client = new Contracts.V1.Enhancer.EnhancerClient(_channel);
        using var call = client.EnhanceStream(cancellationToken: ct);
        var indices = Channel.CreateUnbounded<long>();
        var sender = Task.Run(async () =>
        {
            var requests = call.RequestStream;
            await requests.WriteAsync(new EnhanceStreamRequest
            {
                Config = new StreamConfig { StreamId = streamId, Mode = StreamMode.Lossless },
                OutputFormat = PixelFormat.I420,
            }, ct);
            await foreach (var frame in frames.WithCancellation(ct))
            {
                indices.Writer.TryWrite(frame.Index);
                await requests.WriteAsync(new EnhanceStreamRequest
                {
                    Frame = frame.Pixels.ToFrame(streamId, (ulong)frame.Index, frame.Timestamp.Ticks / TimeSpan.TicksPerMicrosecond),
                }, ct);
            }
            indices.Writer.TryComplete();
            await requests.CompleteAsync();
        }, ct);

        await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
        {
            var index = await indices.Reader.ReadAsync(ct);
            yield return new EnhancedFrame(index, response.Frame.Data.Memory, (int)response.Repaired.ModelBlocks,
                (int)response.Repaired.TemporalBlocks, response.DetectionSource);
        }
        await sender;
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
