using System.Globalization;
using System.Text.RegularExpressions;
using VideoQuality.Cli.Input;

namespace VideoQuality.Bench;

/// <summary>
/// Times ffmpeg's blockdetect filter per frame, single-threaded, as the issue states it:
/// <c>ffmpeg -threads 1 -filter_threads 1 -i CLIP.y4m -vf blockdetect -f null -</c>. The same command without
/// <c>-vf blockdetect</c> is the decode-only baseline; both report ffmpeg's own <c>-benchmark</c> real time (the
/// transcode loop, without process start-up). Per-frame filter time = (median filtered − median baseline) / frames.
/// The runs alternate (filtered, baseline, filtered, ...) so slow drifts in machine load hit both alike.
/// </summary>
internal static partial class FfmpegBlockdetect
{
    public sealed record Timing(double FilterMsPerFrame, double WithFilterS, double DecodeOnlyS, IReadOnlyList<double> WithFilterRuns, IReadOnlyList<double> DecodeOnlyRuns);

    public static async Task<Timing> MeasureAsync(string clip, int frames, int repeat, CancellationToken ct)
    {
        var with = new List<double>();
        var without = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            with.Add(await RealTimeAsync(clip, true, ct));
            without.Add(await RealTimeAsync(clip, false, ct));
        }
        var w = Median(with);
        var d = Median(without);
        return new Timing(1000 * (w - d) / frames, w, d, with, without);
    }

    public static IReadOnlyList<string> Arguments(string clip, bool withFilter) =>
    [
        "-nostdin", "-hide_banner", "-nostats", "-benchmark", "-threads", "1", "-filter_threads", "1", "-i", clip,
        .. withFilter ? new[] { "-vf", "blockdetect" } : [],
        "-f", "null", "-",
    ];

    private static async Task<double> RealTimeAsync(string clip, bool withFilter, CancellationToken ct)
    {
        await using var p = FfmpegProcess.Start("ffmpeg", Arguments(clip, withFilter));
        await p.StandardOutput.CopyToAsync(Stream.Null, ct);
        var code = await p.WaitForExitAsync(ct);
        var m = BenchLine().Match(p.StderrTail);
        if (code != 0 || !m.Success) throw new InvalidOperationException($"ffmpeg -benchmark failed (exit {code}): {p.StderrTail}");
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    [GeneratedRegex(@"bench: utime=\S+ stime=\S+ rtime=([0-9.]+)s")]
    private static partial Regex BenchLine();
}
