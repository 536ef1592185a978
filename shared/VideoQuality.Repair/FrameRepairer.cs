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
/// A frame with nothing flagged is returned as the caller's own bytes. Thread-safe; a <see cref="RepairStream"/>
/// is used by one caller at a time.
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
        var s = new RepairStream(string.Empty);
        DecodedFrame decoded;
        try
        {
            decoded = FrameDecoder.Decode(previous);
        }
        catch (FrameFormatException ex)
        {
            throw new FrameFormatException($"previous frame: {ex.Message}", ex);
        }

        s.Remember(YuvImage.From(decoded));
        s.Frames = 0;
        return s;
    }

    /// <summary>
    /// Repairs <paramref name="frame"/> where the masks flag damage. <paramref name="outputFormat"/> Unspecified =
    /// the frame's format. Throws <see cref="FrameFormatException"/> for unreadable or unsupported frames and for
    /// masks whose grid does not match the frame.
    /// </summary>
    public RepairResult Repair(RepairStream? stream, RawFrame frame, BlockMask compression, BlockMask transmission,
        FramePixelFormat outputFormat = FramePixelFormat.Unspecified, CancellationToken cancellationToken = default)
    {
        long t0 = Stopwatch.GetTimestamp();
        var decoded = FrameDecoder.Decode(frame);
        if (decoded.Layout is not { Format: FramePixelFormat.I420 or FramePixelFormat.Nv12 or FramePixelFormat.Gray8 })
        {
            throw new FrameFormatException(
                $"the enhancer repairs raw YUV frames (I420, NV12, GRAY8); {decoded.SourceFormat.Name()} frames are not supported");
        }

        var format = outputFormat == FramePixelFormat.Unspecified ? frame.Format : outputFormat;
        int w = decoded.Width, h = decoded.Height, rows = (h + 7) / 8, cols = (w + 7) / 8;
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
            var untouched = format == frame.Format ? frame : YuvImage.From(decoded).ToRawFrame(format);
            stream?.Remember(YuvImage.From(decoded));
            return new RepairResult { Frame = untouched, Untouched = true, RepairUs = Micros(t0) };
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

        var output = img.ToRawFrame(format);
        stream?.Remember(img);
        return new RepairResult
        {
            Frame = output,
            ModelBlocks = modelBlocks,
            TemporalBlocks = temporal,
            Tiles = tiles,
            ModelPixels = modelPixels,
            SceneCut = cut,
            RepairUs = Micros(t0),
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

    private static void CheckMask(BlockMask mask, int rows, int cols, string what)
    {
        if (mask.Rows != rows || mask.Cols != cols)
        {
            throw new FrameFormatException($"{what} mask is {mask.Rows}x{mask.Cols} blocks but the frame needs {rows}x{cols}");
        }
    }

    private static long Micros(long start) => (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds;
}
