namespace VideoQuality.Cli.Demo;

/// <summary>
/// Simulates packet loss on an H.264 Annex B stream the way vqbench's h264_sliceloss does: non-IDR slice NAL units
/// (type 1) are dropped with probability p, except the first slice of each picture (first_mb_in_slice = 0, i.e. the
/// first bit after the NAL header is 1), so every picture still decodes and the frame count stays the same.
/// SPS, PPS, SEI and IDR slices are always kept. The decoder's error concealment then smears the lost slices.
/// </summary>
internal static class SliceLoss
{
    public static byte[] Drop(ReadOnlySpan<byte> annexB, double p, int seed, out int dropped)
    {
        var random = new Random(seed);
        var output = new List<byte>(annexB.Length);
        dropped = 0;
        foreach (var (start, end) in NalUnits(annexB))
        {
            var nal = annexB[start..end];
            var payload = nal[StartCodeLength(nal)..];
            var type = payload.Length > 0 ? payload[0] & 0x1F : -1;
            var firstOfPicture = payload.Length > 1 && (payload[1] & 0x80) != 0;
            if (type == 1 && !firstOfPicture && random.NextDouble() < p)
            {
                dropped++;
                continue;
            }
            output.AddRange(nal);
        }
        return [.. output];
    }

    /// <summary>Ranges of NAL units, each including its leading start code (00 00 01 or 00 00 00 01).</summary>
    internal static List<(int Start, int End)> NalUnits(ReadOnlySpan<byte> s)
    {
        var starts = new List<int>();
        for (var i = 0; i + 2 < s.Length; i++)
        {
            if (s[i] == 0 && s[i + 1] == 0 && s[i + 2] == 1)
            {
                starts.Add(i > 0 && s[i - 1] == 0 ? i - 1 : i);
                i += 2;
            }
        }
        var units = new List<(int, int)>(starts.Count);
        for (var k = 0; k < starts.Count; k++) units.Add((starts[k], k + 1 < starts.Count ? starts[k + 1] : s.Length));
        return units;
    }

    private static int StartCodeLength(ReadOnlySpan<byte> nal) => nal.Length > 3 && nal[2] == 0 ? 4 : 3;
}
