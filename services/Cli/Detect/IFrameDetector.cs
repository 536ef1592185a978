using VideoQuality.Cli.Input;
using VideoQuality.Cli.Output;

namespace VideoQuality.Cli.Detect;

/// <summary>
/// Turns one input's decoded frames into results, in order, one result per frame. Each call is one video stream
/// (temporal context starts fresh). Implementations: <see cref="EmbeddedDetector"/> (in-process model) and
/// <see cref="RemoteDetector"/> (the Detector gRPC service).
/// </summary>
internal interface IFrameDetector : IAsyncDisposable
{
    /// <summary>Where inference runs, for the log line: model name, version and execution provider, or the address.</summary>
    string Description { get; }

    IAsyncEnumerable<FrameResult> DetectAsync(IAsyncEnumerable<InputFrame> frames, string streamId, CancellationToken ct);
}
