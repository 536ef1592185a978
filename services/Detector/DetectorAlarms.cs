using Microsoft.Extensions.Options;
using VideoQuality.Alarms;

namespace VideoQuality.Detector;

/// <summary>
/// Macroblocking alarms of the Detector's streams: when <c>Mqtt:Enabled</c>, every DetectStream call gets a
/// <see cref="StreamAlarm"/> (windows and thresholds from <c>Alarms:*</c>) whose events go to the MQTT publisher's outbox;
/// otherwise <see cref="Open"/> returns null and nothing is tracked. The publisher starts and stops with the host.
/// </summary>
internal sealed class DetectorAlarms(IOptions<AlarmOptions> alarms, IOptions<MqttOptions> mqtt, DetectorMetrics metrics, ILogger<MqttAlarmPublisher> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly MqttAlarmPublisher? _publisher = mqtt.Value.Enabled ? new MqttAlarmPublisher(mqtt.Value, metrics, logger) : null;

    /// <summary>Registers the options, the alarms and their hosted lifetime.</summary>
    public static void AddTo(IServiceCollection services)
    {
        services.AddOptions<AlarmOptions>().BindConfiguration(AlarmOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MqttOptions>().BindConfiguration(MqttOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DetectorAlarms>();
        services.AddHostedService(sp => sp.GetRequiredService<DetectorAlarms>());
    }

    /// <summary>The alarm of one stream, or null when alarms are off. Dispose it when the stream ends.</summary>
    public StreamAlarm? Open(string streamId) => _publisher is null ? null : new StreamAlarm(streamId, alarms.Value, _publisher, metrics);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _publisher?.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => _publisher?.DisposeAsync() ?? ValueTask.CompletedTask;
}
