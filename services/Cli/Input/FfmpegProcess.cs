using System.Diagnostics;
using System.Text;

namespace VideoQuality.Cli.Input;

/// <summary>
/// One ffmpeg (or ffprobe) child process: arguments passed as a list (no shell quoting), stdout exposed as a stream,
/// the tail of stderr kept for error messages (lines a caller's <c>stderrLine</c> consumes are left out of it).
/// Disposing kills a process that is still running.
/// </summary>
internal sealed class FfmpegProcess : IAsyncDisposable
{
    private const int StderrTailChars = 4000;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Func<string, bool>? _stderrLine;
    private readonly Task _stderrPump;

    private FfmpegProcess(Process process, Func<string, bool>? stderrLine)
    {
        _process = process;
        _stderrLine = stderrLine;
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    public string StderrTail
    {
        get { lock (_stderr) { return _stderr.ToString().Trim(); } }
    }

    /// <param name="stderrLine">Sees each stderr line first; true = consumed (not kept for error messages).</param>
    public static FfmpegProcess Start(string tool, IEnumerable<string> arguments, Func<string, bool>? stderrLine = null)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        try
        {
            return new FfmpegProcess(Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}"), stderrLine);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start {tool} ({e.Message}); install ffmpeg (apt-get install ffmpeg) or run through ./vq", e);
        }
    }

    /// <summary>Runs a tool to completion and returns its stdout; throws with the stderr tail on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string tool, IEnumerable<string> arguments, CancellationToken ct)
    {
        await using var p = Start(tool, arguments);
        var stdout = await new StreamReader(p.StandardOutput).ReadToEndAsync(ct);
        var code = await p.WaitForExitAsync(ct);
        if (code != 0) throw new InvalidOperationException($"{tool} failed (exit {code}): {p.StderrTail}");
        return stdout;
    }

    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);
        await _stderrPump;
        return _process.ExitCode;
    }

    private async Task PumpStderrAsync()
    {
        var reader = _process.StandardError;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (_stderrLine?.Invoke(line) == true) continue;
            lock (_stderr)
            {
                _stderr.Append(line).Append('\n');
                if (_stderr.Length > 2 * StderrTailChars) _stderr.Remove(0, _stderr.Length - StderrTailChars);
            }
        }
    }

    /// <summary>Kills the process if it still runs.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        await _stderrPump;
        _process.Dispose();
    }
}
