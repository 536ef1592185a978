using System.Globalization;
using System.Text;
using System.Text.Json;

namespace VideoQuality.Detection;

/// <summary>
/// One line of a vqbench prediction file (<c>&lt;clip&gt;.jsonl</c>):
/// <c>{"frame": 0, "severity": 0.83, "class": "compression", "mask": {"block": 8, "rows": 45, "cols": 80, "bits": "00ff..."}}</c>.
/// Severity is rounded to 6 decimals, as vqbench's own baselines write it. <see cref="Read"/> reads such a file back
/// with vqbench's own checks (<c>read_preds</c> / <c>decode_mask</c>): valid JSON on every non-blank line, frames
/// 0, 1, 2... in order, severity in [0, 1], class one of vqbench's names or absent, a mask on the 8-px grid or the
/// 16-px one (each bit then covers 2x2 blocks of 8 px, clipped at the frame's edge).
/// </summary>
public static class VqbenchLine
{
    /// <summary>Formats a result (no trailing newline).</summary>
    public static string Format(int frame, DetectionResult result) =>
        Format(frame, result.Severity, result.Class, result.Mask.BlockSize, result.Mask.Rows, result.Mask.Cols, result.Mask.Bits);

    /// <summary>Formats from parts (for results received over gRPC); <paramref name="includeMask"/> false omits the mask.
    /// <paramref name="ptsMs"/> (the frame's presentation time) and <paramref name="wallClock"/> (when a live frame arrived)
    /// add <c>"pts_ms"</c> and <c>"wallclock"</c> (ISO 8601 UTC) after the class; vqbench ignores them.</summary>
    public static string Format(int frame, float severity, FrameClass cls, int block, int rows, int cols, ReadOnlySpan<byte> maskBits, bool includeMask = true,
        double? ptsMs = null, DateTimeOffset? wallClock = null)
    {
        var sb = new StringBuilder(64 + (maskBits.Length * 2));
        sb.Append(CultureInfo.InvariantCulture, $"{{\"frame\": {frame}, \"severity\": {Severity(severity)}, \"class\": \"{cls.ToVqbenchName()}\"");
        if (ptsMs is { } pts)
        {
            sb.Append(CultureInfo.InvariantCulture, $", \"pts_ms\": {Milliseconds(pts)}");
        }

        if (wallClock is { } at)
        {
            sb.Append(CultureInfo.InvariantCulture, $", \"wallclock\": \"{WallClock(at)}\"");
        }

        if (includeMask)
        {
            sb.Append(CultureInfo.InvariantCulture, $", \"mask\": {{\"block\": {block}, \"rows\": {rows}, \"cols\": {cols}, \"bits\": \"");
            sb.Append(MaskCodec.ToHex(maskBits));
            sb.Append("\"}");
        }

        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>A severity as the prediction files write it: clamped to [0, 1], 6 decimals at most.</summary>
    public static string Severity(float severity) => Math.Round(Math.Clamp((double)severity, 0.0, 1.0), 6).ToString("0.0#####", CultureInfo.InvariantCulture);

    /// <summary>A time in milliseconds as the prediction files write it: microsecond precision.</summary>
    public static string Milliseconds(double ms) => Math.Round(ms, 3).ToString("0.0##", CultureInfo.InvariantCulture);

    /// <summary>A wall-clock time as the prediction files write it: ISO 8601, UTC, milliseconds.</summary>
    public static string WallClock(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads a prediction file; throws <see cref="InvalidDataException"/> naming the file, line and field for anything
    /// vqbench would reject (the grid is checked later, per frame, by <see cref="VqbenchPrediction.Mask8"/>).
    /// </summary>
    public static IReadOnlyList<VqbenchPrediction> Read(string path)
    {
        var lines = new List<VqbenchPrediction>();
        int n = 0;
        foreach (var text in File.ReadLines(path))
        {
            n++;
            if (!string.IsNullOrWhiteSpace(text))
            {
                lines.Add(Parse(text, lines.Count, $"{path} line {n}"));
            }
        }

        return lines;
    }

    /// <summary>Parses one line that must be frame <paramref name="frame"/>; <paramref name="where"/> prefixes errors.</summary>
    public static VqbenchPrediction Parse(string line, int frame, string where)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(where, "not a JSON object");
            }

            if (!root.TryGetProperty("frame", out var f) || !f.TryGetInt32(out int got) || got != frame)
            {
                throw Bad(where, $"'frame' must be {frame} (frames in order)");
            }

            if (!root.TryGetProperty("severity", out var s) || s.ValueKind != JsonValueKind.Number || s.GetDouble() is < 0 or > 1)
            {
                throw Bad(where, "severity must be a number in [0,1]");
            }

            FrameClass? cls = null;
            if (root.TryGetProperty("class", out var c) && c.ValueKind != JsonValueKind.Null)
            {
                cls = c.GetString() switch
                {
                    "clean" => FrameClass.Clean,
                    "compression" => FrameClass.Compression,
                    "transmission" => FrameClass.Transmission,
                    _ => throw Bad(where, "class must be clean, compression or transmission"),
                };
            }

            BlockMask? mask = null;
            if (root.TryGetProperty("mask", out var m) && m.ValueKind != JsonValueKind.Null)
            {
                if (!m.TryGetProperty("block", out var b) || !b.TryGetInt32(out int block) || block is not (8 or 16)
                    || !m.TryGetProperty("rows", out var r) || !r.TryGetInt32(out int rows) || rows < 0
                    || !m.TryGetProperty("cols", out var k) || !k.TryGetInt32(out int cols) || cols < 0 || (long)rows * cols > 1 << 26
                    || !m.TryGetProperty("bits", out var h) || h.ValueKind != JsonValueKind.String)
                {
                    throw Bad(where, "mask needs block (8 or 16), rows, cols and bits (hex)");
                }

                var hex = h.GetString()!;
                if (hex.Length != 2 * MaskCodec.PackedLength(rows * cols))
                {
                    throw Bad(where, $"a {rows}x{cols} mask needs {2 * MaskCodec.PackedLength(rows * cols)} hex digits, got {hex.Length}");
                }

                byte[] packed;
                try
                {
                    packed = MaskCodec.FromHex(hex);
                }
                catch (FormatException)
                {
                    throw Bad(where, "mask bits are not hex");
                }

                mask = new BlockMask(block, rows, cols, packed);
            }

            return new VqbenchPrediction(frame, s.GetDouble(), cls, mask, where);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Bad(where, $"invalid JSON ({e.Message})");
        }
    }

    private static InvalidDataException Bad(string where, string message) => new($"{where}: {message}");
}

/// <summary>One frame of a vqbench prediction file (<see cref="VqbenchLine.Read"/>); <paramref name="Where"/> names its line.</summary>
public sealed record VqbenchPrediction(int Frame, double Severity, FrameClass? Class, BlockMask? Mask, string Where)
{
    /// <summary>
    /// The mask on the 8-px grid of a frame of <paramref name="rows"/> x <paramref name="cols"/> blocks (empty when the
    /// line has none); throws <see cref="InvalidDataException"/> when its grid is not that frame's (8 px) or its
    /// half (16 px, <c>ceil(rows/2) x ceil(cols/2)</c>).
    /// </summary>
    public BlockMask Mask8(int rows, int cols)
    {
        if (Mask is not { } m)
        {
            return new BlockMask(8, rows, cols, new byte[MaskCodec.PackedLength(rows * cols)]);
        }

        int er = m.BlockSize == 16 ? (rows + 1) / 2 : rows, ec = m.BlockSize == 16 ? (cols + 1) / 2 : cols;
        if (m.Rows != er || m.Cols != ec)
        {
            throw new InvalidDataException($"{Where}: mask is {m.Rows}x{m.Cols} blocks of {m.BlockSize} px, the frame needs "
                                           + $"{rows}x{cols} blocks of 8 px or {(rows + 1) / 2}x{(cols + 1) / 2} of 16 px");
        }

        if (m.BlockSize == 8)
        {
            return m;
        }

        var bits = new bool[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                bits[(r * cols) + c] = MaskCodec.Get(m.Bits, ((r / 2) * m.Cols) + (c / 2));
            }
        }

        return new BlockMask(8, rows, cols, MaskCodec.Pack(bits));
    }
}
