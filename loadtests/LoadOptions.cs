using System.Globalization;

namespace VideoQuality.LoadTests;

/// <summary>Open model: requests at a constant arrival rate (latency from the intended send time); closed model: a
/// fixed number of workers (or streams), each sending its next request when the previous one is answered.</summary>
internal enum LoadModel
{
    Open,
    Closed,
}

/// <summary>
/// Command line of a load run:
/// <c>SCENARIO --target URL --rate FPS --duration S [--streams N] [--model open|closed] [--concurrency N] [--warmup S]
/// [--ramp S] [--mode live|lossless] [--deadline-ms MS] [--max-inflight N] [--clip FILE.y4m] [--size WxH] [--frames N]
/// [--json FILE] [--md FILE] [--timeline-ms MS] [--max-p99-ms MS] [--max-error-rate R] [--budget FILE]</c>.
/// </summary>
internal sealed record LoadOptions
{
    public static readonly string[] Scenarios = ["detect-unary", "detect-stream", "enhance-unary", "enhance-stream"];

    public required string Scenario { get; init; }

    public required Uri Target { get; init; }

    /// <summary>Frames (requests) per second over all streams; open model only.</summary>
    public double Rate { get; init; }

    public double DurationS { get; init; }

    /// <summary>Seconds at the start whose requests are sent but not recorded.</summary>
    public double WarmupS { get; init; } = 5;

    /// <summary>Seconds over which the arrival rate rises linearly from 0 to <see cref="Rate"/>, from the start of the run.</summary>
    public double RampS { get; init; }

    public int Streams { get; init; } = 1;

    public LoadModel Model { get; init; } = LoadModel.Open;

    /// <summary>Closed model: workers (unary) or streams.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Stream mode: live (the service drops the oldest queued frame under overload) or lossless.</summary>
    public string Mode { get; init; } = "live";

    /// <summary>Deadline of a unary call; a stream frame unanswered this long after its intended send time counts as an error.</summary>
    public int DeadlineMs { get; init; } = 5000;

    /// <summary>Open model, unary: calls in flight at most (a request over the limit waits, and its wait counts as latency).</summary>
    public int MaxInflight { get; init; } = 512;

    public string? Clip { get; init; }

    public (int Width, int Height) Size { get; init; } = (640, 360);

    /// <summary>Frames taken from the clip (cycled).</summary>
    public int Frames { get; init; } = 60;

    public string? Json { get; init; }

    public string? Markdown { get; init; }

    public int TimelineMs { get; init; } = 1000;

    public Thresholds Thresholds { get; init; } = new();

    public string? Budget { get; init; }

    public bool IsStreaming => Scenario.EndsWith("-stream", StringComparison.Ordinal);

    public const string Usage =
        "usage: vq-load SCENARIO --target URL --rate FRAMES_PER_S --duration SECONDS [--streams N] [--json FILE]\n" +
        "  SCENARIO: detect-unary | detect-stream | enhance-unary | enhance-stream\n" +
        "  --model open|closed (default open)   --concurrency N (closed model: workers or streams)\n" +
        "  --warmup S (default 5, not recorded) --ramp S (rate rises linearly from 0 over S)\n" +
        "  --streams N (stream scenarios, open model)   --mode live|lossless (default live)\n" +
        "  --deadline-ms MS (default 5000)      --max-inflight N (open unary, default 512)\n" +
        "  --clip FILE.y4m (else an ffmpeg-made MPEG-2 q12 clip)   --size WxH (default 640x360)   --frames N (default 60)\n" +
        "  --json FILE  --md FILE  --timeline-ms MS (default 1000)\n" +
        "  --max-p99-ms MS  --max-error-rate R  --budget FILE.json (thresholds per scenario; failing one exits 1)\n" +
        "vq-load proxy --listen [ADDRESS:]PORT --upstream HOST:PORT --delay-ms MS [--jitter-ms J] [--switch-s S]   (a TCP proxy that delays every chunk, ± J ms, alternating with no delay every S s; chaos runs)";

    /// <summary>Parses and validates; throws <see cref="ArgumentException"/> with a message for the user.</summary>
    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("a scenario is required first");
        }

        var scenario = args[0];
        if (!Scenarios.Contains(scenario))
        {
            throw new ArgumentException($"unknown scenario '{scenario}' (one of {string.Join(", ", Scenarios)})");
        }

        Uri? target = null;
        double? rate = null, duration = null;
        var o = new LoadOptions { Scenario = scenario, Target = new Uri("http://127.0.0.1") };
        var thresholds = new Thresholds();
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--target": target = ParseTarget(Next()); break;
                case "--rate": rate = Positive(name, Next()); break;
                case "--duration": duration = Positive(name, Next()); break;
                case "--warmup": o = o with { WarmupS = NonNegative(name, Next()) }; break;
                case "--ramp": o = o with { RampS = NonNegative(name, Next()) }; break;
                case "--streams": o = o with { Streams = PositiveInt(name, Next()) }; break;
                case "--concurrency": o = o with { Concurrency = PositiveInt(name, Next()) }; break;
                case "--model":
                    o = o with
                    {
                        Model = Next() switch
                        {
                            "open" => LoadModel.Open,
                            "closed" => LoadModel.Closed,
                            var m => throw new ArgumentException($"--model must be open or closed, not '{m}'"),
                        },
                    };
                    break;
                case "--mode":
                    var mode = Next();
                    o = mode is "live" or "lossless" ? o with { Mode = mode } : throw new ArgumentException($"--mode must be live or lossless, not '{mode}'");
                    break;
                case "--deadline-ms": o = o with { DeadlineMs = PositiveInt(name, Next()) }; break;
                case "--max-inflight": o = o with { MaxInflight = PositiveInt(name, Next()) }; break;
                case "--clip": o = o with { Clip = ExistingFile(name, Next()) }; break;
                case "--size": o = o with { Size = ParseSize(Next()) }; break;
                case "--frames": o = o with { Frames = PositiveInt(name, Next()) }; break;
                case "--json": o = o with { Json = Next() }; break;
                case "--md": o = o with { Markdown = Next() }; break;
                case "--timeline-ms": o = o with { TimelineMs = PositiveInt(name, Next()) }; break;
                case "--max-p99-ms": thresholds = thresholds with { MaxP99Ms = Positive(name, Next()) }; break;
                case "--max-error-rate": thresholds = thresholds with { MaxErrorRate = Rate01(name, Next()) }; break;
                case "--budget": o = o with { Budget = ExistingFile(name, Next()) }; break;
                default: throw new ArgumentException($"unknown option '{name}'");
            }
        }

        if (target is null)
        {
            throw new ArgumentException("--target URL is required");
        }

        if (duration is null)
        {
            throw new ArgumentException("--duration SECONDS is required");
        }

        if (o.Model == LoadModel.Open && rate is null)
        {
            throw new ArgumentException("--rate FRAMES_PER_S is required with the open model");
        }

        if (o.Model == LoadModel.Closed && rate is not null)
        {
            throw new ArgumentException("--rate does not apply to the closed model (use --concurrency)");
        }

        if (o.Streams > 1 && !scenario.EndsWith("-stream", StringComparison.Ordinal))
        {
            throw new ArgumentException("--streams applies to the stream scenarios only");
        }

        if (rate is not null && o.Streams > 1 && o.Streams > rate)
        {
            throw new ArgumentException($"--streams {o.Streams} is more than --rate {rate} frames/s (each stream needs at least one frame/s)");
        }

        if (o.RampS > o.WarmupS + duration)
        {
            throw new ArgumentException("--ramp is longer than the whole run (warm-up + duration)");
        }

        return o with { Target = target, Rate = rate ?? 0, DurationS = duration.Value, Thresholds = thresholds };
    }

    private static Uri ParseTarget(string s) =>
        Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" && u.Port > 0
            ? u
            : throw new ArgumentException($"--target '{s}' is not an http(s) URL such as http://127.0.0.1:50051");

    private static double Positive(string name, string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v)
            ? v
            : throw new ArgumentException($"{name} must be a positive number, not '{s}'");

    private static double NonNegative(string name, string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && double.IsFinite(v)
            ? v
            : throw new ArgumentException($"{name} must be a number >= 0, not '{s}'");

    private static double Rate01(string name, string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1
            ? v
            : throw new ArgumentException($"{name} must be between 0 and 1, not '{s}'");

    private static int PositiveInt(string name, string s) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new ArgumentException($"{name} must be a positive integer, not '{s}'");

    private static string ExistingFile(string name, string s) =>
        File.Exists(s) ? s : throw new ArgumentException($"{name}: no file '{s}'");

    private static (int, int) ParseSize(string s)
    {
        var p = s.Split('x');
        return p.Length == 2 && int.TryParse(p[0], CultureInfo.InvariantCulture, out var w) && int.TryParse(p[1], CultureInfo.InvariantCulture, out var h)
            && w > 0 && h > 0 && w % 2 == 0 && h % 2 == 0
            ? (w, h)
            : throw new ArgumentException($"--size must be WxH with even positive sides, not '{s}'");
    }
}
