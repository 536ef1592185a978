using VideoQuality.Detection;
using VideoQuality.Inference;

namespace VideoQuality.Tests.Support;

/// <summary>
/// The models folder the tests run against: VQ_TEST_MODEL_ROOT, else VQ_MODEL_ROOT, else the repository's
/// models/ folder. Tests that need a model fail (they do not skip) when there is none.
/// </summary>
internal static class TestModels
{
    private static readonly Lazy<DetectorPipeline> SharedPipeline = new(() =>
        DetectorPipeline.Load(Root, inference: CpuOptions(maxConcurrency: 2)));

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "VideoQuality.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("VideoQuality.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Root =>
        Environment.GetEnvironmentVariable("VQ_TEST_MODEL_ROOT") is { Length: > 0 } t ? t
        : Environment.GetEnvironmentVariable("VQ_MODEL_ROOT") is { Length: > 0 } m ? m
        : Path.Combine(RepoRoot, "models");

    /// <summary>The highest detector version folder.</summary>
    public static string DetectorDirectory
    {
        get
        {
            var versions = ModelRegistry.ListVersions(Root, "detector");
            Assert.True(versions.Count > 0, $"no detector model under {Root}/detector (set VQ_TEST_MODEL_ROOT or ship models/detector/<semver>/)");
            return Path.Combine(Root, "detector", versions[0]);
        }
    }

    /// <summary>A pipeline shared by the unit tests (thread-safe).</summary>
    public static DetectorPipeline Pipeline => SharedPipeline.Value;

    public static InferenceOptions CpuOptions(int maxConcurrency = 1) =>
        new() { Providers = ["CPU"], IntraOpThreads = 1, MaxConcurrency = maxConcurrency };

    /// <summary>Copies the current detector version folder into a temp models root (for tampering tests).</summary>
    public static string CopyDetectorTo(string tempRoot, string version)
    {
        var src = DetectorDirectory;
        var dst = Path.Combine(tempRoot, "detector", version);
        Directory.CreateDirectory(dst);
        foreach (var f in new[] { "manifest.json", "model.onnx" })
        {
            File.Copy(Path.Combine(src, f), Path.Combine(dst, f));
        }

        return dst;
    }
}

/// <summary>A temp folder removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vqtest-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
