using System.Text.Json;
using System.Text.RegularExpressions;
using VideoQuality.Cli.Input;
using VideoQuality.Tests.Support;

namespace VideoQuality.Cli.Tests;

/// <summary>
/// `vq monitor` left running against live feeds (issue 14): real ffmpeg senders on loopback that stop and come back, a real
/// mosquitto broker, the in-process detector.
/// </summary>
public sealed partial class MonitorProbeTests
{
    private const string Prefix = "video/quality/macroblocking";

    [Fact]
    public async Task A_udp_feed_silent_for_5_s_raises_signal_lost_then_clears_it_and_frames_after_the_gap_are_detected()
    {
        await using var broker = await Mosquitto.StartNewAsync();
        await using var recorder = await MqttRecorder.StartAsync(broker.Port, Prefix + "/#");
        var hook = new Uri($"http://127.0.0.1:{Repo.FreeTcpPort()}/hook/");
        var posted = new List<JsonElement>();
        using var receiver = WebhookReceiver.Start(hook, posted);
        var url = $"udp://127.0.0.1:{Clips.FreeUdpPort()}";
        var output = new StringWriter();
        var errors = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var sender = Clips.StartLiveSender(url, 160, 96);
        var monitor = CliApp.InvokeAsync(
            ["monitor", url, "--mqtt", $"mqtt://127.0.0.1:{broker.Port}", "--stream-id", "feed", "--stall-timeout-ms", "2000", "--io-timeout-ms", "3000",
             "--telemetry-ms", "500", "--webhook", hook.ToString()],
            Repo.Environment, output, errors, stop.Token);

        await recorder.WaitForAsync(m => m.Any(x => x.Topic == $"{Prefix}/feed/telemetry"), TimeSpan.FromSeconds(60), "frames detected (telemetry)");
        await Task.Delay(2000);
        Assert.Empty(Events(recorder.Messages, "feed"));
        await sender.DisposeAsync(); // the feed goes silent for 5 s
        await recorder.WaitForAsync(m => Events(m, "feed").Any(e => e.State == "raised"), TimeSpan.FromSeconds(10), "signal_lost raised");
        await Task.Delay(TimeSpan.FromSeconds(5) - TimeSpan.FromSeconds(2));
        await using (Clips.StartLiveSender(url, 160, 96))
        {
            var got = await recorder.WaitForAsync(m => Events(m, "feed").Any(e => e.State == "cleared"), TimeSpan.FromSeconds(30), "signal_lost cleared");
            var events = Events(got, "feed");
            Assert.Equal(["raised", "cleared"], events.Select(e => e.State));
            Assert.All(events, e => Assert.Equal("signal_lost", e.Type));
            Assert.Equal(["no_frames", "frames_resumed"], events.Select(e => e.Reason));
            Assert.Equal(events[0].AlarmId, events[1].AlarmId);
            await Task.Delay(3000); // frames after the gap
            await stop.CancelAsync();
            Assert.Equal(0, await monitor);
            var resumedAt = events[1].EndFrame!.Value;
            var total = FramesMonitored(output, "feed");
            Assert.True(total > resumedAt + 30, $"{total} frames monitored, the feed resumed at frame {resumedAt}:\n{output}\n{errors}");
            Assert.True(Regex.IsMatch(output.ToString(), "feed: .* [1-9][0-9]* reconnects?"), $"no reconnect:\n{output}\n{errors}");
            Assert.Contains("reconnected", errors.ToString());
            lock (posted) // the same events, POSTed in order
            {
                Assert.Equal(events.Select(e => (e.AlarmId, e.State)), posted.Select(e => (e.GetProperty("alarm_id").GetString()!, e.GetProperty("state").GetString()!)));
            }
        }
    }

    [Fact]
    public async Task An_http_source_killed_and_restarted_is_reconnected_and_monitoring_goes_on_with_metrics_scraped()
    {
        await using var broker = await Mosquitto.StartNewAsync();
        var port = Repo.FreeTcpPort();
        var url = $"http://127.0.0.1:{port}/live.ts";
        var output = new StringWriter();
        var errors = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var server = HttpServer(url);
        var metricsPort = Repo.FreeTcpPort();
        var monitor = CliApp.InvokeAsync(
            ["monitor", url, "--mqtt", $"mqtt://127.0.0.1:{broker.Port}", "--io-timeout-ms", "2000", "--metrics-port", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Repo.Environment, output, errors, stop.Token);

        await WaitForAsync(() => output.ToString().Contains("monitoring"), TimeSpan.FromSeconds(60), "the monitor to start", output, errors);
        await Task.Delay(3000);
        await server.DisposeAsync(); // killed: the monitor's ffmpeg loses its connection, then finds nothing to connect to
        await WaitForAsync(() => errors.ToString().Contains("source dropped"), TimeSpan.FromSeconds(20), "the drop to be logged", output, errors);
        await Task.Delay(2000);
        await using (HttpServer(url))
        {
            await WaitForAsync(() => errors.ToString().Contains("reconnected"), TimeSpan.FromSeconds(40), "the reconnect", output, errors);
            await Task.Delay(3000);

            // The probe's own metrics and health, scraped while it runs.
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
            var metrics = await http.GetStringAsync("/metrics");
            var channel = $"channel=\"127.0.0.1_{port}_live\"";
            Assert.Matches($@"vq_probe_reconnects_total\{{{channel}\}} [1-9]", metrics);
            Assert.Matches($@"vq_probe_frames_total\{{{channel}\}} [1-9][0-9]", metrics);
            Assert.Contains($"vq_probe_signal_up{{{channel}}} 1", metrics);
            Assert.Contains($"vq_probe_alarm_raised{{{channel},type=\"macroblocking\"}} 0", metrics);
            Assert.Matches($@"vq_probe_severity\{{{channel}\}} [0-9.]+", metrics);
            Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
            await stop.CancelAsync();
            Assert.Equal(0, await monitor);
        }

        Assert.True(Regex.IsMatch(output.ToString(), "127.0.0.1_[0-9]+_live: [0-9]+ frames monitored, [1-9][0-9]* reconnects?"), $"no reconnect:\n{output}\n{errors}");
        Assert.True(FramesMonitored(output, $"127.0.0.1_{port}_live") > 60, $"{output}\n{errors}");
    }

    /// <summary>ffmpeg as a one-client HTTP server of a real-time MPEG-TS test pattern.</summary>
    private static FfmpegProcess HttpServer(string url) =>
        FfmpegProcess.Start("ffmpeg",
        [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=s=160x96:r=30",
            "-c:v", "mpeg2video", "-g", "5", "-threads", "1", "-f", "mpegts", "-listen", "1", url,
        ]);

    internal sealed record Event(string Type, string State, string Reason, string AlarmId, long? EndFrame);

    internal static List<Event> Events(IEnumerable<(string Topic, string Payload)> messages, string stream) =>
        messages.Where(m => m.Topic == $"{Prefix}/{stream}").Select(m => JsonDocument.Parse(m.Payload).RootElement)
            .Select(e => new Event(e.GetProperty("type").GetString()!, e.GetProperty("state").GetString()!, e.GetProperty("reason").GetString()!,
                e.GetProperty("alarm_id").GetString()!, e.GetProperty("end_frame").ValueKind == JsonValueKind.Number ? e.GetProperty("end_frame").GetInt64() : null))
            .ToList();

    internal static long FramesMonitored(StringWriter output, string stream)
    {
        var m = Regex.Match(output.ToString(), $@"^{Regex.Escape(stream)}: (\d+) frames monitored", RegexOptions.Multiline);
        Assert.True(m.Success, $"no summary line for {stream}:\n{output}");
        return long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static async Task WaitForAsync(Func<bool> done, TimeSpan timeout, string what, StringWriter output, StringWriter errors)
    {
        var until = DateTime.UtcNow + timeout;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}:\n{output}\n{errors}");
            await Task.Delay(100);
        }
    }
}
