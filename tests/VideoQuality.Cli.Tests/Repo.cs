using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace VideoQuality.Cli.Tests;

/// <summary>The repository around the test binaries, its models and the vqbench ruler beside it (../shared/vqbench).</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Models => Path.Combine(Root, "models");

    public static CliEnvironment Environment => new(Root, Path.Combine(Root, ".vq", "bin"));

    /// <summary>vqbench.py at ../shared/vqbench (VQBENCH overrides). Missing is a test failure with a clear message, never a skip.</summary>
    public static string Vqbench
    {
        get
        {
            var path = System.Environment.GetEnvironmentVariable("VQBENCH") is { Length: > 0 } env
                ? env : Path.GetFullPath(Path.Combine(Root, "..", "shared", "vqbench", "vqbench.py"));
            Assert.True(File.Exists(path), $"vqbench not found at {path}: these tests score the CLI output with it (set VQBENCH=/path/to/vqbench.py)");
            return path;
        }
    }

    /// <summary>Runs vqbench with Debian's python (it needs numpy); returns stdout, fails the test with its output on error.</summary>
    public static async Task<string> RunVqbenchAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Vqbench);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"vqbench {string.Join(' ', args)} failed ({p.ExitCode}):\n{await stdout}\n{await stderr}");
        return await stdout;
    }

    public static int FreeTcpPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "VideoQuality.sln"))) return d.FullName;
        }
        throw new InvalidOperationException("VideoQuality.sln not found above " + AppContext.BaseDirectory);
    }
}
