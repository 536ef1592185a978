using System.Text.Json;
using System.Text.Json.Serialization;

namespace VideoQuality.Inference;

/// <summary>The fields of <c>manifest.json</c> the services read (docs/MODEL_CONTRACT.md).</summary>
public sealed record ModelManifest
{
    /// <summary>Model name, e.g. "vq-detector".</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>"detector" or "enhancer".</summary>
    [JsonPropertyName("kind")] public required string Kind { get; init; }

    /// <summary>Semantic version.</summary>
    [JsonPropertyName("version")] public required string Version { get; init; }

    /// <summary>Model file name, relative to the manifest.</summary>
    [JsonPropertyName("file")] public string File { get; init; } = "model.onnx";

    /// <summary>sha256 of the model file, 64 lowercase hex digits.</summary>
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }

    /// <summary>ONNX opset.</summary>
    [JsonPropertyName("opset")] public int Opset { get; init; }

    /// <summary>Input sides must be multiples of this; callers pad by edge replication.</summary>
    [JsonPropertyName("stride")] public int Stride { get; init; } = 8;

    /// <summary>Mask block size in pixels (detector).</summary>
    [JsonPropertyName("block")] public int Block { get; init; } = 8;

    /// <summary>Model inputs in order.</summary>
    [JsonPropertyName("inputs")] public IReadOnlyList<TensorSpec> Inputs { get; init; } = [];

    /// <summary>Model outputs in order.</summary>
    [JsonPropertyName("outputs")] public IReadOnlyList<TensorSpec> Outputs { get; init; } = [];

    /// <summary>Post-processing thresholds (detector).</summary>
    [JsonPropertyName("postprocess")] public PostprocessSpec? Postprocess { get; init; }

    /// <summary>The fixed features a detector model takes instead of luma planes (detector 1.1.0 and later).</summary>
    [JsonPropertyName("features")] public FeatureSpec? Features { get; init; }

    /// <summary>Pixels of context around a tile (enhancer).</summary>
    [JsonPropertyName("context_margin")] public int ContextMargin { get; init; }

    /// <summary>The per-stream state a recurrent detector carries from frame to frame (detector 2.0.0 and later).</summary>
    [JsonPropertyName("recurrent")] public RecurrentSpec? Recurrent { get; init; }

    /// <summary>Parses a manifest; throws <see cref="ModelLoadException"/> when it is malformed.</summary>
    public static ModelManifest Parse(string json, string source)
    {
        ModelManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<ModelManifest>(json);
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException($"{source}: invalid manifest JSON: {ex.Message}", ex);
        }

        if (m is null)
        {
            throw new ModelLoadException($"{source}: empty manifest");
        }

        if (m.Sha256.Length != 64 || !m.Sha256.All(Uri.IsHexDigit))
        {
            throw new ModelLoadException($"{source}: sha256 must be 64 hex digits");
        }

        if (m.Stride <= 0 || m.Block <= 0)
        {
            throw new ModelLoadException($"{source}: stride and block must be positive");
        }

        if (m.Postprocess?.BlockFractionAlarm is { } f && !(f > 0 && f <= 1))
        {
            throw new ModelLoadException($"{source}: postprocess.block_fraction_alarm must be in (0, 1], got {f}");
        }

        return m;
    }
}

/// <summary>A named, versioned definition of precomputed model features (docs/MODEL_CONTRACT.md).</summary>
public sealed record FeatureSpec
{
    /// <summary>Definition name, e.g. "blockstats".</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>Definition version.</summary>
    [JsonPropertyName("version")] public int Version { get; init; }

    /// <summary>Channels of the feature tensor.</summary>
    [JsonPropertyName("channels")] public int Channels { get; init; }
}

/// <summary>A recurrent model's state: input <c>state</c> [N, channels, H/8, W/8], output <c>next_state</c> of the same
/// shape; zeros for a stream's first frame (docs/MODEL_CONTRACT.md).</summary>
public sealed record RecurrentSpec
{
    /// <summary>State input name.</summary>
    [JsonPropertyName("input")] public string Input { get; init; } = "state";

    /// <summary>Next-state output name.</summary>
    [JsonPropertyName("output")] public string Output { get; init; } = "next_state";

    /// <summary>State channels per block.</summary>
    [JsonPropertyName("channels")] public int Channels { get; init; }
}

/// <summary>One input or output of the model.</summary>
public sealed record TensorSpec
{
    /// <summary>Tensor name in the ONNX graph.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>Element type, "float32".</summary>
    [JsonPropertyName("dtype")] public string DType { get; init; } = "float32";
}

/// <summary>Detector post-processing parameters.</summary>
public sealed record PostprocessSpec
{
    /// <summary>Frames with severity below this are clean.</summary>
    [JsonPropertyName("severity_threshold")] public float SeverityThreshold { get; init; } = 0.5f;

    /// <summary>Per-channel block thresholds: [compression, transmission].</summary>
    [JsonPropertyName("mask_threshold")] public IReadOnlyList<float> MaskThreshold { get; init; } = [0.5f, 0.5f];

    /// <summary>Minimum share of transmission blocks for the transmission class.</summary>
    [JsonPropertyName("transmission_min_fraction")] public double TransmissionMinFraction { get; init; } = 0.002;

    /// <summary>Share of a frame's blocks in the mask from which the frame is flagged whatever the model's severity
    /// (severity = max(model severity, the share mapped so that this share is 0.5)); null: the model's severity.</summary>
    [JsonPropertyName("block_fraction_alarm")] public double? BlockFractionAlarm { get; init; }
}
