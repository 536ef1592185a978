using System.Diagnostics;

namespace VideoQuality.Tests.Support;

/// <summary>Runs the real ffmpeg binary.</summary>
internal static class Ffmpeg
{
    public static byte[] Run(string args, byte[]? stdin = null)
    {
        var psi = new ProcessStartInfo("ffmpeg", (stdin is null ? "-nostdin " : string.Empty) + "-hide_banner -loglevel error " + args)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var err = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }

        copy.Wait();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "ffmpeg failed: " + err.Result);
        return stdout.ToArray();
    }
}
