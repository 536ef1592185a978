using System.CommandLine;
using VideoQuality.Cli.Demo;
using VideoQuality.Cli.Detect;
using VideoQuality.Alarms;
using VideoQuality.Cli.Enhance;
using VideoQuality.Cli.Monitor;
using VideoQuality.Cli.Serve;

namespace VideoQuality.Cli;

/// <summary>The `vq` command line: detect, report, enhance, monitor, serve and demo (System.CommandLine). Each command's work lives in its own class.</summary>
internal static class CliApp
{
    /// <summary>How long a command may take to wind down after Ctrl-C/SIGTERM (flush files, stop services) before the process ends.</summary>
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(20);

    public static Task<int> RunAsync(string[] args) => InvokeAsync(args, CliEnvironment.Detect(), Console.Out, Console.Error);

    /// <summary>Parses and runs one command line. <paramref name="ct"/> acts like Ctrl-C (SIGINT/SIGTERM are handled too).</summary>
    internal static Task<int> InvokeAsync(string[] args, CliEnvironment env, TextWriter output, TextWriter errors, CancellationToken ct = default) =>
        Build(env, output, errors)
            .Parse(args)
            .InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = ShutdownGrace, Output = output, Error = errors }, ct);

    internal static RootCommand Build(CliEnvironment env, TextWriter output, TextWriter errors)
    {
        var root = new RootCommand("vq: real-time macroblocking detection for video (VideoQuality)");
        root.Subcommands.Add(DetectCommandLine(env, output, errors, reportCommand: false));
        root.Subcommands.Add(DetectCommandLine(env, output, errors, reportCommand: true));
        root.Subcommands.Add(EnhanceCommandLine(env, output, errors));
        root.Subcommands.Add(MonitorCommandLine(env, output, errors));
        root.Subcommands.Add(ServeCommandLine(env, output));
        root.Subcommands.Add(DemoCommandLine(env, output, errors));
        return root;
    }

    private static Option<int?> ThreadsOption() => new("--threads")
    {
        Description = "ONNX Runtime intra-op threads for in-process inference (default: the Inference library's default)",
        Validators = { r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--threads must be at least 1"); } },
    };

    private static Option<string?> ModelRootOption(string holding) => new("--model-root")
    {
        Description = $"folder holding {holding} (default: $VQ_MODEL_ROOT, else the models bundled with the installed tool, else the checkout's models/)",
    };

    private static Option<int> PositiveMs(string name, string description, int value) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => value,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{name} must be at least 1"); } },
    };

    private static Option<Uri?> DetectorOption() => new("--detector")
    {
        Description = "use a running Detector service (e.g. http://127.0.0.1:50051) instead of in-process inference",
        CustomParser = r => Uri.TryCreate(r.Tokens[0].Value, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u
            : Fail<Uri>(r, $"--detector must be an http:// or https:// address, got '{r.Tokens[0].Value}'"),
    };

    /// <summary>`vq detect`, or with <paramref name="reportCommand"/> `vq report`: the same detection with the HTML report always written.</summary>
    private static Command DetectCommandLine(CliEnvironment env, TextWriter output, TextWriter errors, bool reportCommand)
    {
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "files (any container/codec ffmpeg reads) or URLs: rtsp://, udp://, srt://, http(s):// (HLS); live inputs run until Ctrl-C",
            Arity = ArgumentArity.OneOrMore,
        };
        var outDir = new Option<string>("--out-dir", "-o")
        {
            Description = reportCommand ? "where DIR/<input stem>.html (and .jsonl) is written; a DIR/<input stem>.y4m written by vq enhance adds before/after crops"
                : "where DIR/<input stem>.jsonl is written",
            Required = true,
        };
        var report = new Option<bool>("--report") { Description = "also write DIR/<input stem>.html from the same results (what vq report writes)" };
        var detector = DetectorOption();
        var threads = ThreadsOption();
        var modelRoot = ModelRootOption("detector/<version>/");
        var csv = new Option<bool>("--csv") { Description = "write DIR/<stem>.csv (frame, pts_ms, wallclock, severity, class, mask) instead of JSONL" };
        var cmd = reportCommand
            ? new Command("report", "detect macroblocking in each input and write a self-contained HTML report (timeline, alarms, worst moments, segments)")
            {
                inputs, outDir, detector, threads, modelRoot,
            }
            : new Command("detect", "detect macroblocking in each input; write vqbench JSONL (or CSV) and print a summary")
            {
                inputs, outDir, report, detector, threads, modelRoot, csv,
            };
        cmd.SetAction((r, ct) => DetectCommand.RunAsync(
            new DetectOptions(r.GetRequiredValue(inputs), r.GetRequiredValue(outDir), r.GetValue(detector), r.GetValue(threads),
                r.GetValue(modelRoot) ?? env.ModelRoot, reportCommand || r.GetValue(report), !reportCommand && r.GetValue(csv)),
            output, errors, ct));
        return cmd;
    }

    private static Command EnhanceCommandLine(CliEnvironment env, TextWriter output, TextWriter errors)
    {
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "files (any container/codec ffmpeg reads) or URLs; live inputs run until Ctrl-C",
            Arity = ArgumentArity.OneOrMore,
        };
        var outDir = new Option<string>("--out-dir", "-o") { Description = "where DIR/<input stem>.y4m (lossless yuv420p) is written", Required = true };
        var enhancer = new Option<Uri?>("--enhancer")
        {
            Description = "use a running Enhancer service (e.g. http://127.0.0.1:50052) instead of in-process repair",
            CustomParser = r => Uri.TryCreate(r.Tokens[0].Value, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u
                : Fail<Uri>(r, $"--enhancer must be an http:// or https:// address, got '{r.Tokens[0].Value}'"),
        };
        var preview = new Option<bool>("--preview") { Description = "also write DIR/<stem>.mp4 (H.264) and DIR/<stem>.compare.mp4 (input | repaired)" };
        var threads = ThreadsOption();
        var modelRoot = ModelRootOption("detector/ and enhancer/");
        var profile = new Option<string?>("--profile")
        {
            Description = "enhancer cost profile for in-process repair: fast or quality (default: fast on CPU, quality on a GPU)",
            Validators = { r => { if (r.GetValueOrDefault<string?>() is { } p && p is not ("fast" or "quality")) r.AddError($"--profile must be fast or quality, got '{p}'"); } },
        };
        var masks = new Option<string?>("--masks")
        {
            Description = "repair with the block masks in DIR/<input stem>.jsonl (vqbench prediction format, e.g. pred-from-gt) instead of the detector",
        };
        var cmd = new Command("enhance", "repair macroblocking in each input; write lossless y4m (and viewable previews)")
        {
            inputs, outDir, enhancer, preview, threads, modelRoot, profile, masks,
        };
        cmd.SetAction((r, ct) => EnhanceCommand.RunAsync(
            new EnhanceOptions(r.GetRequiredValue(inputs), r.GetRequiredValue(outDir), r.GetValue(enhancer), r.GetValue(preview),
                r.GetValue(threads), r.GetValue(modelRoot) ?? env.ModelRoot, r.GetValue(masks), r.GetValue(profile)),
            output, errors, ct));
        return cmd;
    }

    private static Command MonitorCommandLine(CliEnvironment env, TextWriter output, TextWriter errors)
    {
        var defaults = new AlarmOptions();
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "files (played in real time unless --fast) or URLs (rtsp://, udp://, srt://, http(s)://); live inputs reconnect and run until Ctrl-C",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var channels = new Option<string?>("--channels") { Description = "YAML or JSON channel list (id, url, thresholds, windows, labels per channel) instead of INPUT" };
        var stall = PositiveMs("--stall-timeout-ms", "a live input with no frame for MS raises signal_lost", 2000);
        var ioTimeout = PositiveMs("--io-timeout-ms", "a network input silent for MS is dropped by ffmpeg and reconnected", (int)Input.FfmpegInput.DefaultIoTimeout.TotalMilliseconds);
        var mqtt = new Option<Uri?>("--mqtt")
        {
            Description = "MQTT broker: mqtt://[user:pass@]HOST[:PORT] (default port 1883) or mqtts://... (TLS, 8883)",
            CustomParser = r => Uri.TryCreate(r.Tokens[0].Value, UriKind.Absolute, out var u) && u.Scheme is "mqtt" or "mqtts" ? u
                : Fail<Uri>(r, $"--mqtt must be an mqtt:// or mqtts:// address, got '{r.Tokens[0].Value}'"),
        };
        var webhook = new Option<Uri?>("--webhook")
        {
            Description = "also POST each alarm event (JSON) to this http(s):// URL, retried with backoff, in order",
            CustomParser = r => Uri.TryCreate(r.Tokens[0].Value, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u
                : Fail<Uri>(r, $"--webhook must be an http:// or https:// address, got '{r.Tokens[0].Value}'"),
        };
        var metricsPort = new Option<int?>("--metrics-port")
        {
            Description = "serve Prometheus /metrics (per channel: frames, severity, reconnects, alarm and signal state) and /healthz on this port",
            Validators = { r => { if (r.GetValueOrDefault<int?>() is < 1 or > 65535) r.AddError("--metrics-port must be a TCP port (1-65535)"); } },
        };
        var streamId = new Option<string?>("--stream-id") { Description = "stream id of a single input (default: the file stem, or a URL's host, port and path)" };
        var fast = new Option<bool>("--fast") { Description = "process files as fast as possible instead of in real time" };
        var prefix = new Option<string>("--topic-prefix") { Description = "events go to PREFIX/<stream>", DefaultValueFactory = _ => MqttOptions.DefaultTopicPrefix };
        var raise = new Option<double>("--raise-threshold") { Description = "severity that raises the alarm", DefaultValueFactory = _ => defaults.RaiseThreshold };
        var clear = new Option<double>("--clear-threshold") { Description = "severity below which the alarm clears", DefaultValueFactory = _ => defaults.ClearThreshold };
        var raiseMs = new Option<int>("--raise-window-ms") { Description = "how long severity must stay at or above the raise threshold", DefaultValueFactory = _ => defaults.RaiseWindowMs };
        var clearMs = new Option<int>("--clear-window-ms") { Description = "how long severity must stay below the clear threshold", DefaultValueFactory = _ => defaults.ClearWindowMs };
        var telemetry = new Option<int>("--telemetry-ms") { Description = "severity telemetry to PREFIX/<stream>/telemetry every MS of video (0: off)", DefaultValueFactory = _ => 0 };
        var detector = DetectorOption();
        var threads = ThreadsOption();
        var modelRoot = ModelRootOption("detector/<version>/");
        var cmd = new Command("monitor", "probe mode: detect each input live and publish macroblocking alarm events (and telemetry) to MQTT")
        {
            inputs, channels, mqtt, webhook, metricsPort, streamId, fast, prefix, raise, clear, raiseMs, clearMs, telemetry, stall, ioTimeout, detector, threads, modelRoot,
        };
        cmd.Validators.Add(r =>
        {
            if ((r.GetValue(inputs) is { Length: > 0 }) == (r.GetValue(channels) is not null)) r.AddError("name the inputs either as INPUT... or with --channels FILE");
            if (r.GetValue(clear) > r.GetValue(raise)) r.AddError("--clear-threshold must not be above --raise-threshold");
            if (r.GetValue(raiseMs) < 0 || r.GetValue(clearMs) < 0 || r.GetValue(telemetry) < 0) r.AddError("windows and --telemetry-ms must not be negative");
        });
        cmd.SetAction((r, ct) => MonitorCommand.RunAsync(
            new MonitorOptions(r.GetValue(inputs) ?? [], r.GetValue(channels), r.GetValue(mqtt), r.GetValue(webhook), r.GetValue(streamId), r.GetValue(fast),
                new AlarmOptions
                {
                    RaiseThreshold = r.GetValue(raise), ClearThreshold = r.GetValue(clear), RaiseWindowMs = r.GetValue(raiseMs),
                    ClearWindowMs = r.GetValue(clearMs), TelemetryIntervalMs = r.GetValue(telemetry),
                },
                r.GetRequiredValue(prefix), r.GetValue(detector), r.GetValue(threads), r.GetValue(modelRoot) ?? env.ModelRoot,
                TimeSpan.FromMilliseconds(r.GetValue(stall)), Input.ReconnectOptions.Default with { IoTimeout = TimeSpan.FromMilliseconds(r.GetValue(ioTimeout)) }, r.GetValue(metricsPort)),
            output, errors, ct));
        return cmd;
    }

    private static Command ServeCommandLine(CliEnvironment env, TextWriter output)
    {
        var defaults = new ServePorts();
        Option<int> Port(string name, int value, string what) => new(name)
        {
            Description = what,
            DefaultValueFactory = _ => value,
            Validators = { r => { if (r.GetValueOrDefault<int>() is < 1 or > 65535) r.AddError($"{name} must be a TCP port (1-65535)"); } },
        };
        var dg = Port("--detector-port", defaults.DetectorGrpc, "detector gRPC port (HTTP/2)");
        var dh = Port("--detector-http", defaults.DetectorHttp, "detector HTTP/1 port: REST /v1/detect, /swagger, /metrics, /healthz, /readyz");
        var eg = Port("--enhancer-port", defaults.EnhancerGrpc, "enhancer gRPC port (HTTP/2)");
        var eh = Port("--enhancer-http", defaults.EnhancerHttp, "enhancer HTTP/1 port: REST /v1/enhance, /swagger, /metrics, /healthz, /readyz");
        var cmd = new Command("serve", "run the detector and the enhancer on 127.0.0.1 in the foreground; Ctrl-C stops them")
        {
            dg, dh, eg, eh,
        };
        cmd.SetAction((r, ct) => ServeCommand.RunAsync(
            new ServePorts(r.GetValue(dg), r.GetValue(dh), r.GetValue(eg), r.GetValue(eh)), env, output, ct));
        return cmd;
    }

    private static Command DemoCommandLine(CliEnvironment env, TextWriter output, TextWriter errors)
    {
        var outDir = new Option<string>("--out-dir", "-o")
        {
            Description = "where the sample clip and results go",
            DefaultValueFactory = _ => Path.Combine(env.RepoRoot, ".vq", "demo"),
        };
        var threads = ThreadsOption();
        var cmd = new Command("demo", "make a sample clip with real codec damage, detect it in-process and show where the damage is")
        {
            outDir, threads,
        };
        cmd.SetAction((r, ct) => DemoCommand.RunAsync(r.GetRequiredValue(outDir), env, r.GetValue(threads), output, errors, ct));
        return cmd;
    }

    private static T? Fail<T>(System.CommandLine.Parsing.ArgumentResult r, string message)
        where T : class
    {
        r.AddError(message);
        return null;
    }
}
