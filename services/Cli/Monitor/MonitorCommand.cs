using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using VideoQuality.Alarms;
using VideoQuality.Cli.Detect;
using VideoQuality.Cli.Input;
using VideoQuality.Cli.Output;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Cli.Monitor;

/// <summary>Options of `vq monitor`.</summary>
/// <param name="Inputs">Inputs named on the command line (or none, with <paramref name="ChannelsFile"/>).</param>
/// <param name="ChannelsFile">YAML or JSON channel list (<see cref="ChannelList"/>) instead of <paramref name="Inputs"/>.</param>
/// <param name="Mqtt">Broker: mqtt://[user:pass@]HOST[:PORT] or mqtts://... (TLS); null: no MQTT.</param>
/// <param name="Webhook">URL alarm events are POSTed to; null: none.</param>
/// <param name="StreamId">Stream id of a single input (default: <see cref="PredictionWriter.StemOf"/>, as `vq detect` names its output).</param>
/// <param name="Fast">Files as fast as possible instead of in real time.</param>
/// <param name="Alarms">Thresholds and windows (the defaults of a channel list's entries).</param>
/// <param name="TopicPrefix">Topic prefix (events to &lt;prefix&gt;/&lt;stream&gt;).</param>
/// <param name="StallTimeout">A live input with no frame for this long raises <c>signal_lost</c>.</param>
/// <param name="Reconnect">I/O timeout and reconnect backoff of live inputs.</param>
/// <param name="MetricsPort">Serve /metrics and /healthz on this port (<see cref="ProbeMetricsServer"/>); null: not served.</param>
internal sealed record MonitorOptions(IReadOnlyList<string> Inputs, string? ChannelsFile, Uri? Mqtt, Uri? Webhook, string? StreamId, bool Fast, AlarmOptions Alarms,
    string TopicPrefix, Uri? Detector, int? Threads, string ModelRoot, TimeSpan StallTimeout, ReconnectOptions Reconnect, int? MetricsPort = null);

/// <summary>
/// `vq monitor INPUT... --mqtt mqtt://HOST:PORT` (or `--channels FILE`): an edge probe left running. Each channel is
/// decoded and detected (the same <see cref="IFrameDetector"/> as `vq detect`: in-process, or a Detector service with
/// --detector) in its own task; each result feeds the channel's <see cref="StreamAlarm"/>, whose events (and telemetry) go
/// to MQTT through <see cref="MqttAlarmPublisher"/> exactly as the Detector service publishes them, and/or to a webhook
/// (<see cref="WebhookAlarmPublisher"/>: the same JSON, POSTed). Live inputs (URLs) are
/// read through <see cref="LiveInput"/>: I/O timeouts, reconnects with backoff for as long as the monitor runs, and a
/// <see cref="SignalAlarm"/> (<c>signal_lost</c>) when no frame arrives for the stall timeout. Files play in real time
/// (frame timestamps against the wall clock) unless --fast, and end. Events are also printed, and counted in the probe's
/// own metrics (<see cref="ProbeMetrics"/>, served with --metrics-port).
/// </summary>
internal sealed class MonitorCommand(IFrameDetector detector, IAlarmSink sink, ReconnectOptions reconnect, ProbeMetrics metrics, ILogger logger,
    TextWriter output, TextWriter errors)
{
    public static async Task<int> RunAsync(MonitorOptions o, TextWriter output, TextWriter errors, CancellationToken stop)
    {
        if (o.StreamId is not null && o.Inputs.Count > 1)
        {
            errors.WriteLine("vq: --stream-id names a single input; with several inputs each one is named by its file stem (or host, port and path)");
            return 1;
        }

        IReadOnlyList<Channel> channels;
        try
        {
            channels = o.ChannelsFile is { } file ? ChannelList.Load(file, o.Alarms, o.StallTimeout) : ChannelList.FromInputs(o.Inputs, o.StreamId, o.Alarms, o.StallTimeout);
        }
        catch (ChannelListException e)
        {
            errors.WriteLine($"vq: {e.Message}");
            return 1;
        }

        IFrameDetector detector;
        try
        {
            detector = DetectCommand.CreateDetector(new DetectOptions(channels.Select(c => c.Url).ToList(), string.Empty, o.Detector, o.Threads, o.ModelRoot));
        }
        catch (ModelLoadException e)
        {
            errors.WriteLine($"vq: cannot load the detector model: {e.Message}");
            return 1;
        }

        await using var _ = detector;
        var logger = new CliLogger(errors);
        MqttAlarmPublisher? mqttPublisher = null;
        WebhookAlarmPublisher? webhook = null;
        var targets = new List<string>();
        if (o.Mqtt is not null)
        {
            var mqtt = MqttOptions.FromUri(o.Mqtt);
            mqtt.TopicPrefix = o.TopicPrefix;
            mqttPublisher = new MqttAlarmPublisher(mqtt);
            mqttPublisher.Start();
            targets.Add($"{o.Mqtt.Host}:{mqtt.Port} {mqtt.TopicPrefix}/<stream>");
        }

        if (o.Webhook is not null)
        {
            webhook = new WebhookAlarmPublisher(new WebhookOptions { Url = o.Webhook }, logger: logger);
            webhook.Start();
            targets.Add($"POST {o.Webhook}");
        }

        await using var mqttLifetime = mqttPublisher;
        await using var webhookLifetime = webhook;
        output.WriteLine($"monitoring {channels.Count} input{(channels.Count == 1 ? "" : "s")} with {detector.Description}; alarms to " +
            (targets.Count > 0 ? string.Join(" and ", targets) : "this output only"));
        IAlarmSink sink = new FanOutAlarmSink([.. new IAlarmSink?[] { mqttPublisher, webhook }.OfType<IAlarmSink>()]);
        var metrics = new ProbeMetrics();
        await using var metricsServer = o.MetricsPort is { } port ? ProbeMetricsServer.Start(port, metrics.Registry, logger) : null;
        if (o.MetricsPort is not null) output.WriteLine($"metrics on http://0.0.0.0:{o.MetricsPort}/metrics, health on /healthz");
        var command = new MonitorCommand(detector, sink, o.Reconnect, metrics, logger, output, errors);
        var results = await Task.WhenAll(channels.Select(c => command.RunOneAsync(c, o.Fast, stop)));
        var delivered = true;
        if (mqttPublisher is not null && !await mqttPublisher.FlushAsync(TimeSpan.FromSeconds(10), CancellationToken.None))
        {
            errors.WriteLine($"vq: {mqttPublisher.OutboxCount} alarm events could not be published to {targets[0]}");
            delivered = false;
        }

        if (webhook is not null && !await webhook.FlushAsync(TimeSpan.FromSeconds(10), CancellationToken.None))
        {
            errors.WriteLine($"vq: {webhook.OutboxCount} alarm events could not be delivered to {o.Webhook}");
            delivered = false;
        }

        return delivered && results.All(ok => ok) ? 0 : 1;
    }

    /// <summary>Monitors one channel until its file ends (or Ctrl-C; live inputs only end then); false if it failed.</summary>
    public async Task<bool> RunOneAsync(Channel channel, bool fast, CancellationToken stop)
    {
        var channelSink = new EchoSink(sink, output, channel.Labels, metrics);
        var isLive = FfmpegInput.IsLive(channel.Url);
        metrics.Channel(channel.Id, isLive);
        try
        {
            using var alarm = new StreamAlarm(channel.Id, channel.Alarms, channelSink);
            long frames = 0;
            if (isLive)
            {
                var live = new LiveInput(channel.Url, reconnect, logger, () => metrics.Reconnected(channel.Id));
                // The first frame may take the I/O timeout and the probe longer than a stall: ffmpeg connects and probes the stream first.
                using var signal = new SignalAlarm(channel.Id, channel.StallTimeout, channelSink,
                    firstFrameTimeout: channel.StallTimeout + reconnect.IoTimeout + FfmpegInput.LiveProbeTime);
                var dropped = new StrongBox<long>();
                await foreach (var r in detector.DetectAsync(Arrivals(live.ReadFramesAsync(stop), signal, dropped), channel.Id, CancellationToken.None))
                {
                    signal.ModelVersion = r.ModelVersion;
                    Observe(alarm, r);
                    frames++;
                }

                output.WriteLine($"{channel.Id}: {frames} frames monitored, {live.Reconnects} reconnect{(live.Reconnects == 1 ? "" : "s")}, "
                    + $"{Interlocked.Read(ref dropped.Value)} dropped while detection was behind the feed (stopped)");
                return true;
            }

            await using var source = await FfmpegInput.OpenAsync(channel.Url, stop);
            await using (stop.Register(source.Stop))
            {
                var paced = fast ? source.ReadFramesAsync() : RealTime(source.ReadFramesAsync(), stop);
                await foreach (var r in detector.DetectAsync(paced, channel.Id, CancellationToken.None))
                {
                    Observe(alarm, r);
                    frames++;
                }
            }

            var (code, message) = await source.FinishAsync(CancellationToken.None);
            if (code != 0 && !source.Stopped)
            {
                throw new InvalidOperationException($"ffmpeg failed after {frames} frames (exit {code}): {message}");
            }

            output.WriteLine($"{channel.Id}: {frames} frames monitored{(source.Stopped ? " (interrupted)" : string.Empty)}");
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or FrameFormatException or Grpc.Core.RpcException)
        {
            errors.WriteLine($"{channel.Url}: {e.Message}");
            return false;
        }
    }

    private void Observe(StreamAlarm alarm, FrameResult r)
    {
        metrics.Frame(alarm.StreamId, r.Severity);
        alarm.Observe(r.ToAlarmSample(), r.ModelVersion);
    }

    /// <summary>Frames a live channel may hold while detection is behind the feed (about a second at 30 fps); beyond
    /// it the oldest queued frame is dropped, as a live stream does.</summary>
    private const int LiveQueueFrames = 32;

    /// <summary>
    /// Reads a live source on its own task and tells the signal alarm of each frame as it arrives, before detection:
    /// the watch must see the feed's pace, not detection's (pulled by detection, a CPU stall longer than the stall
    /// timeout looked like a lost signal). Detection takes frames from a bounded queue that drops its oldest frame
    /// when full (<see cref="LiveQueueFrames"/>), counted in <paramref name="dropped"/>.
    /// </summary>
    private static async IAsyncEnumerable<InputFrame> Arrivals(IAsyncEnumerable<InputFrame> frames, SignalAlarm signal, StrongBox<long> dropped)
    {
        var queue = System.Threading.Channels.Channel.CreateBounded<InputFrame>(
            new System.Threading.Channels.BoundedChannelOptions(LiveQueueFrames)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest,
            },
            _ => Interlocked.Increment(ref dropped.Value));
        var pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var f in frames)
                {
                    signal.FrameArrived(f.Index, (long)f.Timestamp.TotalMicroseconds);
                    await queue.Writer.WriteAsync(f);
                }

                queue.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                queue.Writer.TryComplete(ex);
            }
        });
        await foreach (var f in queue.Reader.ReadAllAsync())
        {
            yield return f;
        }

        await pump;
    }

    /// <summary>Releases each frame at its presentation time after the first (a file played as a live source).</summary>
    private static async IAsyncEnumerable<InputFrame> RealTime(IAsyncEnumerable<InputFrame> frames, [EnumeratorCancellation] CancellationToken stop = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? first = null;
        await foreach (var f in frames)
        {
            first ??= f.Timestamp;
            var wait = f.Timestamp - first.Value - clock.Elapsed;
            if (wait > TimeSpan.Zero && !stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl-C: the decoder is being stopped; pass the remaining frames through.
                }
            }

            yield return f;
        }
    }

    /// <summary>Prints and counts each alarm event, adds the channel's labels, then hands it to the publishers.</summary>
    private sealed class EchoSink(IAlarmSink inner, TextWriter output, IReadOnlyDictionary<string, string>? labels, ProbeMetrics metrics) : IAlarmSink
    {
        public void Enqueue(AlarmEvent alarm)
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            var at = TimeSpan.FromMicroseconds(alarm.State == "raised" ? alarm.StartTimestampUs : alarm.EndTimestampUs ?? alarm.StartTimestampUs);
            var line = alarm.Type == AlarmEvent.SignalLostType
                ? $"{alarm.StreamId}: {alarm.Type} {alarm.State} ({alarm.Reason}) after frame {alarm.StartFrame - 1}" +
                  (alarm.EndFrame is { } resumed ? $", resumed at frame {resumed}" : string.Empty)
                : $"{alarm.StreamId}: alarm {alarm.State} ({alarm.Reason}) {alarm.Class}, frames {alarm.StartFrame}-{alarm.EndFrame?.ToString(inv) ?? "..."}, " +
                  $"peak {alarm.PeakSeverity:0.00}, mean {alarm.MeanSeverity:0.00}, at {at:hh\\:mm\\:ss\\.fff}";
            lock (output)
            {
                output.WriteLine(line);
            }

            metrics.Alarm(alarm);
            inner.Enqueue(labels is null ? alarm : alarm with { Labels = labels });
        }

        public void Offer(StreamTelemetry telemetry) => inner.Offer(telemetry);
    }
}
