using System.Globalization;
using VideoQuality.Cli.Input;

namespace VideoQuality.Cli.Demo;

/// <summary>Luma PSNR of one segment of the sample clip against its undamaged source, before and after repair.</summary>
internal sealed record SegmentPsnr(Segment Segment, double Damaged, double Repaired);

/// <summary>
/// How much the repair brought each segment of the sample clip back towards the undamaged source: ffmpeg's `psnr`
/// filter writes the luma MSE of every frame (its stats, on stdout), averaged here over each segment's frames and turned into a
/// PSNR (10 log10 255^2 / mean MSE), for the damaged clip and for the repaired one.
/// </summary>
internal static class SegmentQuality
{
    public static async Task<IReadOnlyList<SegmentPsnr>> MeasureAsync(string reference, string damaged, string repaired, CancellationToken ct)
    {
        var before = await FrameMseAsync(reference, damaged, ct);
        var after = await FrameMseAsync(reference, repaired, ct);
        return SampleClip.Segments
            .Select(s => new SegmentPsnr(s, Psnr(before, s), Psnr(after, s)))
            .ToList();
    }

    private static double Psnr(IReadOnlyList<double> mse, Segment s)
    {
        int first = (int)(s.Start.TotalSeconds * SampleClip.Fps), end = Math.Min(mse.Count, (int)(s.End.TotalSeconds * SampleClip.Fps));
        if (end <= first) throw new InvalidOperationException($"the repaired clip has no frames in segment {s.Name}");
        double mean = 0;
        for (int i = first; i < end; i++) mean += mse[i];
        mean /= end - first;
        return mean <= 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mean);
    }

    /// <summary>Per-frame luma MSE of <paramref name="distorted"/> against <paramref name="reference"/>, in frame order.</summary>
    private static async Task<IReadOnlyList<double>> FrameMseAsync(string reference, string distorted, CancellationToken ct)
    {
        var stats = await FfmpegProcess.RunAsync("ffmpeg",
        [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1", "-i", distorted, "-i", reference,
            "-filter_complex", $"[0:v]{Renumber}[d];[1:v]{Renumber}[r];[d][r]psnr=stats_file=-",
            "-f", "null", "-",
        ], ct);
        return stats.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseMseY).ToList();
    }

    // frame n at exactly n/30 s in both inputs: the psnr filter pairs frames by timestamp
    private static readonly string Renumber = FfmpegInput.RenumberFilter((SampleClip.Fps, 1)) + ",format=yuv420p";

    // a stats line: "n:1 mse_avg:3.21 mse_y:4.10 mse_u:... psnr_avg:... psnr_y:..."
    private static double ParseMseY(string line)
    {
        foreach (var field in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (field.StartsWith("mse_y:", StringComparison.Ordinal))
                return double.Parse(field.AsSpan("mse_y:".Length), NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"ffmpeg psnr stats line without mse_y: '{line}'");
    }
}
