namespace VideoQuality.Cli.Tests;

/// <summary>Where models come from when --model-root is not given (--model-root itself wins over all of these).</summary>
public sealed class CliEnvironmentTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void Vq_model_root_comes_first()
    {
        Directory.CreateDirectory(_dir.File("bin/models/detector"));
        Assert.Equal(_dir.File("mine"), CliEnvironment.ModelRootFrom(_dir.File("mine"), _dir.File("bin"), _dir.File("repo")));
    }

    [Fact]
    public void Then_the_models_bundled_beside_the_installed_tool()
    {
        Directory.CreateDirectory(_dir.File("bin/models/detector"));
        Assert.Equal(_dir.File("bin/models"), CliEnvironment.ModelRootFrom(null, _dir.File("bin"), _dir.File("repo")));
    }

    [Fact]
    public void Then_the_checkouts_models()
    {
        Directory.CreateDirectory(_dir.File("bin"));
        Assert.Equal(_dir.File("repo/models"), CliEnvironment.ModelRootFrom("", _dir.File("bin"), _dir.File("repo")));
    }

    public void Dispose() => _dir.Dispose();
}
