using VideoQuality.Alarms;

namespace VideoQuality.Tests.Alarms;

/// <summary>The per-stream alarm state machine: raise and clear windows on frame time, hysteresis, edge cases.</summary>
public sealed class AlarmStateMachineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

    private static AlarmOptions Options(int raiseMs = 500, int clearMs = 1000) =>
        new() { RaiseThreshold = 0.5, ClearThreshold = 0.3, RaiseWindowMs = raiseMs, ClearWindowMs = clearMs };

    /// <summary>Feeds severities at 10 fps (frame i at i*100 ms) from frame <paramref name="first"/>; returns the events.</summary>
    private static List<AlarmEvent> Feed(AlarmStateMachine m, IEnumerable<double> severities, long first = 0, string cls = "compression")
    {
        var events = new List<AlarmEvent>();
        long i = first;
        foreach (var s in severities)
        {
            if (m.Add(new AlarmSample(i, i * 100_000, s, s >= 0.5 ? cls : "clean"), "1.0.0", Now) is { } e)
            {
                events.Add(e);
            }

            i++;
        }

        return events;
    }

    [Fact]
    public void Raises_once_severity_stays_above_the_threshold_for_the_window()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 500));
        Assert.Empty(Feed(m, Enumerable.Repeat(0.1, 10)));
        // frames 10..15 at 0.8: the run starts at 1.0 s; at 1.5 s (frame 15) 500 ms have passed.
        var events = Feed(m, Enumerable.Repeat(0.8, 6), first: 10);
        var e = Assert.Single(events);
        Assert.Equal("raised", e.State);
        Assert.Equal("severity", e.Reason);
        Assert.Equal(10, e.StartFrame);
        Assert.Equal(1_000_000, e.StartTimestampUs);
        Assert.Equal(6, e.Frames);
        Assert.Null(e.EndFrame);
        Assert.Equal("cam1:10", e.AlarmId);
        Assert.Equal("compression", e.Class);
        Assert.Equal("1.0.0", e.ModelVersion);
        Assert.True(m.IsRaised);
    }

    [Fact]
    public void A_run_shorter_than_the_raise_window_raises_nothing()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 500));
        // 5 frames (400 ms) above, one below, 5 above: no run lasts 500 ms.
        Assert.Empty(Feed(m, [0.9, 0.9, 0.9, 0.9, 0.9, 0.2, 0.9, 0.9, 0.9, 0.9, 0.9]));
        Assert.False(m.IsRaised);
    }

    [Fact]
    public void Clears_once_severity_stays_below_the_clear_threshold_for_the_clear_window()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 0, clearMs: 1000));
        var severities = new List<double> { 0.6, 0.9, 0.7 };   // frames 0-2: raised at frame 0 (window 0)
        severities.AddRange(Enumerable.Repeat(0.1, 11));          // frames 3-13: clean run from 0.3 s, 1 s later = frame 13
        var events = Feed(m, severities);
        Assert.Equal(["raised", "cleared"], events.Select(e => e.State));
        var cleared = events[1];
        Assert.Equal("cam1:0", cleared.AlarmId);
        Assert.Equal(0, cleared.StartFrame);
        Assert.Equal(2, cleared.EndFrame);                        // last damaged frame
        Assert.Equal(200_000, cleared.EndTimestampUs);
        Assert.Equal(0.9, cleared.PeakSeverity);
        Assert.Equal(Math.Round((0.6 + 0.9 + 0.7) / 3, 4), cleared.MeanSeverity);
        Assert.Equal(3, cleared.Frames);
        Assert.False(m.IsRaised);
    }

    [Fact]
    public void Severity_between_the_thresholds_keeps_a_raised_alarm_raised()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 0, clearMs: 500));
        var events = Feed(m, [0.8, .. Enumerable.Repeat(0.4, 100)]);
        Assert.Equal(["raised"], events.Select(e => e.State));
        Assert.True(m.IsRaised);
    }

    [Fact]
    public void Hovering_around_the_raise_threshold_does_not_flap()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 500, clearMs: 1000));
        // 0.45 / 0.55 alternating every 2 frames for 60 s: never 500 ms above 0.5 in a row -> never raised.
        var hover = Enumerable.Range(0, 600).Select(i => i / 2 % 2 == 0 ? 0.55 : 0.45);
        Assert.Empty(Feed(m, hover));

        // Once raised, the same hovering never reaches the clear threshold (0.3): one raise, no clear.
        var raisedThenHover = Enumerable.Repeat(0.9, 6).Concat(hover);
        var m2 = new AlarmStateMachine("cam2", Options(raiseMs: 500, clearMs: 1000));
        Assert.Equal(["raised"], Feed(m2, raisedThenHover).Select(e => e.State));
    }

    [Fact]
    public void A_damaged_frame_in_the_clean_run_restarts_the_clear_window()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 0, clearMs: 500));
        // raised at 0; clean 1-5 (400 ms), damaged 6, clean from 7: 500 ms later (frame 12) it clears.
        var events = Feed(m, [0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.6, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
        Assert.Equal(["raised", "cleared"], events.Select(e => e.State));
        Assert.Equal(6, events[1].EndFrame);
    }

    [Fact]
    public void Zero_windows_raise_and_clear_on_single_frames()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 0, clearMs: 0));
        var events = Feed(m, [0.1, 0.9, 0.1, 0.2, 0.9]);
        Assert.Equal(["raised", "cleared", "raised"], events.Select(e => e.State));
        Assert.Equal([1L, 1L, 4L], events.Select(e => e.StartFrame));
    }

    [Fact]
    public void A_timestamp_going_backwards_restarts_the_pending_run()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 500));
        Assert.Null(m.Add(new AlarmSample(0, 10_000_000, 0.9, "compression"), "v", Now));
        // The source restarted: timestamps from 0 again. 10 s - 0 must not count as a completed window.
        Assert.Null(m.Add(new AlarmSample(1, 0, 0.9, "compression"), "v", Now));
        Assert.Null(m.Add(new AlarmSample(2, 400_000, 0.9, "compression"), "v", Now));
        var e = m.Add(new AlarmSample(3, 500_000, 0.9, "compression"), "v", Now);
        Assert.NotNull(e);
        Assert.Equal(1, e.StartFrame);
    }

    [Fact]
    public void The_class_is_the_most_frequent_damage_class_of_the_alarm()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 200));
        AlarmEvent? e = null;
        string[] classes = ["compression", "transmission", "transmission"];
        for (int i = 0; i < 3; i++)
        {
            e = m.Add(new AlarmSample(i, i * 100_000, 0.8, classes[i]), "v", Now) ?? e;
        }

        Assert.NotNull(e);
        Assert.Equal("transmission", e.Class);
    }

    [Fact]
    public void Ending_a_stream_clears_a_raised_alarm_and_nothing_else()
    {
        var m = new AlarmStateMachine("cam1", Options(raiseMs: 0));
        Assert.Null(m.End("v", Now));
        Feed(m, [0.9, 0.8]);
        var e = m.End("v", Now);
        Assert.NotNull(e);
        Assert.Equal(("cleared", "stream_ended", 1L), (e.State, e.Reason, e.EndFrame!.Value));
        Assert.Null(m.End("v", Now));
    }

    [Fact]
    public void Events_serialize_as_snake_case_json()
    {
        var m = new AlarmStateMachine("cam 1", Options(raiseMs: 0));
        var e = m.Add(new AlarmSample(7, 700_000, 0.8125, "transmission"), "1.2.3", Now)!;
        using var doc = System.Text.Json.JsonDocument.Parse(e.ToJson());
        var r = doc.RootElement;
        Assert.Equal("cam 1", r.GetProperty("stream_id").GetString());
        Assert.Equal("raised", r.GetProperty("state").GetString());
        Assert.Equal("transmission", r.GetProperty("class").GetString());
        Assert.Equal(0.8125, r.GetProperty("peak_severity").GetDouble());
        Assert.Equal(7, r.GetProperty("start_frame").GetInt64());
        Assert.Equal(700_000, r.GetProperty("start_timestamp_us").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, r.GetProperty("end_frame").ValueKind);
        Assert.Equal("1.2.3", r.GetProperty("model_version").GetString());
    }

    [Fact]
    public void Options_reject_a_clear_threshold_above_the_raise_threshold()
    {
        var o = new AlarmOptions { RaiseThreshold = 0.4, ClearThreshold = 0.6 };
        Assert.Single(o.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(o)));
    }

    [Theory]
    [InlineData("cam/1+#", "cam_1__")]
    [InlineData("", "unnamed")]
    [InlineData("studio-4", "studio-4")]
    public void Stream_ids_become_one_topic_level(string id, string segment) =>
        Assert.Equal(segment, MqttAlarmPublisher.TopicSegment(id));

    [Fact]
    public void Mqtt_uris_give_host_port_tls_and_credentials()
    {
        var o = MqttOptions.FromUri(new Uri("mqtts://probe:s%40cret@broker.example:8884"));
        Assert.Equal(("broker.example", 8884, true, "probe", "s@cret"), (o.Host, o.Port, o.UseTls, o.Username, o.Password));
        Assert.Equal(1883, MqttOptions.FromUri(new Uri("mqtt://127.0.0.1")).Port);
    }
}
