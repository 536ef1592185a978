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

    /// <summary>
    /// Alternative model files of one version that trade cost for quality (enhancer 2.0.0 and later: <c>fast</c>,
    /// <c>quality</c>); each names its own file, sha256, context margin and cost. Empty: one model (<see cref="File"/>).
    /// </summary>
    [JsonPropertyName("profiles")] public IReadOnlyDictionary<string, ProfileSpec> Profiles { get; init; } = new Dictionary<string, ProfileSpec>();

    /// <summary>The profile used when none is configured, per kind of execution provider (keys <c>cpu</c>, <c>gpu</c>).</summary>
    [JsonPropertyName("default_profile")] public IReadOnlyDictionary<string, string> DefaultProfile { get; init; } = new Dictionary<string, string>();

    /// <summary>The profile this manifest was resolved to (<see cref="WithProfile"/>); empty for models without profiles.</summary>
    [JsonIgnore] public string Profile { get; init; } = string.Empty;

    /// <summary>This manifest with <see cref="File"/>, <see cref="Sha256"/> and <see cref="ContextMargin"/> taken from
    /// the named profile; throws <see cref="ModelLoadException"/> when the model has no such profile.</summary>
    public ModelManifest WithProfile(string profile, string source)
    {
        if (!Profiles.TryGetValue(profile, out var p))
        {
            throw new ModelLoadException(Profiles.Count == 0
                ? $"{source}: {Name} {Version} has no profiles (asked for '{profile}')"
                : $"{source}: {Name} {Version} has no profile '{profile}' (it has {string.Join(", ", Profiles.Keys)})");
        }

        return this with { File = p.File, Sha256 = p.Sha256, ContextMargin = p.ContextMargin, Profile = profile };
    }

    /// <summary>The profile to use on a provider when none is configured: <see cref="DefaultProfile"/>'s entry for
    /// <c>gpu</c> or <c>cpu</c>, else the first profile; null for models without profiles.</summary>
    public string? DefaultProfileFor(bool gpu) =>
        Profiles.Count == 0 ? null
        : DefaultProfile.TryGetValue(gpu ? "gpu" : "cpu", out var name) && Profiles.ContainsKey(name) ? name
        : Profiles.Keys.First();

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

        foreach (var (name, p) in m.Profiles)
        {
            if (p.Sha256.Length != 64 || !p.Sha256.All(Uri.IsHexDigit) || string.IsNullOrWhiteSpace(p.File) || p.ContextMargin < 0)
            {
                throw new ModelLoadException($"{source}: profile '{name}' needs a file, a 64-hex-digit sha256 and a context_margin >= 0");
            }
        }

        return m;
    }
}

/// <summary>One cost/quality profile of a model version (<see cref="ModelManifest.Profiles"/>).</summary>
public sealed record ProfileSpec
{
    /// <summary>Model file name, relative to the manifest.</summary>
    [JsonPropertyName("file")] public required string File { get; init; }

    /// <summary>sha256 of the file.</summary>
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }

    /// <summary>Pixels of context around a tile.</summary>
    [JsonPropertyName("context_margin")] public int ContextMargin { get; init; }
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
