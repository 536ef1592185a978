using VideoQuality.Enhancer;

namespace VideoQuality.Tests.Enhancer;

/// <summary>The detection budget, the stream's frame interval and the adaptive hedging delay derived from them.</summary>
public class HedgePolicyTests
{
    private static EnhancerOptions Options(bool hedging = true) => new() { Hedging = hedging };

    [Fact]
    public void Budget_is_a_share_of_the_frame_interval_or_of_the_remaining_deadline_whichever_is_shorter()
    {
        var o = Options();
        Assert.Equal(new DetectionBudget(150, "interval"), DetectionBudget.For(o, 250, DateTime.MaxValue));
        Assert.Equal(new DetectionBudget(200, "max"), DetectionBudget.For(o, null, DateTime.MaxValue));
        Assert.Equal(new DetectionBudget(200, "max"), DetectionBudget.For(o, 1000, DateTime.MaxValue)); // a slow frame rate does not make the viewer wait
        var tight = DetectionBudget.For(o, 250, DateTime.UtcNow.AddMilliseconds(100));
        Assert.Equal("deadline", tight.Basis);
        Assert.InRange(tight.Ms, 0, 60);
        Assert.Equal(new DetectionBudget(0, "deadline"), DetectionBudget.For(o, null, DateTime.UtcNow.AddSeconds(-1)));
    }

    [Fact]
    public void Frame_interval_follows_increasing_timestamps_and_ignores_the_rest()
    {
        var interval = new FrameInterval();
        interval.Observe(0);
        Assert.Null(interval.Ms);
        interval.Observe(250_000);
        Assert.Equal(250, interval.Ms);
        interval.Observe(250_000); // repeated, then backwards: no information
        interval.Observe(100_000); // a restarted clock: the next interval counts from here
        Assert.Equal(250, interval.Ms);
        interval.Observe(200_000);
        Assert.Equal((0.8 * 250) + (0.2 * 100), interval.Ms!.Value, 6);
        var unstamped = new FrameInterval();
        for (int i = 0; i < 5; i++)
        {
            unstamped.Observe(0);
        }

        Assert.Null(unstamped.Ms);
    }

    [Fact]
    public void Delay_is_the_budget_until_the_detector_is_known_then_follows_its_answer_times_within_the_budget()
    {
        var policy = new HedgePolicy(Options());
        var budget = new DetectionBudget(150, "interval");
        Assert.Equal(150, policy.Delay(budget).TotalMilliseconds);
        policy.LocalAnswered(20);
        Assert.Equal(130, policy.Delay(budget).TotalMilliseconds); // leaves the local detection its time

        // A healthy detector, 8-12 ms: hedge only past 1.5 x its p99.
        for (int i = 0; i < 100; i++)
        {
            policy.RemoteAnswered(8 + (i % 5));
        }

        Assert.Equal(12 * 1.5, policy.Delay(budget).TotalMilliseconds, 6);

        // It turns slow: abandoned calls enter the window at the delay they were abandoned at, so the delay climbs to
        // the cap instead of staying where a fast detector left it.
        for (int i = 0; i < 20; i++)
        {
            policy.RemoteAbandoned(policy.Delay(budget).TotalMilliseconds);
        }

        Assert.Equal(130, policy.Delay(budget).TotalMilliseconds);

        // Never below the floor, never above the budget.
        var fast = new HedgePolicy(Options());
        for (int i = 0; i < 20; i++)
        {
            fast.RemoteAnswered(1);
        }

        Assert.Equal(10, fast.Delay(budget).TotalMilliseconds);
        Assert.Equal(10, fast.Delay(new DetectionBudget(0, "deadline")).TotalMilliseconds);
    }

    [Fact]
    public void Hedging_off_never_starts_a_hedge_on_time()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, new HedgePolicy(Options(hedging: false)).Delay(new DetectionBudget(150, "interval")));
    }

    [Fact]
    public void Latency_window_forgets_old_samples()
    {
        var window = new LatencyWindow(4, TimeSpan.FromMilliseconds(50));
        Assert.Null(window.Percentile(0.5, 1));
        foreach (var ms in new[] { 1.0, 2, 3, 4, 100 })
        {
            window.Add(ms); // capacity 4: the 1 ms sample is overwritten
        }

        Assert.Equal(2, window.Percentile(0, 1));
        Assert.Equal(100, window.Percentile(0.99, 1));
        Thread.Sleep(80);
        Assert.Null(window.Percentile(0.5, 1));
    }
}
