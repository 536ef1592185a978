using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using VideoQuality.Contracts.V1;
using VideoQuality.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Alarms;

/// <summary>
/// A real blocky clip (ffmpeg: 2 s clean H.264 CRF 18, 2 s H.264 at QP 51 without the deblocking filter, 3 s clean) streamed through a real Detector host
/// with MQTT alarms on, to a real mosquitto broker: one alarm is raised inside the damaged segment and cleared after it.
/// </summary>
public sealed class DetectorAlarmTests
{
    private const int Fps = 30;

    [Fact]
    public async Task A_blocky_segment_raises_one_alarm_and_the_clean_segment_after_it_clears_it()
    {
        var frames = BlockyClip(out int width, out int height);
        await using var broker = await Mosquitto.StartNewAsync();
        await using var recorder = await MqttRecorder.StartAsync(broker.Port, "vq/test/#");
        await using var detector = await DetectorServer.StartAsync(
        [
            "--Mqtt:Enabled=true", "--Mqtt:Host=127.0.0.1", $"--Mqtt:Port={broker.Port}", "--Mqtt:TopicPrefix=vq/test",
            // Detector 2.0.0 scores this clip's QP-51 blocking on a grainy gradient 0.23-0.87 (mostly 0.3-0.6: its
            // documented weakness on grain, model card) and the clean segments <= 0.05; thresholds between the two.
            "--Alarms:RaiseThreshold=0.25", "--Alarms:ClearThreshold=0.1", "--Alarms:RaiseWindowMs=500", "--Alarms:ClearWindowMs=1000",
        ]);

        var severities = new List<float>();
        var classes = new List<DamageClass>();
        using (var call = detector.Client.DetectStream(deadline: DateTime.UtcNow.AddMinutes(5)))
        {
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { StreamId = "clip", Mode = StreamMode.Lossless } });
            var reading = Task.Run(async () =>
            {
                await foreach (var r in call.ResponseStream.ReadAllAsync())
                {
                    severities.Add(r.Severity);
                    classes.Add(r.DamageClass);
                }
            });
            for (int i = 0; i < frames.Count; i++)
            {
                await call.RequestStream.WriteAsync(new DetectStreamRequest
                {
                    Frame = new Frame
                    {
                        Format = PixelFormat.Gray8, Width = (uint)width, Height = (uint)height, Data = ByteString.CopyFrom(frames[i]),
                        Sequence = (ulong)i, TimestampUs = i * 1_000_000L / Fps,
                    },
                });
            }

            await call.RequestStream.CompleteAsync();
            await reading;
        }

        string trace = "severities: " + string.Join(" ", severities.Select((s, i) => $"{i}:{s:0.00}"));
        var got = await recorder.WaitForAsync(m => m.Count >= 2, TimeSpan.FromSeconds(30), "raise and clear; " + trace);
        await Task.Delay(300);
        var events = recorder.Messages.Select(m => (m.Topic, Doc: JsonDocument.Parse(m.Payload).RootElement)).ToList();
        Assert.True(events.Count == 2, $"expected 2 events, got {events.Count}; {trace}");
        Assert.All(events, e => Assert.Equal("vq/test/clip", e.Topic));
        var raised = events[0].Doc;
        var cleared = events[1].Doc;
        Assert.True(("raised", "cleared", "severity") == (raised.GetProperty("state").GetString(), cleared.GetProperty("state").GetString(), cleared.GetProperty("reason").GetString()),
            $"events {events[0].Doc} {events[1].Doc}; {trace}");
        Assert.Equal(raised.GetProperty("alarm_id").GetString(), cleared.GetProperty("alarm_id").GetString());

        // The damaged segment is frames 60-119: the alarm starts in it and ends near its end.
        long start = raised.GetProperty("start_frame").GetInt64();
        long end = cleared.GetProperty("end_frame").GetInt64();

        // The alarm's class is the detector's dominant damage class over the alarm's frames (detector 2.0.0 calls
        // part of this QP-51 H.264 blocking transmission: a known misclassification, model card).
        var span = classes.Skip((int)start).Take((int)(end - start + 1)).ToList();
        int trans = span.Count(c => c == DamageClass.Transmission), comp = span.Count(c => c == DamageClass.Compression);
        Assert.True(trans + comp > 0, trace);
        Assert.Equal(trans > comp ? "transmission" : "compression", raised.GetProperty("class").GetString());
        Assert.InRange(start, 58, 100);
        Assert.InRange(end, 110, 130);
        Assert.True(cleared.GetProperty("peak_severity").GetDouble() >= 0.5, trace);
        Assert.Equal(start * 1_000_000 / Fps, raised.GetProperty("start_timestamp_us").GetInt64());
        Assert.False(string.IsNullOrEmpty(raised.GetProperty("model_version").GetString()));

        var metrics = await detector.MetricsAsync();
        Assert.Contains($"vq_detector_alarms_raised_total{{stream=\"clip\",class=\"{raised.GetProperty("class").GetString()}\"}} 1", metrics);
        Assert.Contains("vq_detector_active_alarms 0", metrics);
        Assert.Contains("vq_detector_alarm_outbox_depth 0", metrics);
        Assert.Contains("vq_detector_mqtt_connected 1", metrics);
    }

    /// <summary>Luma planes of the clip, decoded by ffmpeg (luma as stored: extractplanes, not a range conversion).</summary>
    private static List<byte[]> BlockyClip(out int width, out int height)
    {
        var dir = Directory.CreateTempSubdirectory("vq-alarm-clip-").FullName;
        try
        {
            // A slowly moving colour gradient with film grain: smooth areas, where blocking shows.
            const string source = "gradients=s=640x360:r=30:speed=0.015:c0=0x203060:c1=0xd09050:c2=0x60a040:seed=3,noise=alls=6:allf=t,format=yuv420p";
            string clean1 = Path.Combine(dir, "a.mkv"), blocky = Path.Combine(dir, "b.mkv"), clean2 = Path.Combine(dir, "c.mkv");
            Ffmpeg.Run($"-f lavfi -i \"{source}\" -t 2 -threads 1 -c:v libx264 -preset veryfast -crf 18 {clean1}");
            Ffmpeg.Run($"-f lavfi -i \"{source}\" -ss 2 -t 2 -threads 1 -c:v libx264 -qp 51 -x264-params no-deblock=1 {blocky}");
            Ffmpeg.Run($"-f lavfi -i \"{source}\" -ss 4 -t 3 -threads 1 -c:v libx264 -preset veryfast -crf 18 {clean2}");
            var y4m = Ffmpeg.Run($"-i {clean1} -i {blocky} -i {clean2} -filter_complex \"[0:v][1:v][2:v]concat=n=3:v=1,format=yuv420p,extractplanes=y\" -f yuv4mpegpipe -");
            using var reader = new Y4mReader(new MemoryStream(y4m));
            (width, height) = (reader.Width, reader.Height);
            var frames = new List<byte[]>();
            var buffer = new byte[reader.FrameSize];
            while (reader.ReadFrame(buffer))
            {
                frames.Add(buffer.ToArray());
            }

            Assert.InRange(frames.Count, (7 * Fps) - 2, (7 * Fps) + 2);
            return frames;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
