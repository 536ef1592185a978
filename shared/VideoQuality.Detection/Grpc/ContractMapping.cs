using Google.Protobuf;
using VideoQuality.Contracts.V1;
using VideoQuality.Media;
using VideoQuality.Inference;

namespace VideoQuality.Detection.Grpc;

/// <summary>
/// The one mapping between the gRPC contract (videoquality.v1) and the in-process types: frames both ways
/// (without copying pixel data on the way in), results to <see cref="DetectResponse"/>, and a received
/// <see cref="DetectResponse"/> to a vqbench line.
/// </summary>
public static class ContractMapping
{
    /// <summary>A bad frame of a stream, named by its sequence (the stream services end the call with this); null for
    /// any other failure, which ends the call unchanged.</summary>
    public static Exception? InSequence(this Frame frame, Exception failure) =>
        failure is FrameFormatException ffe ? new FrameFormatException($"frame sequence {frame.Sequence}: {ffe.Message}", ffe) : null;

    /// <summary>Proto frame -> <see cref="RawFrame"/> over the message's own bytes (no copy).</summary>
    public static RawFrame ToRawFrame(this Frame frame)
    {
        int[] strides = frame.Strides.Count == 0 ? [] : new int[frame.Strides.Count];
        for (int i = 0; i < strides.Length; i++)
        {
            strides[i] = frame.Strides[i] > int.MaxValue
                ? throw new FrameFormatException($"stride {frame.Strides[i]} of plane {i} is too large")
                : (int)frame.Strides[i];
        }

        if (frame.Width > int.MaxValue || frame.Height > int.MaxValue)
        {
            throw new FrameFormatException($"frame size {frame.Width}x{frame.Height} exceeds the maximum of {FrameLimits.MaxWidth}x{FrameLimits.MaxHeight}");
        }

        return new RawFrame(ToMedia(frame.Format), (int)frame.Width, (int)frame.Height, frame.Data.Memory, strides);
    }

    /// <summary><see cref="RawFrame"/> -> proto frame (copies the bytes into the message).</summary>
    public static Frame ToFrame(this RawFrame frame, string? streamId = null, ulong sequence = 0, long timestampUs = 0)
    {
        var f = new Frame
        {
            Format = ToProto(frame.Format),
            Width = (uint)frame.Width,
            Height = (uint)frame.Height,
            Data = ByteString.CopyFrom(frame.Data.Span),
            StreamId = streamId ?? string.Empty,
            Sequence = sequence,
            TimestampUs = timestampUs,
        };
        foreach (var s in frame.Strides.Span)
        {
            f.Strides.Add((uint)s);
        }

        return f;
    }

    /// <summary>Proto pixel format -> media pixel format (unknown values map to <see cref="FramePixelFormat.Unspecified"/>, which is rejected later).</summary>
    public static FramePixelFormat ToMedia(PixelFormat format) => format switch
    {
        PixelFormat.I420 => FramePixelFormat.I420,
        PixelFormat.Nv12 => FramePixelFormat.Nv12,
        PixelFormat.Gray8 => FramePixelFormat.Gray8,
        PixelFormat.Rgb24 => FramePixelFormat.Rgb24,
        PixelFormat.Bgr24 => FramePixelFormat.Bgr24,
        PixelFormat.Jpeg => FramePixelFormat.Jpeg,
        PixelFormat.Png => FramePixelFormat.Png,
        // Unknown numbers pass through so the decoder's message can name them.
        _ => (FramePixelFormat)(int)format,
    };

    /// <summary>Media pixel format -> proto pixel format.</summary>
    public static PixelFormat ToProto(FramePixelFormat format) => format switch
    {
        FramePixelFormat.I420 => PixelFormat.I420,
        FramePixelFormat.Nv12 => PixelFormat.Nv12,
        FramePixelFormat.Gray8 => PixelFormat.Gray8,
        FramePixelFormat.Rgb24 => PixelFormat.Rgb24,
        FramePixelFormat.Bgr24 => PixelFormat.Bgr24,
        FramePixelFormat.Jpeg => PixelFormat.Jpeg,
        FramePixelFormat.Png => PixelFormat.Png,
        _ => PixelFormat.Unspecified,
    };

    /// <summary>Frame class -> proto damage class.</summary>
    public static DamageClass ToProto(this FrameClass c) => c switch
    {
        FrameClass.Clean => DamageClass.Clean,
        FrameClass.Compression => DamageClass.Compression,
        FrameClass.Transmission => DamageClass.Transmission,
        _ => DamageClass.Unspecified,
    };

    /// <summary>Proto damage class -> frame class.</summary>
    public static FrameClass ToFrameClass(this DamageClass c) => c switch
    {
        DamageClass.Compression => FrameClass.Compression,
        DamageClass.Transmission => FrameClass.Transmission,
        _ => FrameClass.Clean,
    };

    /// <summary>Builds the response for a result; echoes the frame's stream id, sequence and timestamp.</summary>
    public static DetectResponse ToResponse(this DetectionResult r, string streamId, ulong sequence, long timestampUs, long queueUs = 0)
    {
        var resp = new DetectResponse
        {
            StreamId = streamId,
            Sequence = sequence,
            TimestampUs = timestampUs,
            Severity = r.Severity,
            DamageClass = r.Class.ToProto(),
            Mask = ToProto(r.Mask),
            CompressionMask = ToProto(r.CompressionMask),
            TransmissionMask = ToProto(r.TransmissionMask),
            Model = new ModelInfo
            {
                Name = r.Model.Name,
                Version = r.Model.Version,
                ExecutionProvider = r.Model.ExecutionProvider,
                Sha256 = r.Model.Sha256,
            },
            Timings = new Contracts.V1.StageTimings
            {
                DecodeUs = StageClock.Saturate(r.Timings.DecodeUs),
                PreprocessUs = StageClock.Saturate(r.Timings.PreprocessUs),
                InferenceUs = StageClock.Saturate(r.Timings.InferenceUs),
                PostprocessUs = StageClock.Saturate(r.Timings.PostprocessUs),
                QueueUs = StageClock.Saturate(queueUs),
            },
            HasTemporalContext = r.HasTemporalContext,
            Width = (uint)r.Width,
            Height = (uint)r.Height,
            StateUsed = r.StateUsed,
            State = r.NextState?.ToProto(),
        };
        foreach (var g in r.Regions)
        {
            resp.Regions.Add(new Contracts.V1.Region
            {
                X = (uint)g.X,
                Y = (uint)g.Y,
                Width = (uint)g.Width,
                Height = (uint)g.Height,
                Blocks = (uint)g.Blocks,
                DamageClass = g.Class.ToProto(),
                Score = g.Score,
            });
        }

        return resp;
    }

    /// <summary>Recurrent state -> proto (float32 little-endian).</summary>
    public static DetectorState ToProto(this RecurrentState s) => new()
    {
        ModelVersion = s.ModelVersion,
        Channels = (uint)s.Channels,
        Rows = (uint)s.Rows,
        Cols = (uint)s.Cols,
        Data = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(s.Data.AsSpan())),
    };

    /// <summary>Proto state -> <see cref="RecurrentState"/>; null when absent or empty. Throws
    /// <see cref="FrameFormatException"/> when its byte count does not match its shape.</summary>
    public static RecurrentState? ToRecurrentState(this DetectorState? s)
    {
        if (s is null || s.Data.IsEmpty)
        {
            return null;
        }

        long values = (long)s.Channels * s.Rows * s.Cols;
        if (values == 0 || values > int.MaxValue / 4 || s.Data.Length != values * 4)
        {
            throw new FrameFormatException($"state has {s.Data.Length} bytes, {s.Channels}x{s.Rows}x{s.Cols} float32 values need {values * 4}");
        }

        var data = new float[values];
        s.Data.Span.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return new RecurrentState(s.ModelVersion, (int)s.Channels, (int)s.Rows, (int)s.Cols, data);
    }

    /// <summary>A received response as a vqbench line (frame index chosen by the caller).</summary>
    public static string ToVqbenchLine(this DetectResponse response, int frame) =>
        VqbenchLine.Format(frame, response.Severity, response.DamageClass.ToFrameClass(),
            (int)response.Mask.BlockSize, (int)response.Mask.Rows, (int)response.Mask.Cols, response.Mask.Bits.Span);

    /// <summary>Mask -> proto mask.</summary>
    public static Contracts.V1.BlockMask ToProto(BlockMask m) => new()
    {
        BlockSize = (uint)m.BlockSize,
        Rows = (uint)m.Rows,
        Cols = (uint)m.Cols,
        Bits = ByteString.CopyFrom(m.Bits),
        Flagged = (uint)m.Flagged,
    };

    /// <summary>Proto mask -> <see cref="BlockMask"/> (copies the bits; throws <see cref="FrameFormatException"/> when the grid and bits disagree).</summary>
    public static BlockMask ToBlockMask(this Contracts.V1.BlockMask m)
    {
        long cells = (long)m.Rows * m.Cols; // 64-bit: 65536 x 65536 must not wrap to 0
        if (m.Rows > 100_000 || m.Cols > 100_000 || cells > 100_000_000 || m.Bits.Length != MaskCodec.PackedLength((int)cells))
        {
            throw new FrameFormatException($"block mask {m.Rows}x{m.Cols} with {m.Bits.Length} bytes of bits is malformed");
        }

        return new BlockMask((int)m.BlockSize, (int)m.Rows, (int)m.Cols, m.Bits.ToByteArray());
    }
}
