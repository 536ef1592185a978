namespace VideoQuality.Detection;

/// <summary>Server- or pipeline-side time per stage, in microseconds.</summary>
/// <param name="DecodeUs">Frame validation and decoding to luma.</param>
/// <param name="PreprocessUs">Padding and float conversion.</param>
/// <param name="InferenceUs">Model run, including the wait for a free run slot.</param>
/// <param name="PostprocessUs">Thresholds, mask packing, region merging.</param>
public readonly record struct StageTimings(long DecodeUs, long PreprocessUs, long InferenceUs, long PostprocessUs)
{
    /// <summary>Sum of the stages.</summary>
    public long TotalUs => DecodeUs + PreprocessUs + InferenceUs + PostprocessUs;
}

/// <summary>The model behind a result.</summary>
/// <param name="Name">Manifest name.</param>
/// <param name="Version">Manifest version.</param>
/// <param name="ExecutionProvider">TensorRT, CUDA or CPU.</param>
/// <param name="Sha256">Manifest sha256 (verified).</param>
public sealed record DetectorModelInfo(string Name, string Version, string ExecutionProvider, string Sha256);

/// <summary>Detection result for one frame.</summary>
public sealed class DetectionResult
{
    /// <summary>Frame width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Frame height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Frame severity in [0,1]: the model's, raised by the mask's share of blocks where the model's
    /// post-processing says so (<see cref="DetectorPostprocessor.Fuse"/>).</summary>
    public required float Severity { get; init; }

    /// <summary>The model's own severity output (what the golden vectors pin).</summary>
    public required float ModelSeverity { get; init; }

    /// <summary>Frame class.</summary>
    public required FrameClass Class { get; init; }

    /// <summary>Compression OR transmission blocks (what vqbench scores).</summary>
    public required BlockMask Mask { get; init; }

    /// <summary>Compression blocks.</summary>
    public required BlockMask CompressionMask { get; init; }

    /// <summary>Transmission blocks.</summary>
    public required BlockMask TransmissionMask { get; init; }

    /// <summary>Flagged areas in pixels.</summary>
    public required IReadOnlyList<Region> Regions { get; init; }

    /// <summary>Block probabilities cropped to the frame's grid: compression plane then transmission plane (2*rows*cols).</summary>
    public required float[] BlockProbabilities { get; init; }

    /// <summary>Whether a real previous frame was the temporal context.</summary>
    public required bool HasTemporalContext { get; init; }

    /// <summary>Per-stage timings.</summary>
    public required StageTimings Timings { get; init; }

    /// <summary>The model that produced this result.</summary>
    public required DetectorModelInfo Model { get; init; }

    /// <summary>Whether a caller-kept recurrent state was the model's state input (unary calls with a state).</summary>
    public bool StateUsed { get; init; }

    /// <summary>This frame's recurrent state, when the caller asked for it (unary calls of a recurrent model).</summary>
    public RecurrentState? NextState { get; init; }
}
