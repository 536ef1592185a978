using System.Text.Json;
using VideoQuality.Alarms;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Alarms;

/// <summary>Alarm events through the real publisher to a real mosquitto broker.</summary>
public sealed class MqttAlarmTests
{
    private static readonly AlarmOptions Windows = new() { RaiseThreshold = 0.5, ClearThreshold = 0.3, RaiseWindowMs = 500, ClearWindowMs = 1000 };

    private static MqttOptions Broker(Mosquitto m, string prefix) => new()
    {
        Enabled = true,
        Host = "127.0.0.1",
        Port = m.Port,
        TopicPrefix = prefix,
        ReconnectMinDelayMs = 50,
        ReconnectMaxDelayMs = 500,
    };

    /// <summary>Feeds severities at 25 fps (40 ms a frame) from frame <paramref name="first"/>.</summary>
    private static long Feed(StreamAlarm alarm, IEnumerable<double> severities, long first)
    {
        long i = first;
        foreach (var s in severities)
        {
            alarm.Observe(new AlarmSample(i, i * 40_000, s, s >= 0.5 ? "compression" : "clean"), "1.0.0");
            i++;
        }

        return i;
    }

    private static async Task WaitConnectedAsync(MqttAlarmPublisher publisher)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!publisher.IsConnected)
        {
            Assert.True(DateTime.UtcNow < until, "the publisher never connected");
            await Task.Delay(20);
        }
    }

    private static IEnumerable<double> Damage(int frames) => Enumerable.Repeat(0.9, frames);

    private static IEnumerable<double> Clean(int frames) => Enumerable.Repeat(0.05, frames);

    private static (string State, long Start) Parse(string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        return (doc.RootElement.GetProperty("state").GetString()!, doc.RootElement.GetProperty("start_frame").GetInt64());
    }

    [Fact]
    public async Task Broker_stopped_and_restarted_mid_stream_every_alarm_arrives_in_order()
    {
        await using var broker = await Mosquitto.StartNewAsync();
        const string prefix = "test/outbox";
        await using var recorder = await MqttRecorder.StartAsync(broker.Port, prefix + "/#");
        await using var publisher = new MqttAlarmPublisher(Broker(broker, prefix));
        publisher.Start();
        using var alarm = new StreamAlarm("cam-7", Windows, publisher);

        // One alarm while the broker is up.
        long f = Feed(alarm, Clean(10).Concat(Damage(20)).Concat(Clean(30)), 0);
        await recorder.WaitForAsync(m => m.Count == 2, TimeSpan.FromSeconds(30), "the first raise and clear");

        // Broker down: three more alarms go to the outbox.
        await broker.StopAsync();
        for (int k = 0; k < 3; k++)
        {
            f = Feed(alarm, Damage(20).Concat(Clean(30)), f);
        }

        Assert.Equal(6, publisher.OutboxCount);
        // The publisher notices the lost connection on its own schedule (keep-alive / socket close): wait for it.
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); publisher.IsConnected && waited.Elapsed < TimeSpan.FromSeconds(30);)
        {
            await Task.Delay(50);
        }

        Assert.False(publisher.IsConnected);

        // Broker back (same port): the backlog is published in order, and the stream goes on.
        await broker.StartAsync();
        Feed(alarm, Damage(20).Concat(Clean(30)), f);
        var got = await recorder.WaitForAsync(m => m.Count >= 10, TimeSpan.FromSeconds(60), "all ten events");
        Assert.True(await publisher.FlushAsync(TimeSpan.FromSeconds(10)));

        Assert.All(got, m => Assert.Equal(prefix + "/cam-7", m.Topic));
        var events = got.Select(m => Parse(m.Payload)).Distinct().ToList(); // QoS 1 may repeat one around the outage
        Assert.Equal(10, events.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? "raised" : "cleared"), events.Select(e => e.State));
        var starts = events.Where(e => e.State == "raised").Select(e => e.Start).ToList();
        Assert.Equal(starts.Order(), starts);           // in stream order
        Assert.Equal(5, starts.Distinct().Count());
        Assert.Equal(0, publisher.Overflowed);
    }

    [Fact]
    public async Task Severity_hovering_near_the_threshold_publishes_no_flapping_events()
    {
        await using var broker = await Mosquitto.StartNewAsync();
        const string prefix = "test/hover";
        await using var recorder = await MqttRecorder.StartAsync(broker.Port, prefix + "/#");
        await using var publisher = new MqttAlarmPublisher(Broker(broker, prefix));
        publisher.Start();
        var options = new AlarmOptions { RaiseThreshold = 0.5, ClearThreshold = 0.3, RaiseWindowMs = 500, ClearWindowMs = 1000, TelemetryIntervalMs = 1000 };
        await WaitConnectedAsync(publisher); // telemetry is only sent while connected
        using (var alarm = new StreamAlarm("hover", options, publisher))
        {
            // 20 s hovering 0.42..0.58 (never 500 ms above 0.5), then raised, then 20 s hovering between the thresholds.
            var hover = Enumerable.Range(0, 500).Select(i => 0.5 + (0.08 * Math.Sin(i * 0.9)));
            long f = Feed(alarm, hover, 0);
            f = Feed(alarm, Damage(20), f);
            Feed(alarm, Enumerable.Range(0, 500).Select(i => 0.4 + (0.08 * Math.Sin(i * 0.9))), f);
        }

        // Disposing the stream clears the alarm: exactly one raise and one clear (stream_ended) in all.
        await recorder.WaitForAsync(m => m.Count(x => !x.Topic.EndsWith("/telemetry", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(30), "raise and end");
        Assert.True(await publisher.FlushAsync(TimeSpan.FromSeconds(10)));
        await Task.Delay(300); // nothing else may follow
        var events = recorder.Messages.Where(m => m.Topic == prefix + "/hover").Select(m => Parse(m.Payload)).ToList();
        Assert.Equal(["raised", "cleared"], events.Select(e => e.State));
        var telemetry = recorder.Messages.Where(m => m.Topic == prefix + "/hover/telemetry").ToList();
        Assert.NotEmpty(telemetry);
        using var t = JsonDocument.Parse(telemetry[^1].Payload);
        Assert.Equal(25, t.RootElement.GetProperty("frames").GetInt64()); // 1 s of 25 fps frames per message
    }

    [Fact]
    public async Task A_full_outbox_drops_the_oldest_event_and_counts_it()
    {
        // No broker on this port: everything stays in the outbox.
        var options = new MqttOptions { Enabled = true, Host = "127.0.0.1", Port = DetectorServer.FreePort(), OutboxCapacity = 3, ReconnectMinDelayMs = 50, TimeoutMs = 200 };
        await using var publisher = new MqttAlarmPublisher(options);
        publisher.Start();
        using var alarm = new StreamAlarm("full", new AlarmOptions { RaiseWindowMs = 0, ClearWindowMs = 0 }, publisher);
        Feed(alarm, [0.9, 0.1, 0.9, 0.1, 0.9], 0); // raise, clear, raise, clear, raise
        Assert.Equal(3, publisher.OutboxCount);
        Assert.Equal(2, publisher.Overflowed);
    }
}
