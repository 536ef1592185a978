using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace VideoQuality.Alarms;

/// <summary>Where and how alarm events are POSTed (`vq monitor --webhook URL`).</summary>
public sealed class WebhookOptions
{
    /// <summary>Receiver URL (http or https).</summary>
    public required Uri Url { get; init; }

    /// <summary>Events kept while the receiver is unreachable; beyond it the oldest is dropped (counted, logged).</summary>
    public int OutboxCapacity { get; init; } = 10_000;

    /// <summary>First retry delay; doubles (jittered) after each failed attempt up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of one POST.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Publishes alarm events as HTTP POSTs of the event JSON (the MQTT payload, <c>application/json</c>) to one URL, in order,
/// through the same bounded outbox as <see cref="MqttAlarmPublisher"/> (<see cref="AlarmOutbox"/>): one worker POSTs the
/// oldest event and removes it only on a 2xx answer; a failure (no connection, timeout, any other status) is retried by a
/// Polly retry with exponential, jittered backoff without limit, so while the receiver is down events wait and then
/// arrive in order. Delivery is at least once (an answer lost after the receiver took the event means a second POST):
/// receivers drop duplicates on (<c>alarm_id</c>, <c>state</c>). Telemetry is not sent (events only).
/// </summary>
public sealed partial class WebhookAlarmPublisher : IAlarmSink, IAsyncDisposable
{
    private readonly WebhookOptions _options;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly AlarmOutbox _outbox;
    private readonly ResiliencePipeline _retry;
    private readonly CancellationTokenSource _stop = new();
    private Task? _worker;
    private int _disposed;

    /// <summary>Creates the publisher; <see cref="Start"/> begins posting.</summary>
    public WebhookAlarmPublisher(WebhookOptions options, IAlarmMetrics? metrics = null, ILogger? logger = null)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _outbox = new AlarmOutbox(options.OutboxCapacity, metrics ?? NoAlarmMetrics.Instance);
        _http = new HttpClient { Timeout = options.Timeout };
        _retry = RetryForever.Build(options.RetryMinDelay, options.RetryMaxDelay, e => e is HttpRequestException or TaskCanceledException,
            (attempt, delay, e) => Log.RetryFailed(_logger, _options.Url, attempt, delay.TotalMilliseconds, e?.Message ?? string.Empty));
    }

    /// <summary>Events waiting to be delivered.</summary>
    public int OutboxCount => _outbox.Count;

    /// <summary>Events dropped because the outbox was full.</summary>
    public long Overflowed => _outbox.Overflowed;

    /// <summary>Starts the worker.</summary>
    public void Start() => _worker ??= Task.Run(() => RunAsync(_stop.Token));

    /// <inheritdoc />
    public void Enqueue(AlarmEvent alarm)
    {
        if (_outbox.Add(alarm) is { } dropped)
        {
            Log.Overflow(_logger, _options.OutboxCapacity, dropped.AlarmId, dropped.State);
        }
    }

    /// <inheritdoc />
    public void Offer(StreamTelemetry telemetry)
    {
    }

    /// <summary>Waits until every event was delivered or <paramref name="timeout"/> passes.</summary>
    public Task<bool> FlushAsync(TimeSpan timeout, CancellationToken ct = default) => _outbox.FlushAsync(timeout, ct);

    /// <summary>Stops: tries to deliver what is left for up to <see cref="WebhookOptions.Timeout"/>, then stops the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_worker is not null)
        {
            await FlushAsync(_options.Timeout).ConfigureAwait(false);
            await _stop.CancelAsync().ConfigureAwait(false);
            await _worker.ConfigureAwait(false);
        }

        if (OutboxCount > 0)
        {
            Log.Unsent(_logger, OutboxCount, _options.Url);
        }

        _http.Dispose();
        _stop.Dispose();
        _outbox.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_outbox.TryPeek(out var head))
                {
                    await _retry.ExecuteAsync(async token => await PostAsync(head, token).ConfigureAwait(false), ct).ConfigureAwait(false);
                    _outbox.RemoveHead(head);
                    continue;
                }

                await _outbox.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private async Task PostAsync(AlarmEvent alarm, CancellationToken ct)
    {
        using var content = new ByteArrayContent(alarm.ToJson());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync(_options.Url, content, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "webhook {Url}: attempt {Attempt} failed, next in {DelayMs:0} ms: {Reason}")]
        public static partial void RetryFailed(ILogger logger, Uri url, int attempt, double delayMs, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "webhook outbox full ({Capacity} events): dropped the oldest event {AlarmId} ({State})")]
        public static partial void Overflow(ILogger logger, int capacity, string alarmId, string state);

        [LoggerMessage(Level = LogLevel.Error, Message = "webhook publisher stopped with {Count} alarm events not delivered to {Url}")]
        public static partial void Unsent(ILogger logger, int count, Uri url);
    }
}
