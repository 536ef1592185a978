using System.Text;
using VideoQuality.Detection;

namespace VideoQuality.Cli.Output;

/// <summary>
/// Writes DIR/&lt;stem&gt;.jsonl in the vqbench prediction format, one line per frame in order:
/// <c>{"frame": 0, "severity": 0.83, "class": "compression", "mask": {"block": 8, "rows": 45, "cols": 80, "bits": "00ff..."}}</c>.
/// Each line is flushed as it is written, so a live input's file is readable (and scoreable up to that frame) while it runs.
/// </summary>
internal sealed class PredictionWriter : IAsyncDisposable
{
    private readonly StreamWriter _writer;
    private long _expected;

    private PredictionWriter(string path, StreamWriter writer)
    {
        Path = path;
        _writer = writer;
    }

    public string Path { get; }

    public static PredictionWriter Create(string outDir, string input)
    {
        Directory.CreateDirectory(outDir);
        var path = System.IO.Path.Combine(outDir, StemOf(input) + ".jsonl");
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        return new PredictionWriter(path, new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" });
    }

    /// <summary>The output file stem of an input: the file name without extension, for URLs the last path segment
    /// (or the host when the path is empty), with characters unsafe in file names replaced by '_'.</summary>
    public static string StemOf(string input)
    {
        var stem = System.IO.Path.GetFileNameWithoutExtension(input.TrimEnd('/'));
        if (Uri.TryCreate(input, UriKind.Absolute, out var uri) && !uri.IsFile)
        {
            var last = uri.AbsolutePath.TrimEnd('/').Split('/')[^1];
            stem = last.Length > 0 ? System.IO.Path.GetFileNameWithoutExtension(last) : $"{uri.Host}_{(uri.IsDefaultPort ? 0 : uri.Port)}";
        }
        var invalid = System.IO.Path.GetInvalidFileNameChars();
        var clean = new string(stem.Select(c => invalid.Contains(c) || c == ':' ? '_' : c).ToArray());
        return clean.Length > 0 ? clean : "input";
    }

    public async Task WriteAsync(FrameResult result, CancellationToken ct)
    {
        if (result.Frame != _expected) throw new InvalidOperationException($"frame {result.Frame} written out of order (expected {_expected})");
        await _writer.WriteLineAsync(FormatLine(result).AsMemory(), ct);
        await _writer.FlushAsync(ct);
        _expected++;
    }

    /// <summary>One JSONL line, formatted by the Detection library's <see cref="VqbenchLine"/> (the one home of the format).</summary>
    public static string FormatLine(FrameResult r) =>
        VqbenchLine.Format(checked((int)r.Frame), r.Severity, r.Class, r.Mask.BlockSize, r.Mask.Rows, r.Mask.Cols, r.Mask.Bits);

    public async ValueTask DisposeAsync()
    {
        await _writer.FlushAsync();
        await _writer.DisposeAsync();
    }
}
