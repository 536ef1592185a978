using Polly;
using Polly.Retry;

namespace VideoQuality.Alarms;

/// <summary>
/// The one retry policy of the probe's long-lived connections (the webhook publisher here, `vq monitor`'s live inputs):
/// a Polly retry without an attempt limit, exponential backoff with jitter from <c>minDelay</c> up to <c>maxDelay</c>,
/// retrying the exceptions <c>handles</c> accepts until the caller's token is cancelled.
/// </summary>
public static class RetryForever
{
    /// <summary>Builds the pipeline; <paramref name="onRetry"/> gets the failed attempt's number (1-based), the coming delay
    /// and the exception, for the log.</summary>
    public static ResiliencePipeline Build(TimeSpan minDelay, TimeSpan maxDelay, Func<Exception, bool> handles, Action<int, TimeSpan, Exception?> onRetry) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = a => ValueTask.FromResult(a.Outcome.Exception is { } e && handles(e) && !a.Context.CancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = minDelay,
                MaxDelay = maxDelay,
                OnRetry = a =>
                {
                    onRetry(a.AttemptNumber + 1, a.RetryDelay, a.Outcome.Exception);
                    return default;
                },
            })
            .Build();
}
