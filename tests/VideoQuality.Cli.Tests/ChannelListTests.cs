using VideoQuality.Alarms;
using VideoQuality.Cli.Monitor;
using VideoQuality.Tests.Support;

namespace VideoQuality.Cli.Tests;

/// <summary>`vq monitor --channels FILE`: the channel list (YAML or JSON) and one alarm state per channel id.</summary>
public sealed class ChannelListTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void A_yaml_list_gives_each_channel_its_url_thresholds_windows_and_labels_with_the_rest_from_the_command_line()
    {
        var path = Write("channels.yaml", """
            channels:
              - id: studio-4
                url: udp://239.1.1.4:5000
                raise_threshold: 0.6
                clear_window_ms: 1500
                stall_timeout_ms: 3000
                labels: { site: paris, feed: main }
              - id: studio-5
                url: https://cdn.example.com/studio5/index.m3u8
            """);
        var channels = ChannelList.Load(path, new AlarmOptions { ClearThreshold = 0.3 }, TimeSpan.FromSeconds(2));
        Assert.Equal(["studio-4", "studio-5"], channels.Select(c => c.Id));
        Assert.Equal("udp://239.1.1.4:5000", channels[0].Url);
        Assert.Equal(0.6, channels[0].Alarms.RaiseThreshold);
        Assert.Equal(0.3, channels[0].Alarms.ClearThreshold);
        Assert.Equal(1500, channels[0].Alarms.ClearWindowMs);
        Assert.Equal(TimeSpan.FromSeconds(3), channels[0].StallTimeout);
        Assert.Equal("paris", channels[0].Labels!["site"]);
        Assert.Equal(0.5, channels[1].Alarms.RaiseThreshold);
        Assert.Equal(TimeSpan.FromSeconds(2), channels[1].StallTimeout);
        Assert.Null(channels[1].Labels);
    }

    [Fact]
    public void A_json_list_reads_the_same_schema()
    {
        var path = Write("channels.json", """{"channels": [{"id": "a", "url": "rtsp://cam/live", "raise_window_ms": 800, "labels": {"room": "1"}}]}""");
        var c = Assert.Single(ChannelList.Load(path, new AlarmOptions(), TimeSpan.FromSeconds(2)));
        Assert.Equal(800, c.Alarms.RaiseWindowMs);
        Assert.Equal("1", c.Labels!["room"]);
    }

    [Theory]
    [InlineData("""{"channels": [{"id": "a", "url": "udp://x:1"}, {"id": "a", "url": "udp://y:1"}]}""", "channel id 'a' is used by 2 inputs")]
    [InlineData("""{"channels": [{"url": "udp://x:1"}]}""", "channel 1: 'id' is required")]
    [InlineData("""{"channels": [{"id": "a"}]}""", "channel 1 ('a'): 'url' is required")]
    [InlineData("""{"channels": [{"id": "a", "url": "udp://x:1", "clear_threshold": 0.9}]}""", "must not be above")]
    [InlineData("""{"channels": [{"id": "a", "url": "udp://x:1", "raise_treshold": 0.9}]}""", "raise_treshold")]
    [InlineData("""{"channels": []}""", "no channels")]
    public void A_bad_list_is_refused_with_a_clear_error(string json, string message)
    {
        var path = Write("bad.json", json);
        var e = Assert.Throws<ChannelListException>(() => ChannelList.Load(path, new AlarmOptions(), TimeSpan.FromSeconds(2)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Command_line_urls_whose_paths_end_alike_get_distinct_ids()
    {
        var channels = ChannelList.FromInputs(["https://a.example/live/index.m3u8", "https://b.example/live/index.m3u8", "udp://239.0.0.1:5000", "udp://239.0.0.1:5002"],
            null, new AlarmOptions(), TimeSpan.FromSeconds(2));
        Assert.Equal(["a.example_live_index", "b.example_live_index", "239.0.0.1_5000", "239.0.0.1_5002"], channels.Select(c => c.Id));
    }

    [Fact]
    public async Task Monitor_refuses_duplicate_channel_ids_with_a_clear_error()
    {
        var path = Write("dup.yaml", "channels:\n  - {id: cam, url: a/live.mkv}\n  - {id: cam, url: b/live.mkv}\n");
        var errors = new StringWriter();
        var code = await CliApp.InvokeAsync(["monitor", "--channels", path, "--mqtt", "mqtt://127.0.0.1:1"], Repo.Environment, new StringWriter(), errors);
        Assert.Equal(1, code);
        Assert.Contains("channel id 'cam' is used by 2 inputs", errors.ToString());
    }

    [Fact]
    public async Task Two_channels_whose_inputs_end_alike_keep_separate_alarm_states()
    {
        Directory.CreateDirectory(_dir.File("a"));
        Directory.CreateDirectory(_dir.File("b"));
        var damaged = await MonitorCommandTests.DamagedClipAsync(_dir, Path.Combine("a", "live.mkv"));
        File.Copy(damaged, _dir.File(Path.Combine("b", "live.mkv")));
        // Same tail (live), same pictures; only cam-a's thresholds let the damage raise an alarm.
        var path = Write("channels.yaml", $"""
            channels:
              - id: cam-a
                url: {_dir.File("a/live.mkv")}
                clear_window_ms: 1000
                labels: {"{"} site: a {"}"}
              - id: cam-b
                url: {_dir.File("b/live.mkv")}
                raise_threshold: 1.0
                clear_threshold: 1.0
            """);
        await using var broker = await Mosquitto.StartNewAsync();
        await using var recorder = await MqttRecorder.StartAsync(broker.Port, "video/quality/macroblocking/#");
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await CliApp.InvokeAsync(["monitor", "--channels", path, "--mqtt", $"mqtt://127.0.0.1:{broker.Port}", "--fast"], Repo.Environment, output, errors);
        Assert.True(code == 0, $"exit {code}: {errors}\n{output}");

        var got = await recorder.WaitForAsync(m => MonitorProbeTests.Events(m, "cam-a").Count >= 2, TimeSpan.FromSeconds(30), "cam-a raise and clear");
        Assert.Equal(["raised", "cleared"], MonitorProbeTests.Events(got, "cam-a").Select(e => e.State));
        Assert.All(MonitorProbeTests.Events(got, "cam-a"), e => Assert.StartsWith("cam-a:", e.AlarmId));
        Assert.Contains("\"labels\":{\"site\":\"a\"}", got.First(m => m.Topic == "video/quality/macroblocking/cam-a").Payload);
        Assert.Empty(MonitorProbeTests.Events(got, "cam-b"));
        Assert.Equal(MonitorProbeTests.FramesMonitored(output, "cam-a"), MonitorProbeTests.FramesMonitored(output, "cam-b"));
    }

    private string Write(string name, string text)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
