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
/// <item>model region = compression-flagged blocks that are not transmission-flagged, dilated by
/// <see cref="RepairOptions.DilateBlocks"/> (the Python reference's <c>repair_mask</c>), minus concealed blocks;
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
        var region = TilePlanner.Dilate(compOnly, rows, cols, Options.DilateBlocks);
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

        for (int i = 0; i < region.Length; i++)
        {
            // Concealed blocks keep their concealment; unconcealed transmission blocks go to the model.
            region[i] = temporal > 0 ? region[i] && !trans[i] : region[i] || trans[i];
        }

        // Model input: the frame as it stands before the model (the decoded bytes, or the concealed copy).
        var source = temporal > 0 ? PlaneView.Packed((byte[])img.Y.Clone(), w, h) : decoded.Luma;
        var (modelBlocks, tiles, modelPixels) = RunModel(img, source, region, rows, cols, cancellationToken);
        if (Options.Chroma == ChromaRepair.Deblock && modelBlocks > 0)
        {
            ChromaDeblock.Apply(img, region, cols, Options.ChromaEdgeThreshold);
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

    private (int Blocks, int Tiles, long Pixels) RunModel(YuvImage img, PlaneView source, bool[] region, int rows, int cols, CancellationToken ct)
    {
        var plan = TilePlanner.Plan(region, rows, cols, Math.Max(1, Options.MaxTileSide / 8), Options.MergeGapBlocks, (Model.ContextMargin + 7) / 8);
        if (plan.Count == 0)
        {
            return (0, 0, 0);
        }

        int w = img.Width, h = img.Height, margin = Model.ContextMargin, ramp = Options.BlendRamp, blocks = 0;
        long pixels = 0;
        var src = source.Data;
        using var run = Model.Session.Acquire(ct);
        foreach (var t in plan)
        {
            int x0 = Math.Max(0, (t.Col * 8) - margin), y0 = Math.Max(0, (t.Row * 8) - margin);
            int x1 = Math.Min(w, (t.EndCol * 8) + margin), y1 = Math.Min(h, (t.EndRow * 8) + margin);
            var view = new PlaneView(src[((y0 * source.Stride) + x0)..], x1 - x0, y1 - y0, source.Stride);
            var restored = Model.RunTile(run, view, out int pw);
            pixels += restored.Length;
            for (int r = t.Row; r < t.EndRow; r++)
            {
                for (int c = t.Col; c < t.EndCol; c++)
                {
                    if (!region[(r * cols) + c])
                    {
                        continue;
                    }

                    blocks++;
                    // Distance to a neighbouring block outside the region (frame borders do not count).
                    bool left = c > 0 && !region[(r * cols) + c - 1], right = c < cols - 1 && !region[(r * cols) + c + 1];
                    bool up = r > 0 && !region[((r - 1) * cols) + c], down = r < rows - 1 && !region[((r + 1) * cols) + c];
                    int bx1 = Math.Min(w, (c * 8) + 8), by1 = Math.Min(h, (r * 8) + 8);
                    for (int y = r * 8; y < by1; y++)
                    {
                        var outRow = restored.Slice((y - y0) * pw, pw);
                        int dy = Math.Min(up ? y - (r * 8) : 8, down ? (r * 8) + 7 - y : 8);
                        for (int x = c * 8; x < bx1; x++)
                        {
                            byte value = (byte)Math.Clamp(MathF.Round(outRow[x - x0] * 255f), 0f, 255f);
                            int d = Math.Min(dy, Math.Min(left ? x - (c * 8) : 8, right ? (c * 8) + 7 - x : 8));
                            int i = (y * w) + x;
                            if (d >= ramp)
                            {
                                img.Y[i] = value;
                            }
                            else
                            {
                                int orig = img.Y[i];
                                img.Y[i] = (byte)(orig + ((((value - orig) * (d + 1)) + (Math.Sign(value - orig) * (ramp + 1) / 2)) / (ramp + 1)));
                            }
                        }
                    }
                }
            }
        }

        return (blocks, plan.Count, pixels);
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
