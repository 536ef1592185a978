using VideoQuality.Cli.Input;
using VideoQuality.Contracts.V1;

namespace VideoQuality.Cli.Enhance;

/// <summary>One repaired frame: I420 bytes (same size as the input), blocks repaired per method, detection source.</summary>
internal sealed record EnhancedFrame(long Index, ReadOnlyMemory<byte> I420, int ModelBlocks, int TemporalBlocks, DetectionSource Source);

/// <summary>
/// Repairs one input's I420 frames in order (one call = one stream, so concealment uses the stream's previous repaired
/// frame). Implementations: <see cref="EmbeddedEnhancer"/> (in-process detector + repair) and <see cref="RemoteEnhancer"/>
/// (the Enhancer gRPC service).
/// </summary>
internal interface IFrameEnhancer : IAsyncDisposable
{
    string Description { get; }

    IAsyncEnumerable<EnhancedFrame> EnhanceAsync(IAsyncEnumerable<InputFrame> frames, string streamId, CancellationToken ct);
}
