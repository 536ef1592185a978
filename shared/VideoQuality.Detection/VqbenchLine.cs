using System.Globalization;
using System.Text;

namespace VideoQuality.Detection;

/// <summary>
/// One line of a vqbench prediction file (<c>&lt;clip&gt;.jsonl</c>):
/// <c>{"frame": 0, "severity": 0.83, "class": "compression", "mask": {"block": 8, "rows": 45, "cols": 80, "bits": "00ff..."}}</c>.
/// Severity is rounded to 6 decimals, as vqbench's own baselines write it.
/// </summary>
public static class VqbenchLine
{
    /// <summary>Formats a result (no trailing newline).</summary>
    public static string Format(int frame, DetectionResult result) =>
        Format(frame, result.Severity, result.Class, result.Mask.BlockSize, result.Mask.Rows, result.Mask.Cols, result.Mask.Bits);

    /// <summary>Formats from parts (for results received over gRPC); <paramref name="includeMask"/> false omits the mask.</summary>
    public static string Format(int frame, float severity, FrameClass cls, int block, int rows, int cols, ReadOnlySpan<byte> maskBits, bool includeMask = true)
    {
        double s = Math.Round(Math.Clamp((double)severity, 0.0, 1.0), 6);
        var sb = new StringBuilder(64 + (maskBits.Length * 2));
        sb.Append(CultureInfo.InvariantCulture, $"{{\"frame\": {frame}, \"severity\": {s.ToString("0.0#####", CultureInfo.InvariantCulture)}, \"class\": \"{cls.ToVqbenchName()}\"");
        if (includeMask)
        {
            sb.Append(CultureInfo.InvariantCulture, $", \"mask\": {{\"block\": {block}, \"rows\": {rows}, \"cols\": {cols}, \"bits\": \"");
            sb.Append(MaskCodec.ToHex(maskBits));
            sb.Append("\"}");
        }

        sb.Append('}');
        return sb.ToString();
    }
}
