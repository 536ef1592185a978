using System.ComponentModel.DataAnnotations;

namespace VideoQuality.Inference;

/// <summary>Where models come from (configuration section <c>Model</c>); validated when a host starts.</summary>
public sealed class ModelOptions : IValidatableObject
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

    /// <summary>Checks what can be checked before any model is read: the root exists, the version is a semantic
    /// version, the profile is a plain name (whether the model has it is checked when it loads).</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Root) && !Directory.Exists(Root))
        {
            yield return new ValidationResult($"Model:Root '{Root}' is not a folder", [nameof(Root)]);
        }

        if (!string.IsNullOrWhiteSpace(Version) && !SemanticVersion.TryParse(Version, out _))
        {
            yield return new ValidationResult($"Model:Version '{Version}' is not a semantic version (such as 2.0.0)", [nameof(Version)]);
        }

        if (!string.IsNullOrWhiteSpace(Profile) && !Profile.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-'))
        {
            yield return new ValidationResult($"Model:Profile '{Profile}' is not a profile name (such as fast or quality)", [nameof(Profile)]);
        }
    }

    /// <summary>The configured root, or the default one; throws <see cref="ModelLoadException"/> when there is none.</summary>
    public string ResolveRoot() =>
        !string.IsNullOrWhiteSpace(Root)
            ? Root
            : ModelRegistry.DefaultRoot() ?? throw new ModelLoadException(
                "no models folder: set Model:Root (or VQ_MODEL_ROOT), or place a models/ folder beside the application");
}
