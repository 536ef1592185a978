using System.Diagnostics;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection.Grpc;
using VideoQuality.Inference;
using VideoQuality.Media;
using VideoQuality.Repair;

namespace VideoQuality.Enhancer;

/// <summary>
/// One frame through the enhancer: validate -> detect (<see cref="DetectionRouter"/>) -> repair
/// (<see cref="FrameRepairer"/>) -> response frame. Shared by the unary and streaming RPCs.
/// </summary>
internal sealed class FrameEnhancer(EnhancerState state, DetectionRouter router, EnhancerMetrics metrics)
{
    /// <summary>Checks the output format a request asks for.</summary>
    public static FramePixelFormat OutputFormat(PixelFormat requested) => requested switch
    {
        PixelFormat.Unspecified => FramePixelFormat.Unspecified,
        PixelFormat.I420 or PixelFormat.Nv12 or PixelFormat.Gray8 => ContractMapping.ToMedia(requested),
        _ => throw new FrameFormatException($"output format {requested} is not supported by the enhancer (use I420, NV12 or GRAY8)"),
    };

    public async Task<EnhanceResponse> EnhanceAsync(string rpc, Frame? frame, Frame? previous, RepairStream? history, FramePixelFormat output, CancellationToken ct)
    {
        long t0 = Stopwatch.GetTimestamp();
        var (repairer, local) = state.GetReady();
        if (frame is null)
        {
            throw new FrameFormatException("frame is required");
        }

        // Validate before anything goes over the network (the detector would say the same, later).
        var raw = frame.ToRawFrame();
        var decoded = FrameDecoder.Decode(raw);
        if (decoded.Layout is not { Format: FramePixelFormat.I420 or FramePixelFormat.Nv12 or FramePixelFormat.Gray8 })
        {
            throw new FrameFormatException($"the enhancer repairs raw YUV frames (I420, NV12, GRAY8); {raw.Format.Name()} frames are not supported");
        }

        if (previous is not null && (previous.Width != frame.Width || previous.Height != frame.Height))
        {
            throw new FrameFormatException($"previous frame is {previous.Width}x{previous.Height}, the frame is {frame.Width}x{frame.Height}");
        }

        history ??= previous is null ? null : repairer.CreateStream(previous.ToRawFrame());
        var detection = await router.DetectAsync(local, frame, previous, ct).ConfigureAwait(false);
        var (comp, trans) = RepairPolicy.Select(repairer.Options, detection.Response.DamageClass.ToFrameClass(), detection.Compression, detection.Transmission);
        RepairResult repaired;
        using (InferenceTelemetry.StartStage("repair", repairer.Model.Info.Name))
        {
            repaired = repairer.Repair(history, raw, comp, trans, output, ct);
        }


        long e0 = Stopwatch.GetTimestamp();
        var outFrame = repaired.Frame.Data.Equals(raw.Data)
            ? new Frame(frame) // untouched: the caller's own bytes (ByteString is immutable and shared)
            : repaired.Frame.ToFrame(frame.StreamId, frame.Sequence, frame.TimestampUs);
        long encodeUs = Micros(e0);
        var m = repairer.Model.Info;
        var response = new EnhanceResponse
        {
            Frame = outFrame,
            Detection = detection.Response,
            DetectionSource = detection.Source,
            Repaired = new RepairCounts
            {
                ModelBlocks = (uint)repaired.ModelBlocks,
                TemporalBlocks = (uint)repaired.TemporalBlocks,
                UnrepairedBlocks = (uint)repaired.UnrepairedBlocks,
            },
            Model = new ModelInfo { Name = m.Name, Version = m.Version, ExecutionProvider = m.ExecutionProvider, Sha256 = m.Sha256 },
            DetectUs = Clamp(detection.DetectUs),
            RepairUs = Clamp(repaired.RepairUs),
            EncodeUs = Clamp(encodeUs),
        };
        metrics.Answered(rpc, !repaired.Untouched, repaired.ModelBlocks, repaired.TemporalBlocks, detection.DetectUs, repaired.RepairUs, encodeUs, Micros(t0));
        return response;
    }

    private static long Micros(long start) => (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds;

    private static uint Clamp(long v) => v <= 0 ? 0 : v >= uint.MaxValue ? uint.MaxValue : (uint)v;
}
