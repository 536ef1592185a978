using System.Globalization;
using System.Net;
using Grpc.Net.Client;

namespace VideoQuality.LoadTests;

/// <summary>Entry point: parses the command line, runs the scenario (or the delay proxy), writes reports, sets the exit code
/// (0 passed, 1 a threshold failed, 2 bad usage).</summary>
internal static class LoadApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });

        if (args.Length > 0 && args[0] == "proxy")
        {
            return await ProxyAsync(args, output, error, stop.Token).ConfigureAwait(false);
        }

        LoadOptions o;
        Thresholds thresholds;
        try
        {
            o = LoadOptions.Parse(args);
            thresholds = o.Thresholds.Over(o.Budget is null ? null : Thresholds.FromBudget(await File.ReadAllTextAsync(o.Budget).ConfigureAwait(false), o.Scenario));
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException)
        {
            error.WriteLine($"vq-load: {ex.Message}");
            error.WriteLine(LoadOptions.Usage);
            return 2;
        }

        var report = await RunAsync(o, thresholds, output, stop.Token).ConfigureAwait(false);
        if (o.Json is not null)
        {
            await File.WriteAllTextAsync(o.Json, report.ToJson()).ConfigureAwait(false);
        }

        if (o.Markdown is not null)
        {
            await File.WriteAllTextAsync(o.Markdown, report.ToMarkdown()).ConfigureAwait(false);
        }

        output.Write(report.ToMarkdown());
        return report.Passed ? 0 : 1;
    }

    /// <summary>Runs one scenario and returns its report (used by the command line and the integration test).</summary>
    public static async Task<Report> RunAsync(LoadOptions o, Thresholds thresholds, TextWriter output, CancellationToken ct)
    {
        var frames = await ClipFrames.LoadAsync(o.Clip, o.Size, o.Frames).ConfigureAwait(false);
        using var channel = GrpcChannel.ForAddress(o.Target, new GrpcChannelOptions
        {
            MaxSendMessageSize = 256 << 20,
            MaxReceiveMessageSize = 256 << 20,
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        });
        var scenario = Scenarios.Create(o.Scenario, channel.CreateCallInvoker());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"vq-load: {o.Scenario} -> {o.Target}: {frames.Count} frames {frames[0].Width}x{frames[0].Height}, {o.Model.ToString().ToLowerInvariant()} model, warm-up {o.WarmupS} s + {o.DurationS} s"));
        string loadStart = LoadAverage();
        long startedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var m = new Measurement(o.WarmupS, o.DurationS, o.TimelineMs);
        await new LoadRunner(o, scenario, frames, m).RunAsync(ct).ConfigureAwait(false);
        return Report.From(o, m, thresholds, startedUnixMs, loadStart, LoadAverage());
    }

    private static async Task<int> ProxyAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        IPEndPoint? listen = null;
        int? delayMs = null;
        int jitterMs = 0;
        double switchS = 0;
        string? upstream = null;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--listen": listen = ParseListen(args[i + 1]); break;
                case "--upstream": upstream = args[i + 1]; break;
                case "--delay-ms": delayMs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--jitter-ms": jitterMs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--switch-s": switchS = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: break;
            }
        }

        int colon = upstream?.LastIndexOf(':') ?? -1;
        if (listen is null || delayMs is null || jitterMs < 0 || switchS < 0 || colon <= 0 || !int.TryParse(upstream![(colon + 1)..], CultureInfo.InvariantCulture, out var upstreamPort))
        {
            error.WriteLine(LoadOptions.Usage);
            return 2;
        }

        await DelayProxy.RunAsync(listen, upstream[..colon], upstreamPort, new ProxyDelay(delayMs.Value, jitterMs, switchS), output, ct).ConfigureAwait(false);
        return 0;
    }

    private static IPEndPoint? ParseListen(string s) =>
        int.TryParse(s, CultureInfo.InvariantCulture, out var port) ? new IPEndPoint(IPAddress.Loopback, port)
        : IPEndPoint.TryParse(s, out var ep) && ep.Port > 0 ? ep
        : null;

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
