using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;

namespace VideoQuality.Alarms;

/// <summary>
/// Publishes alarm events to MQTT with QoS 1, in order, through a bounded outbox:
/// <list type="bullet">
/// <item>Events are queued (<see cref="Enqueue"/> never blocks) and one worker publishes the oldest, removing it only
/// once the broker acknowledged it (PUBACK). While the broker is unreachable events wait; the worker reconnects with
/// exponential backoff (<see cref="MqttOptions.ReconnectMinDelayMs"/> doubling to <see cref="MqttOptions.ReconnectMaxDelayMs"/>,
/// with jitter) and then publishes the backlog in order.</item>
/// <item>A full outbox (<see cref="MqttOptions.OutboxCapacity"/>) drops its oldest event: counted and logged.</item>
/// <item>Delivery is at least once: an event whose PUBACK was lost with the connection is sent again.</item>
/// <item>Telemetry (<see cref="Offer"/>) is QoS 0 and only sent while connected; it never fills the outbox.</item>
/// </list>
/// The password is never logged.
/// </summary>
public sealed partial class MqttAlarmPublisher : IAlarmSink, IAsyncDisposable
{
    private const int TelemetryCapacity = 1024;
    private readonly MqttOptions _options;
    private readonly IAlarmMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _clientOptions;
    private readonly AlarmOutbox _outbox;
    private readonly ConcurrentQueue<StreamTelemetry> _telemetry = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _worker;
    private int _disposed;

    /// <summary>Creates the publisher; <see cref="Start"/> begins connecting and publishing.</summary>
    public MqttAlarmPublisher(MqttOptions options, IAlarmMetrics? metrics = null, ILogger<MqttAlarmPublisher>? logger = null)
    {
        _options = options;
        _metrics = metrics ?? NoAlarmMetrics.Instance;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _outbox = new AlarmOutbox(options.OutboxCapacity, _metrics);
        _client = new MqttClientFactory().CreateMqttClient();
        _clientOptions = BuildClientOptions(options);
    }

    /// <summary>Topic of a stream's alarm events: <c>&lt;prefix&gt;/&lt;stream&gt;</c>.</summary>
    public string EventTopic(string streamId) => $"{_options.TopicPrefix}/{TopicSegment(streamId)}";

    /// <summary>Topic of a stream's telemetry: <c>&lt;prefix&gt;/&lt;stream&gt;/telemetry</c>.</summary>
    public string TelemetryTopic(string streamId) => $"{EventTopic(streamId)}/telemetry";

    /// <summary>Events waiting to be published.</summary>
    public int OutboxCount => _outbox.Count;

    /// <summary>Events dropped because the outbox was full.</summary>
    public long Overflowed => _outbox.Overflowed;

    /// <summary>Whether the client is connected to the broker now.</summary>
    public bool IsConnected => _client.IsConnected;

    /// <summary>A stream id as one topic level: '/', '+', '#' and control characters become '_'; empty is "unnamed".</summary>
    public static string TopicSegment(string streamId)
    {
        if (streamId.Length == 0)
        {
            return "unnamed";
        }

        return string.Create(streamId.Length, streamId, static (span, id) =>
        {
            for (int i = 0; i < id.Length; i++)
            {
                char c = id[i];
                span[i] = c is '/' or '+' or '#' || char.IsControl(c) ? '_' : c;
            }
        });
    }

    /// <summary>Starts the worker (connects in the background; events queue meanwhile).</summary>
    public void Start()
    {
        Log.Starting(_logger, _options.Host, _options.Port, _options.UseTls, !string.IsNullOrEmpty(_options.Username), _options.TopicPrefix);
        _worker ??= Task.Run(() => RunAsync(_stop.Token));
    }

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
        if (!_client.IsConnected || _telemetry.Count >= TelemetryCapacity)
        {
            return;
        }

        _telemetry.Enqueue(telemetry);
        _outbox.Wake();
    }

    /// <summary>Waits until the outbox is empty (everything acknowledged) or <paramref name="timeout"/> passes.</summary>
    public Task<bool> FlushAsync(TimeSpan timeout, CancellationToken ct = default) => _outbox.FlushAsync(timeout, ct);

    /// <summary>Stops: tries to publish what is left for up to <see cref="MqttOptions.TimeoutMs"/>, then disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_worker is not null)
        {
            await FlushAsync(TimeSpan.FromMilliseconds(_options.TimeoutMs)).ConfigureAwait(false);
            await _stop.CancelAsync().ConfigureAwait(false);
            await _worker.ConfigureAwait(false);
        }

        if (OutboxCount > 0)
        {
            Log.Unsent(_logger, OutboxCount);
        }

        try
        {
            if (_client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(_options.TimeoutMs);
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
        }

        _client.Dispose();
        _stop.Dispose();
        _outbox.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(_options.ReconnectMinDelayMs);
        bool wasConnected = false;
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    if (wasConnected)
                    {
                        wasConnected = false;
                        _metrics.BrokerConnected(false);
                        Log.Disconnected(_logger, _options.Host, _options.Port, OutboxCount);
                    }

                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(_options.TimeoutMs);
                    await _client.ConnectAsync(_clientOptions, timeout.Token).ConfigureAwait(false);
                    wasConnected = true;
                    failures = 0;
                    delay = TimeSpan.FromMilliseconds(_options.ReconnectMinDelayMs);
                    _metrics.BrokerConnected(true);
                    Log.Connected(_logger, _options.Host, _options.Port, OutboxCount);
                }

                if (_outbox.TryPeek(out var head))
                {
                    await PublishAsync(EventTopic(head.StreamId), head.ToJson(), MqttQualityOfServiceLevel.AtLeastOnce, ct).ConfigureAwait(false);
                    _outbox.RemoveHead(head);
                    _metrics.Published("alarm");
                    continue;
                }

                while (_telemetry.TryDequeue(out var t))
                {
                    await PublishAsync(TelemetryTopic(t.StreamId), t.ToJson(), MqttQualityOfServiceLevel.AtMostOnce, ct).ConfigureAwait(false);
                    _metrics.Published("telemetry");
                }

                await _outbox.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                _telemetry.Clear();
                if (failures == 1)
                {
                    Log.BrokerUnreachable(_logger, _options.Host, _options.Port, ex.Message);
                }
                else
                {
                    Log.RetryFailed(_logger, failures, ex.Message);
                }

                try
                {
                    await Task.Delay(Jitter(delay), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, _options.ReconnectMaxDelayMs));
            }
        }
    }

    private async Task PublishAsync(string topic, byte[] payload, MqttQualityOfServiceLevel qos, CancellationToken ct)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithContentType("application/json")
            .WithQualityOfServiceLevel(qos)
            .Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.TimeoutMs);
        var result = await _client.PublishAsync(message, timeout.Token).ConfigureAwait(false);
        if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            throw new InvalidOperationException($"broker refused the message on {topic}: {result.ReasonCode} {result.ReasonString}");
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.8 + (0.4 * Random.Shared.NextDouble()));

    private static MqttClientOptions BuildClientOptions(MqttOptions o)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(o.Host, o.Port)
            .WithClientId(string.IsNullOrWhiteSpace(o.ClientId) ? $"vq-{Environment.MachineName}-{Guid.NewGuid():N}"[..32] : o.ClientId)
            .WithCleanSession()
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithTimeout(TimeSpan.FromMilliseconds(o.TimeoutMs));
        if (!string.IsNullOrEmpty(o.Username))
        {
            builder = builder.WithCredentials(o.Username, o.Password);
        }

        if (o.UseTls)
        {
            builder = builder.WithTlsOptions(t =>
            {
                t.UseTls();
                if (!string.IsNullOrWhiteSpace(o.CaPath))
                {
                    var ca = X509CertificateLoader.LoadCertificateFromFile(o.CaPath);
                    t.WithCertificateValidationHandler(args =>
                    {
                        using var chain = new X509Chain();
                        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                        chain.ChainPolicy.CustomTrustStore.Add(ca);
                        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                        return args.SslPolicyErrors is System.Net.Security.SslPolicyErrors.None or System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors
                            && chain.Build(new X509Certificate2(args.Certificate));
                    });
                }
            });
        }

        return builder.Build();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "MQTT alarms to {Host}:{Port} (TLS {Tls}, credentials {HasCredentials}), topics {Prefix}/<stream>")]
        public static partial void Starting(ILogger logger, string host, int port, bool tls, bool hasCredentials, string prefix);

        [LoggerMessage(Level = LogLevel.Information, Message = "MQTT connected to {Host}:{Port}; {Pending} alarm events to publish")]
        public static partial void Connected(ILogger logger, string host, int port, int pending);

        [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT connection to {Host}:{Port} lost; {Pending} alarm events waiting, reconnecting")]
        public static partial void Disconnected(ILogger logger, string host, int port, int pending);

        [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT broker {Host}:{Port} unreachable ({Reason}); alarm events wait in the outbox, retrying with backoff")]
        public static partial void BrokerUnreachable(ILogger logger, string host, int port, string reason);

        [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT attempt {Attempt} failed: {Reason}")]
        public static partial void RetryFailed(ILogger logger, int attempt, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "MQTT outbox full ({Capacity} events): dropped the oldest event {AlarmId} ({State})")]
        public static partial void Overflow(ILogger logger, int capacity, string alarmId, string state);

        [LoggerMessage(Level = LogLevel.Error, Message = "MQTT publisher stopped with {Count} alarm events unpublished")]
        public static partial void Unsent(ILogger logger, int count);
    }
}
