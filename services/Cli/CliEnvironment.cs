namespace VideoQuality.Cli;

/// <summary>
/// Where the CLI finds the repository and the built service hosts. ./vq sets VQ_REPO_ROOT and VQ_SERVICES_BIN; run
/// directly, the repository root is the first ancestor of the working directory (or of the binary) with VideoQuality.sln.
/// </summary>
internal sealed record CliEnvironment(string RepoRoot, string ServicesBin)
{
    /// <summary>Models when --model-root is not given: VQ_MODEL_ROOT, else the models/ bundled beside the binary (the
    /// installed .NET tool), else the checkout's models/.</summary>
    public string ModelRoot => ModelRootFrom(Environment.GetEnvironmentVariable("VQ_MODEL_ROOT"), AppContext.BaseDirectory, RepoRoot);

    internal static string ModelRootFrom(string? variable, string binaryDir, string repoRoot)
    {
        if (variable is { Length: > 0 }) return Path.GetFullPath(variable);
        var bundled = Path.Combine(binaryDir, "models");
        return Directory.Exists(Path.Combine(bundled, "detector")) ? bundled : Path.Combine(repoRoot, "models");
    }

    public static CliEnvironment Detect()
    {
        var root = Environment.GetEnvironmentVariable("VQ_REPO_ROOT") is { Length: > 0 } r ? r
            : FindRepoRoot(Directory.GetCurrentDirectory()) ?? FindRepoRoot(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();
        var bin = Environment.GetEnvironmentVariable("VQ_SERVICES_BIN") is { Length: > 0 } b ? b : Path.Combine(root, ".vq", "bin");
        return new CliEnvironment(Path.GetFullPath(root), Path.GetFullPath(bin));
    }

    private static string? FindRepoRoot(string start)
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "VideoQuality.sln"))) return d.FullName;
        }
        return null;
    }
}
