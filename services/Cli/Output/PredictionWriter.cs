using System.Text;
using VideoQuality.Detection;

namespace VideoQuality.Cli.Output;

/// <summary>
/// Writes DIR/&lt;stem&gt;.jsonl in the vqbench prediction format, one line per frame in order:
/// <c>{"frame": 0, "severity": 0.83, "class": "compression", "pts_ms": 0.0, "mask": {"block": 8, "rows": 45, "cols": 80, "bits": "00ff..."}}</c>
/// (<c>pts_ms</c>: the frame's presentation time from ffmpeg; live inputs add <c>"wallclock"</c>, when the frame arrived),
/// or with <c>csv</c> DIR/&lt;stem&gt;.csv with the same fields (<see cref="CsvHeader"/>). Each line is flushed as it is
/// written, so a live input's file is readable (and scoreable up to that frame) while it runs.
/// </summary>
internal sealed class PredictionWriter : IAsyncDisposable
{
    /// <summary>The CSV columns: the JSONL fields, the mask flattened (bits as hex, as in JSONL).</summary>
    public const string CsvHeader = "frame,pts_ms,wallclock,severity,class,mask_block,mask_rows,mask_cols,mask_bits";

    private readonly StreamWriter _writer;
    private readonly bool _csv;
    private long _expected;

    private PredictionWriter(string path, StreamWriter writer, bool csv)
    {
        Path = path;
        _writer = writer;
        _csv = csv;
    }

    public string Path { get; }

    public static PredictionWriter Create(string outDir, string input, bool csv = false)
    {
        Directory.CreateDirectory(outDir);
        var path = System.IO.Path.Combine(outDir, StemOf(input) + (csv ? ".csv" : ".jsonl"));
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
        if (csv) writer.WriteLine(CsvHeader);
        return new PredictionWriter(path, writer, csv);
    }

    /// <summary>The output file stem (and `vq monitor`'s stream id) of an input: for files the file name without extension;
    /// for URLs host, port (when given) and path joined by '_', the last segment without its extension
    /// (<c>https://cdn.example.com/live/ch1/index.m3u8</c> is <c>cdn.example.com_live_ch1_index</c>), so two feeds whose paths
    /// end alike do not collide. Characters unsafe in file names become '_'.</summary>
    public static string StemOf(string input)
    {
        var stem = System.IO.Path.GetFileNameWithoutExtension(input.TrimEnd('/'));
        if (Uri.TryCreate(input, UriKind.Absolute, out var uri) && !uri.IsFile)
        {
            var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length > 0) segments[^1] = System.IO.Path.GetFileNameWithoutExtension(segments[^1]);
            string[] parts = [uri.Host, .. uri.IsDefaultPort || uri.Port < 0 ? [] : new[] { uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, .. segments];
            stem = string.Join('_', parts.Where(p => p.Length > 0).Select(Uri.UnescapeDataString));
        }
        var invalid = System.IO.Path.GetInvalidFileNameChars();
        var clean = new string(stem.Select(c => invalid.Contains(c) || c == ':' ? '_' : c).ToArray());
        return clean.Length > 0 ? clean : "input";
    }

    public async Task WriteAsync(FrameResult result, CancellationToken ct)
    {
        if (result.Frame != _expected) throw new InvalidOperationException($"frame {result.Frame} written out of order (expected {_expected})");
        await _writer.WriteLineAsync((_csv ? FormatCsv(result) : FormatLine(result)).AsMemory(), ct);
        await _writer.FlushAsync(ct);
        _expected++;
    }

    /// <summary>One JSONL line, formatted by the Detection library's <see cref="VqbenchLine"/> (the one home of the format).</summary>
    public static string FormatLine(FrameResult r) =>
        VqbenchLine.Format(checked((int)r.Frame), r.Severity, r.Class, r.Mask.BlockSize, r.Mask.Rows, r.Mask.Cols, r.Mask.Bits,
            ptsMs: r.PtsUs / 1000.0, wallClock: r.ReceivedAt);

    /// <summary>One CSV row (<see cref="CsvHeader"/>): no field needs quoting (numbers, class names, hex, ISO 8601).</summary>
    public static string FormatCsv(FrameResult r)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var pts = r.PtsUs is { } us ? VqbenchLine.Milliseconds(us / 1000.0) : string.Empty;
        var at = r.ReceivedAt is { } t ? VqbenchLine.WallClock(t) : string.Empty;
        return string.Join(',', r.Frame.ToString(inv), pts, at, VqbenchLine.Severity(r.Severity), r.Class.ToVqbenchName(),
            r.Mask.BlockSize.ToString(inv), r.Mask.Rows.ToString(inv), r.Mask.Cols.ToString(inv), MaskCodec.ToHex(r.Mask.Bits));
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.FlushAsync();
        await _writer.DisposeAsync();
    }
}
