using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Repair;

/// <summary>
/// Repairs one frame given its detection masks:
/// <list type="number">
/// <item>transmission-flagged blocks: <see cref="TemporalConcealer"/> from the stream's previous repaired frame; with
/// no history, a size change or a scene cut they join the model region instead;</item>
/// <item>model region = compression-flagged blocks that are not transmission-flagged (and transmission blocks that
/// could not be concealed) with a ring of <see cref="RepairOptions.DilatePixels"/> px around them, so both sides of
/// each flagged block edge are restored, minus concealed blocks (<see cref="RepairArea"/>);
/// <see cref="TilePlanner"/> tiles with the model's context margin run through <see cref="EnhancerModel"/>, and
/// each repaired pixel is faded in over <see cref="RepairOptions.BlendRamp"/> px at the region's edge;</item>
/// <item>chroma of the model region: <see cref="RepairOptions.Chroma"/>.</item>
/// </list>
/// Every input format is repaired: YUV frames directly, RGB24/BGR24/JPEG/PNG on their BT.601 YUV 4:2:0 conversion
/// (<see cref="YuvImage"/>), and the result is written back in any format; for RGB-based input only the pixels
/// repair changed are rewritten, every other pixel keeps its original RGB bytes. A frame with nothing flagged is
/// returned as the caller's own bytes when the output format is the input's. Thread-safe; a
/// <see cref="RepairStream"/> is used by one caller at a time.
/// </summary>
public sealed class FrameRepairer : IDisposable
{
    private readonly bool _ownsModel;

    /// <summary>Wraps a loaded enhancer model.</summary>
    public FrameRepairer(EnhancerModel model, RepairOptions options, bool ownsModel = true)
    {
        Model = model;
        Options = options;
        _ownsModel = ownsModel;
    }

    /// <summary>The enhancer model.</summary>
    public EnhancerModel Model { get; }

    /// <summary>The settings.</summary>
    public RepairOptions Options { get; }

    /// <summary>Loads the enhancer model (highest version unless set) and wraps it.</summary>
    public static FrameRepairer Load(ModelOptions model, InferenceOptions inference, RepairOptions? options = null, ILoggerFactory? loggerFactory = null) =>
        new(EnhancerModel.Load(model, inference, loggerFactory), options ?? new RepairOptions());

    /// <summary>A new, empty stream history.</summary>
    public RepairStream CreateStream(string? id = null) => new(id ?? string.Empty);

    /// <summary>A stream history holding <paramref name="previous"/> (unary calls that send the previous frame).</summary>
    public RepairStream CreateStream(RawFrame previous)
    {
        DecodedFrame decoded;
        try
        {
            decoded = FrameDecoder.Decode(previous);
        }
        catch (FrameFormatException ex)
        {
            throw new FrameFormatException($"previous frame: {ex.Message}", ex);
        }

        return CreateStream(decoded);
    }

    /// <summary>A stream history holding the already decoded <paramref name="previous"/> frame.</summary>
    public RepairStream CreateStream(DecodedFrame previous)
    {
        var s = new RepairStream(string.Empty);
        s.Remember(YuvImage.From(previous));
        s.Frames = 0;
        return s;
    }

    /// <summary>
    /// Checks that a frame of <paramref name="width"/> x <paramref name="height"/> can be returned in
    /// <paramref name="outputFormat"/> (Unspecified = the input's format): a known format, and an even size for
    /// I420/NV12. Throws <see cref="FrameFormatException"/> with a caller-facing message.
    /// </summary>
    public static void CheckOutput(FramePixelFormat outputFormat, int width, int height)
    {
        if (outputFormat is < FramePixelFormat.Unspecified or > FramePixelFormat.Png)
        {
            throw new FrameFormatException($"unknown output format {(int)outputFormat}");
        }

        YuvImage.RequireEven(outputFormat, width, height);
    }

    /// <summary>
    /// Repairs <paramref name="frame"/> where the masks flag damage, in any input format. <paramref name="outputFormat"/>
    /// Unspecified = the frame's format; JPEG output is written at <see cref="RepairOptions.JpegQuality"/>. Throws
    /// <see cref="FrameFormatException"/> for unreadable frames, impossible output formats and masks whose grid does
    /// not match the frame.
    /// </summary>
    public RepairResult Repair(RepairStream? stream, RawFrame frame, BlockMask compression, BlockMask transmission,
        FramePixelFormat outputFormat = FramePixelFormat.Unspecified, CancellationToken cancellationToken = default)
    {
        long t0 = Stopwatch.GetTimestamp();
        var decoded = FrameDecoder.Decode(frame);
        return Repair(stream, decoded, compression, transmission, outputFormat, 0, cancellationToken, t0);
    }

    /// <summary>
    /// As <see cref="Repair(RepairStream?, RawFrame, BlockMask, BlockMask, FramePixelFormat, CancellationToken)"/> for a
    /// frame the caller has already decoded (and validated); <paramref name="jpegQuality"/> 0 =
    /// <see cref="RepairOptions.JpegQuality"/>. With nothing flagged and the output format equal to the input's, the
    /// result's frame is the caller's own bytes (<see cref="DecodedFrame.Data"/>).
    /// </summary>
    public RepairResult Repair(RepairStream? stream, DecodedFrame decoded, BlockMask compression, BlockMask transmission,
        FramePixelFormat outputFormat, int jpegQuality, CancellationToken cancellationToken = default) =>
        Repair(stream, decoded, compression, transmission, outputFormat, jpegQuality, cancellationToken, Stopwatch.GetTimestamp());

    private RepairResult Repair(RepairStream? stream, DecodedFrame decoded, BlockMask compression, BlockMask transmission,
        FramePixelFormat outputFormat, int jpegQuality, CancellationToken cancellationToken, long t0)
    {
        var format = outputFormat == FramePixelFormat.Unspecified ? decoded.SourceFormat : outputFormat;
        int w = decoded.Width, h = decoded.Height, rows = (h + 7) / 8, cols = (w + 7) / 8;
        CheckOutput(format, w, h);
        if (jpegQuality is < 0 or > 100)
        {
            throw new FrameFormatException($"JPEG quality {jpegQuality} is out of range (1..100, 0 = server default)");
        }

        int quality = jpegQuality == 0 ? Options.JpegQuality : jpegQuality;
        CheckMask(compression, rows, cols, "compression");
        CheckMask(transmission, rows, cols, "transmission");

        var trans = new bool[rows * cols];
        var compOnly = new bool[rows * cols];
        bool anyTrans = false, anyComp = false;
        for (int i = 0; i < trans.Length; i++)
        {
            trans[i] = MaskCodec.Get(transmission.Bits, i);
            compOnly[i] = !trans[i] && MaskCodec.Get(compression.Bits, i);
            anyTrans |= trans[i];
            anyComp |= compOnly[i];
        }

        if (!anyTrans && !anyComp)
        {
            bool sameFormat = format == decoded.SourceFormat;
            var copy = sameFormat && stream is null ? null : YuvImage.From(decoded);
            long u0 = Stopwatch.GetTimestamp();
            var untouched = sameFormat ? Original(decoded) : copy!.ToRawFrame(format, quality);
            long untouchedEncodeUs = StageClock.Micros(u0);
            if (copy is not null)
            {
                stream?.Remember(copy);
            }

            return new RepairResult { Frame = untouched, Untouched = true, RepairUs = StageClock.Micros(t0), EncodeUs = untouchedEncodeUs };
        }

        var img = YuvImage.From(decoded);
        int temporal = 0;
        bool cut = false;
        if (anyTrans)
        {
            var prev = stream?.PreviousOfSize(w, h);
            cut = prev is not null && TemporalConcealer.UnflaggedMad(img, prev, trans, cols) > Options.SceneCutMad;
            if (prev is not null && !cut)
            {
                temporal = TemporalConcealer.Conceal(img, prev, trans, rows, cols, Options);
                img.MarkReplaced(trans);
            }
        }

        // Concealed blocks keep their concealment; unconcealed transmission blocks go to the model.
        var modelGrid = compOnly;
        if (temporal == 0 && anyTrans)
        {
            for (int i = 0; i < modelGrid.Length; i++)
            {
                modelGrid[i] |= trans[i];
            }
        }

        // Model input: the frame as it stands before the model (the decoded bytes, or the concealed copy).
        var source = temporal > 0 ? PlaneView.Packed((byte[])img.Y.Clone(), w, h) : decoded.Luma;
        var keep = temporal > 0 ? trans : null;
        var (modelBlocks, tiles, modelPixels) = RunModel(img, source, modelGrid, keep, rows, cols, cancellationToken);
        if (Options.Chroma == ChromaRepair.Deblock && modelBlocks > 0)
        {
            // Chroma is coded in whole blocks: its region is the model's blocks and, with a ring, their neighbours.
            var chroma = TilePlanner.Dilate(modelGrid, rows, cols, Options.DilatePixels > 0 ? 1 : 0);
            for (int i = 0; keep is not null && i < chroma.Length; i++)
            {
                chroma[i] &= !keep[i];
            }

            ChromaDeblock.Apply(img, chroma, cols, Options.ChromaEdgeThreshold);
        }

        long e0 = Stopwatch.GetTimestamp();
        var output = img.ToRawFrame(format, quality);
        long encodeUs = StageClock.Micros(e0);
        stream?.Remember(img);
        return new RepairResult
        {
            Frame = output,
            ModelBlocks = modelBlocks,
            TemporalBlocks = temporal,
            Tiles = tiles,
            ModelPixels = modelPixels,
            SceneCut = cut,
            RepairUs = StageClock.Micros(t0),
            EncodeUs = encodeUs,
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsModel)
        {
            Model.Dispose();
        }
    }

    /// <summary>
    /// Runs the model over <paramref name="blocks"/> (block grid) and writes its output on those blocks and a ring of
    /// <see cref="RepairOptions.DilatePixels"/> px around them, except on <paramref name="keep"/> blocks (concealed
    /// ones), fading in over <see cref="RepairOptions.BlendRamp"/> px at the edge of the written area.
    /// </summary>
    private (int Blocks, int Tiles, long Pixels) RunModel(YuvImage img, PlaneView source, bool[] blocks, bool[]? keep, int rows, int cols, CancellationToken ct)
    {
        int w = img.Width, h = img.Height, ring = Options.DilatePixels, margin = Model.ContextMargin, align = Model.TileAlignment;
        var plan = TilePlanner.Plan(blocks, rows, cols, Math.Max(1, Options.MaxTileSide / 8), Options.MergeGapBlocks, ring + margin);
        if (plan.Count == 0)
        {
            return (0, 0, 0);
        }

        var mask = ArrayPool<byte>.Shared.Rent(w * h);
        try
        {
            RepairArea.Fill(mask, w, h, blocks, keep, rows, cols, ring);
            int count = 0;
            long pixels = 0;
            for (int i = 0; i < blocks.Length; i++)
            {
                count += blocks[i] && keep?[i] != true ? 1 : 0;
            }

            using var run = Model.Session.Acquire(ct);
            foreach (var t in plan)
            {
                // Written area: the tile's blocks and the ring; model input: that plus the context margin, its origin on
                // the block grid for models that need it.
                int wx0 = Math.Max(0, (t.Col * 8) - ring), wy0 = Math.Max(0, (t.Row * 8) - ring);
                int wx1 = Math.Min(w, (t.EndCol * 8) + ring), wy1 = Math.Min(h, (t.EndRow * 8) + ring);
                int x0 = Math.Max(0, wx0 - margin) / align * align, y0 = Math.Max(0, wy0 - margin) / align * align;
                int x1 = Math.Min(w, wx1 + margin), y1 = Math.Min(h, wy1 + margin);
                var view = new PlaneView(source.Data[((y0 * source.Stride) + x0)..], x1 - x0, y1 - y0, source.Stride);
                var restored = Model.RunTile(run, view, x0, y0, out int pw);
                pixels += restored.Length;
                RepairArea.Write(img.Y, w, h, mask, restored, pw, x0, y0, wx0, wy0, wx1, wy1, Options.BlendRamp);
            }

            return (count, plan.Count, pixels);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(mask);
        }
    }

    /// <summary>The caller's frame as it came in (its own bytes; strides kept for raw formats).</summary>
    private static RawFrame Original(DecodedFrame decoded)
    {
        if (decoded.Layout is not { } layout)
        {
            return new RawFrame(decoded.SourceFormat, decoded.Width, decoded.Height, decoded.Data);
        }

        var strides = new int[layout.Planes.Count];
        for (int i = 0; i < strides.Length; i++)
        {
            strides[i] = layout.Planes[i].Stride;
        }

        return new RawFrame(decoded.SourceFormat, decoded.Width, decoded.Height, decoded.Data, strides);
    }

    private static void CheckMask(BlockMask mask, int rows, int cols, string what)
    {
        if (mask.Rows != rows || mask.Cols != cols)
        {
            throw new FrameFormatException($"{what} mask is {mask.Rows}x{mask.Cols} blocks but the frame needs {rows}x{cols}");
        }
    }
}
