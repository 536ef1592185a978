using System.Text.Json;
using VideoQuality.Cli.Input;
using VideoQuality.Tests.Support;

namespace VideoQuality.Cli.Tests;

/// <summary>`vq monitor` as an edge probe: a real clip through the in-process detector, alarms to a real mosquitto broker.</summary>
public sealed class MonitorCommandTests
{
    [Fact]
    public async Task Monitor_fast_publishes_the_raise_and_clear_of_a_damaged_segment_and_telemetry()
    {
        using var dir = new TempDir();
        var clip = await DamagedClipAsync(dir);
        await using var broker = await Mosquitto.StartNewAsync();
        await using var recorder = await MqttRecorder.StartAsync(broker.Port, "video/quality/macroblocking/#");

        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await CliApp.InvokeAsync(
            ["monitor", clip, "--mqtt", $"mqtt://127.0.0.1:{broker.Port}", "--fast", "--stream-id", "probe-1", "--telemetry-ms", "1000", "--clear-window-ms", "1000"],
            Repo.Environment, output, errors);
        Assert.True(code == 0, $"exit {code}: {errors}\n{output}");

        var got = await recorder.WaitForAsync(m => m.Count(x => x.Topic == "video/quality/macroblocking/probe-1") >= 2, TimeSpan.FromSeconds(30), "raise and clear");
        var events = got.Where(m => m.Topic == "video/quality/macroblocking/probe-1").Select(m => JsonDocument.Parse(m.Payload).RootElement).ToList();
        Assert.Equal(["raised", "cleared"], events.Select(e => e.GetProperty("state").GetString()));
        Assert.Equal("severity", events[1].GetProperty("reason").GetString());
        Assert.InRange(events[0].GetProperty("start_frame").GetInt64(), 28, 60);   // damage: frames 30-74
        Assert.InRange(events[1].GetProperty("end_frame").GetInt64(), 70, 85);
        Assert.Contains(got, m => m.Topic == "video/quality/macroblocking/probe-1/telemetry");
        Assert.Contains("probe-1: alarm raised", output.ToString());
    }

    /// <summary>1 s clean H.264, 1.5 s H.264 at QP 51 without deblocking (heavy blocking), 2 s clean; one lossless file
    /// (<paramref name="name"/> in <paramref name="dir"/>).</summary>
    internal static async Task<string> DamagedClipAsync(TempDir dir, string name = "damaged.mkv")
    {
        const string source = "gradients=s=640x360:r=30:speed=0.015:c0=0x203060:c1=0xd09050:c2=0x60a040:seed=3,noise=alls=6:allf=t,format=yuv420p";
        string[] parts = [dir.File("a.mkv"), dir.File("b.mkv"), dir.File("c.mkv")];
        (string Ss, string T, string[] Codec)[] segments =
        [
            ("0", "1", ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18"]),
            ("1", "1.5", ["-c:v", "libx264", "-qp", "51", "-x264-params", "no-deblock=1"]),
            ("2.5", "2", ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18"]),
        ];
        for (int i = 0; i < 3; i++)
        {
            await FfmpegProcess.RunAsync("ffmpeg",
                ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-ss", segments[i].Ss, "-t", segments[i].T,
                 "-threads", "1", .. segments[i].Codec, parts[i]], CancellationToken.None);
        }

        var clip = dir.File(name);
        await FfmpegProcess.RunAsync("ffmpeg",
            ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", parts[0], "-i", parts[1], "-i", parts[2],
             "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1,setpts=N/(30*TB)[v]", "-map", "[v]", "-r", "30", "-c:v", "ffv1", "-threads", "1", clip],
            CancellationToken.None);
        return clip;
    }
}
