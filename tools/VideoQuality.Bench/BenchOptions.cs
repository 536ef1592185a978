using System.Globalization;

namespace VideoQuality.Bench;

/// <summary>
/// Options: <c>--sizes 640x360,1280x720 --threads 1,2 --frames 60 --repeat 3 [--clip WxH=PATH.y4m ...]
/// [--model-root DIR] [--work DIR] [--json FILE]</c>. Without --clip the clips are made with ffmpeg.
/// With <c>--detector URL [--rate 100] [--seconds 10] [--stream-frames 600] [--no-previous]</c> it benchmarks the running service instead.
/// </summary>
internal sealed record BenchOptions(
    IReadOnlyList<(int Width, int Height)> Sizes,
    IReadOnlyList<int> Threads,
    int Frames,
    int Repeat,
    IReadOnlyDictionary<(int, int), string> Clips,
    string? ModelRoot,
    string Work,
    string? Json)
{
    public Uri? Detector { get; init; }

    public int Rate { get; init; } = 100;

    public int Seconds { get; init; } = 10;

    public int StreamFrames { get; init; } = 600;

    /// <summary>The enhancer's cost profile (repair bench); null: the model's CPU default.</summary>
    public string? Profile { get; init; }

    /// <summary>Unary calls send the frame alone (no previous frame as temporal context).</summary>
    public bool NoPrevious { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions([(640, 360), (1280, 720)], [1, 2], 60, 3, new Dictionary<(int, int), string>(), null,
            Path.Combine(Path.GetTempPath(), "vq-bench"), null);
        var clips = new Dictionary<(int, int), string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--sizes" => o with { Sizes = Next().Split(',').Select(ParseSize).ToList() },
                "--threads" => o with { Threads = Next().Split(',').Select(int.Parse).ToList() },
                "--frames" => o with { Frames = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--repeat" => o with { Repeat = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--model-root" => o with { ModelRoot = Next() },
                "--work" => o with { Work = Next() },
                "--json" => o with { Json = Next() },
                "--clip" => AddClip(o, clips, Next()),
                "--detector" => o with { Detector = new Uri(Next()) },
                "--rate" => o with { Rate = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seconds" => o with { Seconds = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--stream-frames" => o with { StreamFrames = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--no-previous" => o with { NoPrevious = true },
                "--profile" => o with { Profile = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o with { Clips = clips };
    }

    private static BenchOptions AddClip(BenchOptions o, Dictionary<(int, int), string> clips, string spec)
    {
        var eq = spec.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0) throw new ArgumentException("--clip takes WxH=PATH.y4m");
        clips[ParseSize(spec[..eq])] = spec[(eq + 1)..];
        return o;
    }

    private static (int, int) ParseSize(string s)
    {
        var p = s.Split('x');
        return (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture));
    }
}
