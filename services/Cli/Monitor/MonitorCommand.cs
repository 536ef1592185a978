using System.Runtime.CompilerServices;
using VideoQuality.Alarms;
using VideoQuality.Cli.Detect;
using VideoQuality.Cli.Input;
using VideoQuality.Cli.Output;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Cli.Monitor;

/// <summary>Options of `vq monitor`.</summary>
/// <param name="Mqtt">Broker: mqtt://[user:pass@]HOST[:PORT] or mqtts://... (TLS).</param>
/// <param name="StreamId">Stream id of a single input (default: the input's file stem, as `vq detect` names its output).</param>
/// <param name="Fast">Files as fast as possible instead of in real time.</param>
/// <param name="Alarms">Thresholds and windows.</param>
/// <param name="TopicPrefix">Topic prefix (events to &lt;prefix&gt;/&lt;stream&gt;).</param>
internal sealed record MonitorOptions(IReadOnlyList<string> Inputs, Uri Mqtt, string? StreamId, bool Fast, AlarmOptions Alarms, string TopicPrefix,
    Uri? Detector, int? Threads, string ModelRoot);

/// <summary>
/// `vq monitor INPUT... --mqtt mqtt://HOST:PORT`: an edge probe. Each input is decoded (<see cref="FfmpegInput"/>) and detected
/// (the same <see cref="IFrameDetector"/> as `vq detect`: in-process, or a Detector service with --detector) in its own task;
/// each result feeds the stream's <see cref="StreamAlarm"/>, whose events (and telemetry) go to MQTT through
/// <see cref="MqttAlarmPublisher"/> exactly as the Detector service publishes them. Files play in real time (frame timestamps
/// against the wall clock) unless --fast; URLs run as they arrive, until Ctrl-C. Events are also printed.
/// </summary>
internal sealed class MonitorCommand(IFrameDetector detector, IAlarmSink sink, AlarmOptions alarms, TextWriter output, TextWriter errors)
{
    public static async Task<int> RunAsync(MonitorOptions o, TextWriter output, TextWriter errors, CancellationToken stop)
    {
        if (o.StreamId is not null && o.Inputs.Count > 1)
        {
            errors.WriteLine("vq: --stream-id names a single input; with several inputs each one is named by its file stem");
            return 1;
        }

        IFrameDetector detector;
        try
        {
            detector = DetectCommand.CreateDetector(new DetectOptions(o.Inputs, string.Empty, o.Detector, o.Threads, o.ModelRoot));
        }
        catch (ModelLoadException e)
        {
            errors.WriteLine($"vq: cannot load the detector model: {e.Message}");
            return 1;
        }

        await using var _ = detector;
        var mqtt = MqttOptions.FromUri(o.Mqtt);
        mqtt.TopicPrefix = o.TopicPrefix;
        await using var publisher = new MqttAlarmPublisher(mqtt);
        publisher.Start();
        output.WriteLine($"monitoring {o.Inputs.Count} input{(o.Inputs.Count == 1 ? "" : "s")} with {detector.Description}; alarms to {o.Mqtt.Host}:{mqtt.Port} {mqtt.TopicPrefix}/<stream>");
        var command = new MonitorCommand(detector, new EchoSink(publisher, output), o.Alarms, output, errors);
        var results = await Task.WhenAll(o.Inputs.Select(input => command.RunOneAsync(input, o.StreamId ?? PredictionWriter.StemOf(input), o.Fast, stop)));
        if (!await publisher.FlushAsync(TimeSpan.FromSeconds(10), CancellationToken.None))
        {
            errors.WriteLine($"vq: {publisher.OutboxCount} alarm events could not be published to {o.Mqtt.Host}:{mqtt.Port}");
            return 1;
        }

        return results.All(ok => ok) ? 0 : 1;
    }

    /// <summary>Monitors one input until it ends (or Ctrl-C); false if it failed.</summary>
    public async Task<bool> RunOneAsync(string input, string streamId, bool fast, CancellationToken stop)
    {
        try
        {
            await using var source = await FfmpegInput.OpenAsync(input, stop);
            using var alarm = new StreamAlarm(streamId, alarms, sink);
            long frames = 0;
            await using (stop.Register(source.Stop))
            {
                var paced = fast || FfmpegInput.IsLive(input) ? source.ReadFramesAsync() : RealTime(source.ReadFramesAsync(), stop);
                await foreach (var r in detector.DetectAsync(paced, streamId, CancellationToken.None))
                {
                    alarm.Observe(r.ToAlarmSample(), r.ModelVersion);
                    frames++;
                }
            }

            var (code, message) = await source.FinishAsync(CancellationToken.None);
            if (code != 0 && !source.Stopped)
            {
                throw new InvalidOperationException($"ffmpeg failed after {frames} frames (exit {code}): {message}");
            }

            output.WriteLine($"{streamId}: {frames} frames monitored{(source.Stopped ? " (interrupted)" : string.Empty)}");
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or FrameFormatException or Grpc.Core.RpcException)
        {
            errors.WriteLine($"{input}: {e.Message}");
            return false;
        }
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

    /// <summary>Prints each alarm event, then hands it to the publisher.</summary>
    private sealed class EchoSink(IAlarmSink inner, TextWriter output) : IAlarmSink
    {
        public void Enqueue(AlarmEvent alarm)
        {
            var at = TimeSpan.FromMicroseconds(alarm.State == "raised" ? alarm.StartTimestampUs : alarm.EndTimestampUs ?? alarm.StartTimestampUs);
            lock (output)
            {
                output.WriteLine($"{alarm.StreamId}: alarm {alarm.State} ({alarm.Reason}) {alarm.Class}, frames {alarm.StartFrame}-{alarm.EndFrame?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "..."}, " +
                    $"peak {alarm.PeakSeverity:0.00}, mean {alarm.MeanSeverity:0.00}, at {at:hh\\:mm\\:ss\\.fff}");
            }

            inner.Enqueue(alarm);
        }

        public void Offer(StreamTelemetry telemetry) => inner.Offer(telemetry);
    }
}
