using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Repair;

/// <summary>Name, version, execution provider and sha256 of the loaded enhancer model.</summary>
public sealed record EnhancerModelInfo(string Name, string Version, string ExecutionProvider, string Sha256);

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

    /// <summary>Wraps a session of an enhancer model.</summary>
    public EnhancerModel(OrtModelSession session)
    {
        _session = session;
        if (session.InputNames.Count != 1)
        {
            throw new ModelLoadException($"{session.Package.ModelPath}: an enhancer has 1 input (luma), manifest lists {session.InputNames.Count}");
        }

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
        // Tiles must start on the stride grid (the model sees the position inside the 8-px block), so the margin
        // is rounded up to a multiple of the stride.
        ContextMargin = LumaTensor.PadTo(Math.Max(m.ContextMargin, 0), m.Stride);
        Info = new EnhancerModelInfo(m.Name, m.Version, session.Provider, m.Sha256.ToLowerInvariant());
    }

    /// <summary>Name, version, provider, sha256.</summary>
    public EnhancerModelInfo Info { get; }

    /// <summary>Input sides are padded to multiples of this.</summary>
    public int Stride => _session.Manifest.Stride;

    /// <summary>Pixels of context around a tile (the manifest's <c>context_margin</c> rounded up to the stride).</summary>
    public int ContextMargin { get; }

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
                    _ = RunTile(run, PlaneView.Packed(blank, side, side), out _);
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

    /// <summary>Restores a whole luma plane (golden vectors, tests): returns the model output, padded size.</summary>
    public float[] Restore(PlaneView luma, out int paddedWidth, out int paddedHeight)
    {
        using var run = _session.Acquire();
        var output = RunTile(run, luma, out paddedWidth);
        paddedHeight = output.Length / paddedWidth;
        return output.ToArray();
    }

    /// <summary>Runs the model on one tile (a view into the luma plane); the output is paddedWidth wide, row-major.</summary>
    internal ReadOnlySpan<float> RunTile(InferenceRun run, in PlaneView tile, out int paddedWidth)
    {
        int pw = LumaTensor.PadTo(tile.Width, Stride), ph = LumaTensor.PadTo(tile.Height, Stride);
        ReadOnlySpan<long> shape = [1, 1, ph, pw];
        LumaTensor.Write(tile, run.Input(0, shape), pw, ph);
        run.Run();
        paddedWidth = pw;
        return run.Output(_restoredIndex);
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
