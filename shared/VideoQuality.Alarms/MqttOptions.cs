using System.ComponentModel.DataAnnotations;

namespace VideoQuality.Alarms;

/// <summary>
/// The MQTT broker alarms go to (configuration section <c>Mqtt</c>; the Helm chart sets <c>Mqtt__*</c>, with the
/// credentials from a Secret). The password is never logged.
/// </summary>
public sealed class MqttOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Mqtt";

    /// <summary>Default topic prefix: events go to <c>&lt;prefix&gt;/&lt;stream&gt;</c>.</summary>
    public const string DefaultTopicPrefix = "video/quality/macroblocking";

    /// <summary>Publish alarm events (and telemetry).</summary>
    public bool Enabled { get; set; }

    /// <summary>Broker host name or address.</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>Broker port (1883 plain, 8883 usually for TLS).</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>Connect over TLS (the broker's certificate is checked against the system roots, or <see cref="CaPath"/>).</summary>
    public bool UseTls { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate (TLS only); empty = system roots.</summary>
    public string? CaPath { get; set; }

    /// <summary>Topic prefix; events go to <c>&lt;prefix&gt;/&lt;stream&gt;</c>, telemetry to <c>&lt;prefix&gt;/&lt;stream&gt;/telemetry</c>.</summary>
    [Required]
    public string TopicPrefix { get; set; } = DefaultTopicPrefix;

    /// <summary>User name (empty = anonymous).</summary>
    public string? Username { get; set; }

    /// <summary>Password (from a secret; never logged).</summary>
    public string? Password { get; set; }

    /// <summary>MQTT client id; empty = "vq-&lt;host name&gt;-&lt;random&gt;".</summary>
    public string? ClientId { get; set; }

    /// <summary>Alarm events kept while the broker is unreachable; beyond it the oldest event is dropped (counted, logged).</summary>
    [Range(1, 1_000_000)]
    public int OutboxCapacity { get; set; } = 10_000;

    /// <summary>First reconnect delay; doubles after each failed attempt up to <see cref="ReconnectMaxDelayMs"/>.</summary>
    [Range(10, 600_000)]
    public int ReconnectMinDelayMs { get; set; } = 250;

    /// <summary>Longest reconnect delay.</summary>
    [Range(10, 600_000)]
    public int ReconnectMaxDelayMs { get; set; } = 10_000;

    /// <summary>Connect and publish timeout.</summary>
    [Range(100, 600_000)]
    public int TimeoutMs { get; set; } = 5000;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && string.IsNullOrWhiteSpace(Host))
        {
            yield return new ValidationResult("Mqtt:Host is required when Mqtt:Enabled is true", [nameof(Host)]);
        }

        if (TopicPrefix.Contains('+') || TopicPrefix.Contains('#') || TopicPrefix.EndsWith('/'))
        {
            yield return new ValidationResult($"Mqtt:TopicPrefix '{TopicPrefix}' must not hold wildcards or end with '/'", [nameof(TopicPrefix)]);
        }

        if (ReconnectMinDelayMs > ReconnectMaxDelayMs)
        {
            yield return new ValidationResult("Mqtt:ReconnectMinDelayMs must not exceed Mqtt:ReconnectMaxDelayMs", [nameof(ReconnectMinDelayMs)]);
        }
    }

    /// <summary>Options parsed from <c>mqtt://[user:pass@]HOST[:PORT]</c> or <c>mqtts://...</c> (TLS, default port 8883).</summary>
    public static MqttOptions FromUri(Uri uri)
    {
        bool tls = uri.Scheme switch
        {
            "mqtt" or "tcp" => false,
            "mqtts" or "ssl" => true,
            _ => throw new ArgumentException($"'{uri}' is not an mqtt:// or mqtts:// address", nameof(uri)),
        };
        var o = new MqttOptions { Enabled = true, Host = uri.Host, UseTls = tls, Port = uri.IsDefaultPort || uri.Port <= 0 ? (tls ? 8883 : 1883) : uri.Port };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            o.Username = Uri.UnescapeDataString(parts[0]);
            o.Password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
        }

        return o;
    }
}
