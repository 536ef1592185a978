using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Repair;

/// <summary>Name, version, execution provider, sha256 and cost profile ("fast", "quality"; empty for models without
/// profiles) of the loaded enhancer model.</summary>
public sealed record EnhancerModelInfo(string Name, string Version, string ExecutionProvider, string Sha256, string Profile);

/// <summary>
/// The enhancer ONNX model (docs/MODEL_CONTRACT.md: input <c>luma</c> [N,1,h,w] Y/255, output <c>restored</c>, same
/// shape) on an <see cref="OrtModelSession"/> (registry, sha256 check and provider chain of the Inference library).
/// Tiles are written into the model input with <see cref="LumaTensor"/> (Y/255, right/bottom edge replication to
/// the stride), so the scaling is the detector's. Thread-safe; runs are bounded by the session's concurrency.
/// </summary>
public sealed partial class EnhancerModel : IDisposable
{
    private readonly OrtModelSession _session;
    private readonly int _restoredIndex;
    private readonly bool _takesGrid;

    /// <summary>Wraps a session of an enhancer model.</summary>
    public EnhancerModel(OrtModelSession session)
    {
        _session = session;
        _takesGrid = session.InputNames switch
        {
            ["luma"] => false,
            ["luma", "grid"] => true,
            _ => throw new ModelLoadException($"{session.Package.ModelPath}: an enhancer takes (luma) or (luma, grid), the manifest lists ({string.Join(", ", session.InputNames)})"),
        };

        _restoredIndex = -1;
        for (int i = 0; i < session.OutputNames.Count; i++)
        {
            if (session.OutputNames[i] == "restored")
            {
                _restoredIndex = i;
            }
        }

        if (_restoredIndex < 0)
        {
            throw new ModelLoadException($"{session.Package.ModelPath}: enhancer output 'restored' missing");
        }

        var m = session.Manifest;
        // A model that takes the block-boundary channels (1.1.0 on) runs tiles of any origin with exactly its
        // receptive field as context; one that derives them from the tile (1.0.0) needs tiles that start on the
        // 8-px grid, so its margin is rounded up to the stride.
        TileAlignment = _takesGrid ? 1 : Math.Max(m.Stride, 1);
        ContextMargin = LumaTensor.PadTo(Math.Max(m.ContextMargin, 0), TileAlignment);
        Info = new EnhancerModelInfo(m.Name, m.Version, session.Provider, m.Sha256.ToLowerInvariant(), m.Profile);
    }

    /// <summary>Name, version, provider, sha256.</summary>
    public EnhancerModelInfo Info { get; }

    /// <summary>Input sides are padded to multiples of this.</summary>
    public int Stride => _session.Manifest.Stride;

    /// <summary>Pixels of context a tile needs around the pixels taken from it.</summary>
    public int ContextMargin { get; }

    /// <summary>Tile origins must be multiples of this (1: anywhere).</summary>
    public int TileAlignment { get; }

    /// <summary>The underlying session.</summary>
    public OrtModelSession Session => _session;

    /// <summary>Finds (highest version unless set), verifies, loads and warms up the enhancer under the models root.</summary>
    public static EnhancerModel Load(ModelOptions model, InferenceOptions inference, ILoggerFactory? loggerFactory = null)
    {
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EnhancerModel>();
        return OrtModelSession.Open(model, "enhancer", inference, logger, session => new EnhancerModel(session), m => m.WarmUp());
    }

    /// <summary>Runs a few tile sizes on every run slot so the first frames are not slow.</summary>
    public void WarmUp()
    {
        var blank = new byte[144 * 144];
        var runs = new List<InferenceRun>();
        try
        {
            for (int i = 0; i < _session.Concurrency; i++)
            {
                runs.Add(_session.Acquire());
            }

            foreach (var run in runs)
            {
                foreach (int side in new[] { 24, 144 })
                {
                    _ = RunTile(run, PlaneView.Packed(blank, side, side), 0, 0, out _);
                }
            }
        }
        finally
        {
            foreach (var run in runs)
            {
                run.Dispose();
            }
        }
    }

    /// <summary>Restores a luma plane whose top-left pixel is (<paramref name="originX"/>, <paramref name="originY"/>)
    /// of its frame (golden vectors, tests): returns the model output and its padded size.</summary>
    public float[] Restore(PlaneView luma, out int paddedWidth, out int paddedHeight, int originX = 0, int originY = 0)
    {
        using var run = _session.Acquire();
        var output = RunTile(run, luma, originX, originY, out paddedWidth);
        paddedHeight = output.Length / paddedWidth;
        return output.ToArray();
    }

    /// <summary>Runs the model on one tile (a view into the luma plane starting at (<paramref name="originX"/>,
    /// <paramref name="originY"/>) of the frame); the output is paddedWidth wide, row-major.</summary>
    internal ReadOnlySpan<float> RunTile(InferenceRun run, in PlaneView tile, int originX, int originY, out int paddedWidth)
    {
        if (originX % TileAlignment != 0 || originY % TileAlignment != 0)
        {
            throw new ArgumentException($"{Info.Name} {Info.Version} needs tiles that start on multiples of {TileAlignment} px");
        }

        int pw = LumaTensor.PadTo(tile.Width, Stride), ph = LumaTensor.PadTo(tile.Height, Stride);
        LumaTensor.Write(tile, run.Input(0, [1, 1, ph, pw]), pw, ph);
        if (_takesGrid)
        {
            BlockGrid(run.Input(1, [1, 2, ph, pw]), pw, ph, originX, originY);
        }

        run.Run();
        paddedWidth = pw;
        return run.Output(_restoredIndex);
    }

    /// <summary>The model's <c>grid</c> input: channel 0 is 1 on the first and last column of every 8x8 block of the
    /// frame, channel 1 on the first and last row (training/vqtrain/models.py <c>grid_channels</c>).</summary>
    internal static void BlockGrid(Span<float> dest, int width, int height, int originX, int originY)
    {
        var cols = dest[..(width * height)];
        var rows = dest.Slice(width * height, width * height);
        var first = cols[..width];
        for (int x = 0; x < width; x++)
        {
            int p = (originX + x) % 8;
            first[x] = p is 0 or 7 ? 1f : 0f;
        }

        for (int y = 0; y < height; y++)
        {
            first.CopyTo(cols.Slice(y * width, width));
            int p = (originY + y) % 8;
            rows.Slice(y * width, width).Fill(p is 0 or 7 ? 1f : 0f);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
