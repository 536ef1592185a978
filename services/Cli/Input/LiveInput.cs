using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Polly;
using VideoQuality.Alarms;

namespace VideoQuality.Cli.Input;

/// <summary>How a live input is kept open: ffmpeg's I/O timeout and the backoff between failed connection attempts.</summary>
/// <param name="IoTimeout">A network input silent this long ends (<see cref="FfmpegInput.Arguments"/>), then reconnects.</param>
/// <param name="MinDelay">First delay after a failed attempt; doubles (jittered) up to <paramref name="MaxDelay"/>.</param>
internal sealed record ReconnectOptions(TimeSpan IoTimeout, TimeSpan MinDelay, TimeSpan MaxDelay)
{
    public static ReconnectOptions Default { get; } = new(FfmpegInput.DefaultIoTimeout, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));
}

/// <summary>
/// A network input read for as long as the caller runs: when the source drops, times out or ends (a live source has no
/// end of its own), ffmpeg is started again; attempts that fail (nothing to connect to, nothing decodable before the I/O
/// timeout) are retried by <see cref="RetryForever"/> (Polly, exponential jittered backoff, <see cref="ReconnectOptions"/>) without
/// limit. The first attempt after a drop is immediate. Every drop and reconnect is logged and counted
/// (<see cref="Reconnects"/>). Frames keep one numbering across reconnects: indices go on, and each session's timestamps
/// start one frame after the last frame of the previous one, so alarm windows never see time go backwards.
/// Files are not live inputs: they are read once with <see cref="FfmpegInput"/>.
/// </summary>
internal sealed partial class LiveInput(string input, ReconnectOptions options, ILogger logger, Action? onReconnect = null)
{
    private readonly Lock _gate = new();
    private FfmpegInput? _current;
    private long _reconnects;

    public string Input => input;

    /// <summary>Sessions opened after the first (each after a drop).</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>The frames of every session, in order, until <paramref name="stop"/> (then after the last whole frame).</summary>
    public async IAsyncEnumerable<InputFrame> ReadFramesAsync([EnumeratorCancellation] CancellationToken stop = default)
    {
        var pipeline = Retry();
        using var _ = stop.Register(() =>
        {
            lock (_gate) _current?.Stop();
        });
        long index = 0;
        var offset = TimeSpan.Zero;
        for (var session = 0; !stop.IsCancellationRequested; session++)
        {
            FfmpegInput source;
            try
            {
                source = await pipeline.ExecuteAsync(ct => new ValueTask<FfmpegInput>(FfmpegInput.OpenAsync(input, ct, ioTimeout: options.IoTimeout)), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                yield break;
            }
            catch (InvalidOperationException) when (stop.IsCancellationRequested)
            {
                yield break; // interrupted before the first frame
            }

            await using (source)
            {
                lock (_gate)
                {
                    _current = source;
                    if (stop.IsCancellationRequested) source.Stop();
                }

                if (session > 0)
                {
                    Interlocked.Increment(ref _reconnects);
                    onReconnect?.Invoke();
                    Log.Reconnected(logger, input, Reconnects, source.Width, source.Height, source.Fps);
                }

                var frameTime = source.Fps > 0 ? TimeSpan.FromSeconds(1 / source.Fps) : TimeSpan.Zero;
                var next = offset;
                long frames = 0;
                await foreach (var f in source.ReadFramesAsync())
                {
                    next = offset + f.Timestamp + frameTime;
                    frames++;
                    yield return f with { Index = index++, Timestamp = offset + f.Timestamp };
                }

                lock (_gate) _current = null;
                var (code, message) = await source.FinishAsync(CancellationToken.None);
                offset = next;
                if (stop.IsCancellationRequested) yield break;
                Log.Dropped(logger, input, frames, code, message.Length > 0 ? message : "end of stream");
            }
        }
    }

    /// <summary>Retries failed connection attempts without limit until the caller stops.</summary>
    private ResiliencePipeline Retry() => RetryForever.Build(options.MinDelay, options.MaxDelay,
        e => e is InvalidOperationException or InvalidDataException or IOException,
        (attempt, delay, e) => Log.ConnectFailed(logger, input, attempt, delay.TotalMilliseconds, e?.Message ?? string.Empty));

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "{Input}: source dropped after {Frames} frames (ffmpeg exit {ExitCode}: {Reason}); reconnecting")]
        public static partial void Dropped(ILogger logger, string input, long frames, int exitCode, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Input}: connection attempt {Attempt} failed, next in {DelayMs:0} ms: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, string input, int attempt, double delayMs, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Input}: reconnected (reconnect {Count}), {Width}x{Height} @ {Fps:0.##} fps")]
        public static partial void Reconnected(ILogger logger, string input, long count, int width, int height, double fps);
    }
}
