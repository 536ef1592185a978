using System.Text.Json;
using VideoQuality.Alarms;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Alarms;

/// <summary>Alarm events POSTed by the real webhook publisher to a real HTTP receiver (HttpListener on loopback).</summary>
public sealed class WebhookAlarmTests
{
    [Fact]
    public async Task Every_event_arrives_in_order_across_a_receiver_restart()
    {
        var port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/alarms/");
        var received = new List<JsonElement>();
        await using var publisher = new WebhookAlarmPublisher(new WebhookOptions
        {
            Url = url, RetryMinDelay = TimeSpan.FromMilliseconds(50), RetryMaxDelay = TimeSpan.FromMilliseconds(500), Timeout = TimeSpan.FromSeconds(2),
        });
        publisher.Start();

        using (var receiver = WebhookReceiver.Start(url, received))
        {
            for (var i = 0; i < 5; i++) publisher.Enqueue(Event(i));
            Assert.True(await publisher.FlushAsync(TimeSpan.FromSeconds(20)), "the first events were not delivered");
        }

        // The receiver is down: events wait in the outbox and are retried with backoff.
        for (var i = 5; i < 15; i++) publisher.Enqueue(Event(i));
        await Task.Delay(1500);
        Assert.Equal(10, publisher.OutboxCount);

        using (var receiver = WebhookReceiver.Start(url, received))
        {
            Assert.True(await publisher.FlushAsync(TimeSpan.FromSeconds(20)), "the events queued while the receiver was down were not delivered");
        }

        lock (received)
        {
            Assert.Equal(Enumerable.Range(0, 15).Select(i => $"cam:{i}"), received.Select(e => e.GetProperty("alarm_id").GetString()));
            Assert.All(received, e => Assert.Equal("macroblocking", e.GetProperty("type").GetString()));
        }
    }

    [Fact]
    public async Task A_full_outbox_drops_its_oldest_event()
    {
        await using var publisher = new WebhookAlarmPublisher(new WebhookOptions { Url = new Uri($"http://127.0.0.1:{FreePort()}/"), OutboxCapacity = 3 });
        for (var i = 0; i < 5; i++) publisher.Enqueue(Event(i));
        Assert.Equal((3, 2L), (publisher.OutboxCount, publisher.Overflowed));
    }

    private static AlarmEvent Event(int i) => new()
    {
        StreamId = "cam", AlarmId = $"cam:{i}", State = i % 2 == 0 ? "raised" : "cleared", Reason = "severity", Class = "compression",
        PeakSeverity = 0.9, MeanSeverity = 0.8, Frames = 10, StartFrame = i, StartTimestampUs = i * 40_000, ModelVersion = "1.0.0",
        EmittedAt = DateTimeOffset.UtcNow,
    };

    private static int FreePort() => Mosquitto.FreePort();
}
