using System.Runtime.CompilerServices;
using VideoQuality.Cli.Input;
using VideoQuality.Cli.Output;
using VideoQuality.Detection;
using VideoQuality.Inference;

namespace VideoQuality.Cli.Detect;

/// <summary>
/// In-process detection with the Detection library's <see cref="DetectorPipeline"/> (the same code the Detector
/// service runs): the model is loaded once (sha256-verified, warmed up), and each input gets its own
/// <see cref="DetectionStream"/>, so the previous frame is the temporal context exactly as in a DetectStream call.
/// One model run at a time (frames of a stream are sequential); <c>--threads</c> sets ONNX Runtime's intra-op threads.
/// </summary>
internal sealed class EmbeddedDetector(DetectorPipeline pipeline, int intraOpThreads) : IFrameDetector
{
    public static EmbeddedDetector Create(string modelRoot, int? threads)
    {
        var inference = Inference(threads);
        return new EmbeddedDetector(DetectorPipeline.Load(modelRoot, version: null, inference), inference.IntraOpThreads);
    }

    /// <summary>
    /// Inference settings for one in-process stream: one model run at a time; intra-op threads from --threads, else the
    /// library default (1, which leaves a core to ffmpeg). Without an NVIDIA driver the provider chain is CPU only:
    /// trying CUDA there only makes ONNX Runtime print a native load error before it falls back to the same CPU result.
    /// </summary>
    public static InferenceOptions Inference(int? threads)
    {
        var inference = new InferenceOptions { MaxConcurrency = 1 };
        if (!Directory.Exists("/proc/driver/nvidia")) inference.Providers = [ExecutionProviders.Cpu];
        if (threads is { } t) inference.IntraOpThreads = t;
        return inference;
    }

    public string Description =>
        $"{pipeline.Model.Name} {pipeline.Model.Version} in-process ({pipeline.Model.ExecutionProvider}, {intraOpThreads} intra-op thread{(intraOpThreads == 1 ? "" : "s")})";

    public async IAsyncEnumerable<FrameResult> DetectAsync(IAsyncEnumerable<InputFrame> frames, string streamId,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var stream = pipeline.CreateStream(streamId);
        await foreach (var frame in frames.WithCancellation(ct))
        {
            var r = pipeline.Detect(stream, frame.Pixels, ct);
            yield return new FrameResult(frame.Index, frame.Timestamp, r.Severity, r.Class, r.Mask, r.Model.Version, frame.PtsUs, frame.ReceivedAt);
        }
    }

    public ValueTask DisposeAsync()
    {
        pipeline.Dispose();
        return ValueTask.CompletedTask;
    }
}
