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
    /// <summary>Checks the output format a request asks for: UNSPECIFIED (= the request frame's format) or any frame format.</summary>
    public static FramePixelFormat OutputFormat(PixelFormat requested) => requested switch
    {
        PixelFormat.Unspecified => FramePixelFormat.Unspecified,
        PixelFormat.I420 or PixelFormat.Nv12 or PixelFormat.Gray8 or PixelFormat.Rgb24 or PixelFormat.Bgr24 or PixelFormat.Jpeg or PixelFormat.Png
            => ContractMapping.ToMedia(requested),
        _ => throw new FrameFormatException($"unknown output format {(int)requested} (use I420, NV12, GRAY8, RGB24, BGR24, JPEG or PNG)"),
    };

    /// <summary>Checks the JPEG quality a request asks for (0 = the server's Repair:JpegQuality).</summary>
    public static int JpegQuality(uint requested) => requested <= 100
        ? (int)requested
        : throw new FrameFormatException($"jpeg_quality {requested} is out of range (1..100, 0 = server default)");

    public async Task<EnhanceResponse> EnhanceAsync(string rpc, Frame? frame, Frame? previous, RepairStream? history, DetectorStateHolder? detectorState, FramePixelFormat output,
        int jpegQuality, DetectionBudget budget, CancellationToken ct)
    {
        long t0 = Stopwatch.GetTimestamp();
        var (repairer, local) = state.GetReady();
        if (frame is null)
        {
            throw new FrameFormatException("frame is required");
        }

        // Validate (and decode, once: repair reuses it) before anything goes over the network. Every frame format is
        // repaired; the detector gets the original frame and decodes it itself.
        var raw = frame.ToRawFrame();
        var decoded = FrameDecoder.Decode(raw);
        FrameRepairer.CheckOutput(output, decoded.Width, decoded.Height);
        if (previous is not null && history is null)
        {
            var prev = DecodePrevious(previous);
            if (prev.Width != decoded.Width || prev.Height != decoded.Height)
            {
                throw new FrameFormatException($"previous frame is {prev.Width}x{prev.Height}, the frame is {decoded.Width}x{decoded.Height}");
            }

            history = repairer.CreateStream(prev);
        }

        var detection = await router.DetectAsync(local, frame, previous, detectorState, budget, ct).ConfigureAwait(false);
        var (comp, trans) = RepairPolicy.Select(repairer.Options, detection.Response.DamageClass.ToFrameClass(), detection.Compression, detection.Transmission);
        RepairResult repaired;
        using (InferenceTelemetry.StartStage("repair", repairer.Model.Info.Name))
        {
            repaired = repairer.Repair(history, decoded, comp, trans, output, jpegQuality, ct);
        }

        long e0 = Stopwatch.GetTimestamp();
        var outFrame = repaired.Frame.Data.Equals(raw.Data)
            ? new Frame(frame) // untouched: the caller's own bytes (ByteString is immutable and shared)
            : repaired.Frame.ToFrame(frame.StreamId, frame.Sequence, frame.TimestampUs);
        long encodeUs = repaired.EncodeUs + StageClock.Micros(e0), repairUs = repaired.RepairUs - repaired.EncodeUs;
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
            Model = new ModelInfo { Name = m.Name, Version = m.Version, ExecutionProvider = m.ExecutionProvider, Sha256 = m.Sha256, Profile = m.Profile },
            DetectUs = StageClock.Saturate(detection.DetectUs),
            RepairUs = StageClock.Saturate(repairUs),
            EncodeUs = StageClock.Saturate(encodeUs),
        };
        metrics.Answered(rpc, !repaired.Untouched, repaired.ModelBlocks, repaired.TemporalBlocks, detection.DetectUs, repairUs, encodeUs, StageClock.Micros(t0));
        return response;
    }

    private static DecodedFrame DecodePrevious(Frame previous)
    {
        try
        {
            return FrameDecoder.Decode(previous.ToRawFrame());
        }
        catch (FrameFormatException ex)
        {
            throw new FrameFormatException($"previous frame: {ex.Message}", ex);
        }
    }

}
