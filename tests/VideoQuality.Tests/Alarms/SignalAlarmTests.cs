using VideoQuality.Alarms;

namespace VideoQuality.Tests.Alarms;

/// <summary>The loss-of-signal alarm on a clock the test moves.</summary>
public sealed class SignalAlarmTests
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(2);

    [Fact]
    public void No_frame_for_the_stall_timeout_raises_signal_lost_and_a_second_of_frames_clears_it()
    {
        var (clock, sink) = (new ManualClock(), new ListSink());
        using var alarm = new SignalAlarm("cam", Stall, sink, clock);
        for (var i = 0; i < 5; i++)
        {
            alarm.FrameArrived(i, i * 40_000);
            clock.Advance(TimeSpan.FromMilliseconds(40));
        }

        clock.Advance(TimeSpan.FromMilliseconds(1900));
        alarm.Check();
        Assert.Empty(sink.Events);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        alarm.Check();
        var raised = Assert.Single(sink.Events);
        Assert.Equal(("signal_lost", "raised", "no_frames", 5L, 160_000L), (raised.Type, raised.State, raised.Reason, raised.StartFrame, raised.StartTimestampUs));

        alarm.FrameArrived(5, 200_000); // frames flow again: cleared once they have for a second
        clock.Advance(TimeSpan.FromMilliseconds(600));
        alarm.FrameArrived(6, 240_000);
        Assert.True(alarm.IsLost);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        alarm.FrameArrived(7, 280_000);
        Assert.False(alarm.IsLost);
        var cleared = sink.Events[1];
        Assert.Equal(("cleared", "frames_resumed", raised.AlarmId, 5L, 200_000L), (cleared.State, cleared.Reason, cleared.AlarmId, cleared.EndFrame, cleared.EndTimestampUs));
    }

    [Fact]
    public void A_burst_of_frames_flushed_as_the_feed_dies_does_not_clear_it()
    {
        var (clock, sink) = (new ManualClock(), new ListSink());
        using var alarm = new SignalAlarm("cam", Stall, sink, clock);
        alarm.FrameArrived(0, 0);
        clock.Advance(TimeSpan.FromSeconds(3));
        alarm.Check();
        alarm.FrameArrived(1, 40_000);
        alarm.FrameArrived(2, 80_000);
        clock.Advance(TimeSpan.FromSeconds(3));
        alarm.Check();
        alarm.FrameArrived(3, 120_000); // a new run: the burst's run broke off
        Assert.True(alarm.IsLost);
        Assert.Single(sink.Events);
    }

    [Fact]
    public void The_first_frame_gets_its_own_timeout_and_the_end_clears_a_raised_alarm()
    {
        var (clock, sink) = (new ManualClock(), new ListSink());
        var alarm = new SignalAlarm("cam", Stall, sink, clock, firstFrameTimeout: TimeSpan.FromSeconds(5));
        clock.Advance(TimeSpan.FromSeconds(4));
        alarm.Check();
        Assert.False(alarm.IsLost);
        clock.Advance(TimeSpan.FromSeconds(2));
        alarm.Check();
        Assert.True(alarm.IsLost);
        alarm.Dispose();
        Assert.Equal(["raised", "cleared"], sink.Events.Select(e => e.State));
        Assert.Equal("stream_ended", sink.Events[1].Reason);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NoTimer();

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private sealed class ListSink : IAlarmSink
    {
        public List<AlarmEvent> Events { get; } = [];

        public void Enqueue(AlarmEvent alarm) => Events.Add(alarm);

        public void Offer(StreamTelemetry telemetry)
        {
        }
    }
}
