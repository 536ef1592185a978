using System.Security.Cryptography;

namespace VideoQuality.Inference;

/// <summary>A model folder whose manifest was read and whose file matched the manifest's sha256.</summary>
/// <param name="Directory">The version folder (models/&lt;kind&gt;/&lt;version&gt;).</param>
/// <param name="ModelPath">Path of the ONNX file.</param>
/// <param name="Manifest">The parsed manifest.</param>
public sealed record ModelPackage(string Directory, string ModelPath, ModelManifest Manifest);

/// <summary>
/// Finds models under a models folder laid out as <c>&lt;root&gt;/&lt;kind&gt;/&lt;semver&gt;/</c>
/// (docs/MODEL_CONTRACT.md), picks the highest semantic version unless one is named, and refuses a model
/// whose file sha256 differs from its manifest.
/// </summary>
public static class ModelRegistry
{
    /// <summary>
    /// The models folder to use when none is configured: <c>VQ_MODEL_ROOT</c>, else the first <c>models</c>
    /// folder found next to the application or in one of its parent folders (the repository's models/ when
    /// running from a build output, /app/models in containers). Null when none exists.
    /// </summary>
    public static string? DefaultRoot()
    {
        var env = Environment.GetEnvironmentVariable("VQ_MODEL_ROOT");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return env;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Version folder names under <c>root/kind</c>, highest first (names that are not versions are ignored).</summary>
    public static IReadOnlyList<string> ListVersions(string root, string kind)
    {
        string kindDir = KindDirectory(root, kind);
        if (!System.IO.Directory.Exists(kindDir))
        {
            return [];
        }

        return System.IO.Directory.GetDirectories(kindDir)
            .Select(Path.GetFileName)
            .Select(n => (Name: n!, Ok: SemanticVersion.TryParse(n!, out var v), Version: v))
            .Where(t => t.Ok)
            .OrderByDescending(t => t.Version)
            .Select(t => t.Name)
            .ToList();
    }

    /// <summary>
    /// Loads and verifies <c>root/kind/version</c> (highest version when <paramref name="version"/> is null/empty).
    /// <paramref name="root"/> may also be a folder that contains <c>models/</c>.
    /// Throws <see cref="ModelLoadException"/> when nothing usable is found or the sha256 does not match.
    /// </summary>
    public static ModelPackage Resolve(string root, string kind, string? version = null, string? profile = null)
    {
        string kindDir = KindDirectory(root, kind);
        if (string.IsNullOrEmpty(version))
        {
            var versions = ListVersions(root, kind);
            if (versions.Count == 0)
            {
                throw new ModelLoadException($"no {kind} model found under {kindDir} (expected {kind}/<semver>/manifest.json)");
            }

            version = versions[0];
        }

        return Load(Path.Combine(kindDir, version), profile);
    }

    /// <summary>Loads one version folder: manifest, then the sha256 check of the model file (of <paramref name="profile"/>
    /// for models with profiles; null = the manifest's CPU default).</summary>
    public static ModelPackage Load(string versionDirectory, string? profile = null)
    {
        string manifestPath = Path.Combine(versionDirectory, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            throw new ModelLoadException($"model manifest not found: {manifestPath}");
        }

        var manifest = ModelManifest.Parse(File.ReadAllText(manifestPath), manifestPath);
        if ((profile ?? manifest.DefaultProfileFor(gpu: false)) is { } chosen)
        {
            manifest = manifest.WithProfile(chosen, manifestPath);
        }

        string modelPath = Path.Combine(versionDirectory, manifest.File);
        if (!File.Exists(modelPath))
        {
            throw new ModelLoadException($"model file not found: {modelPath}");
        }

        string actual = ComputeSha256(modelPath);
        if (!string.Equals(actual, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelLoadException(
                $"refusing model {modelPath}: sha256 {actual} does not match manifest sha256 {manifest.Sha256.ToLowerInvariant()}");
        }

        return new ModelPackage(versionDirectory, modelPath, manifest);
    }

    /// <summary>Lowercase hex sha256 of a file.</summary>
    public static string ComputeSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string KindDirectory(string root, string kind)
    {
        string direct = Path.Combine(root, kind);
        string nested = Path.Combine(root, "models", kind);
        return !System.IO.Directory.Exists(direct) && System.IO.Directory.Exists(nested) ? nested : direct;
    }
}
