using System.Globalization;
using System.Text.RegularExpressions;
using VideoQuality.Cli.Input;

namespace VideoQuality.Bench;

/// <summary>
/// Times an ffmpeg video filter per frame, single-threaded, as the issues state it (blockdetect for the detector,
/// spp and deblock for the enhancer): <c>ffmpeg -threads 1 -filter_threads 1 -i CLIP.y4m -frames:v N -vf FILTER -f null -</c>.
/// The same command without <c>-vf</c> is the decode-only baseline; both report ffmpeg's own <c>-benchmark</c> real time (the
/// transcode loop, without process start-up). Per-frame filter time = (median filtered − median baseline) / frames.
/// The runs alternate (filtered, baseline, filtered, ...) so slow drifts in machine load hit both alike.
/// </summary>
internal static partial class FfmpegFilterTiming
{
    public sealed record Timing(double FilterMsPerFrame, double WithFilterS, double DecodeOnlyS, IReadOnlyList<double> WithFilterRuns, IReadOnlyList<double> DecodeOnlyRuns);

    public static async Task<Timing> MeasureAsync(string clip, string filter, int frames, int repeat, CancellationToken ct)
    {
        var with = new List<double>();
        var without = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            with.Add(await RealTimeAsync(clip, frames, filter, ct));
            without.Add(await RealTimeAsync(clip, frames, null, ct));
        }
        var w = Median(with);
        var d = Median(without);
        return new Timing(1000 * (w - d) / frames, w, d, with, without);
    }

    public static IReadOnlyList<string> Arguments(string clip, int frames, string? filter) =>
    [
        "-nostdin", "-hide_banner", "-nostats", "-benchmark", "-threads", "1", "-filter_threads", "1", "-i", clip,
        "-frames:v", frames.ToString(CultureInfo.InvariantCulture),
        .. filter is null ? [] : new[] { "-vf", filter },
        "-f", "null", "-",
    ];

    private static async Task<double> RealTimeAsync(string clip, int frames, string? filter, CancellationToken ct)
    {
        await using var p = FfmpegProcess.Start("ffmpeg", Arguments(clip, frames, filter));
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
