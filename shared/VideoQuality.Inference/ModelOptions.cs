namespace VideoQuality.Inference;

/// <summary>Where models come from (configuration section <c>Model</c>).</summary>
public sealed class ModelOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Model";

    /// <summary>The models folder (holding detector/, enhancer/); null = <see cref="ModelRegistry.DefaultRoot"/>.</summary>
    public string? Root { get; set; }

    /// <summary>Version to load; null = the highest semantic version present.</summary>
    public string? Version { get; set; }

    /// <summary>
    /// Profile to load for models that ship several (enhancer 2.0.0 and later: <c>fast</c>, <c>quality</c>); null =
    /// the manifest's default for the execution provider in use (fast on CPU, quality on CUDA/TensorRT).
    /// </summary>
    public string? Profile { get; set; }

    /// <summary>The configured root, or the default one; throws <see cref="ModelLoadException"/> when there is none.</summary>
    public string ResolveRoot() =>
        !string.IsNullOrWhiteSpace(Root)
            ? Root
            : ModelRegistry.DefaultRoot() ?? throw new ModelLoadException(
                "no models folder: set Model:Root (or VQ_MODEL_ROOT), or place a models/ folder beside the application");
}
