using System.ComponentModel.DataAnnotations;
using System.Net;

namespace VideoQuality.ServiceDefaults;

/// <summary>Listening ports (configuration section <c>Ports</c>).</summary>
public sealed class PortsOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Ports";

    /// <summary>gRPC port, HTTP/2 only (cleartext gRPC needs prior-knowledge HTTP/2).</summary>
    [Range(1, 65535)]
    public int Grpc { get; set; }

    /// <summary>HTTP/1.1 port for /metrics, /healthz and /readyz.</summary>
    [Range(1, 65535)]
    public int Http { get; set; }

    /// <summary>Address to bind: "0.0.0.0" (default, all IPv4), "::" or "127.0.0.1" etc.</summary>
    [Required]
    public string Address { get; set; } = "0.0.0.0";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Grpc == Http)
        {
            yield return new ValidationResult($"Ports:Grpc and Ports:Http must differ (both {Grpc})", [nameof(Grpc), nameof(Http)]);
        }

        if (!IPAddress.TryParse(Address, out _))
        {
            yield return new ValidationResult($"Ports:Address '{Address}' is not an IP address", [nameof(Address)]);
        }
    }
}

/// <summary>Graceful shutdown (configuration section <c>Shutdown</c>).</summary>
public sealed class ShutdownOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Shutdown";

    /// <summary>How long SIGTERM waits for in-flight calls (unary calls finish; streams answer the frames they accepted
    /// and end with UNAVAILABLE "server shutting down") before the host aborts what is left. Keep it under the
    /// orchestrator's grace period (Kubernetes: terminationGracePeriodSeconds, 30 s by default).</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 25;
}

/// <summary>gRPC message limits (configuration section <c>Grpc</c>).</summary>
public sealed class GrpcLimitsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Grpc";

    /// <summary>Largest accepted request message; larger ones fail with RESOURCE_EXHAUSTED. Default 64 MiB
    /// (an 8K I420 frame is 47.5 MiB; an 8K RGB24 frame needs this raised).</summary>
    [Range(1024, 1024L * 1024 * 1024)]
    public int MaxReceiveMessageBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Largest response message. Default 64 MiB.</summary>
    [Range(1024, 1024L * 1024 * 1024)]
    public int MaxSendMessageBytes { get; set; } = 64 * 1024 * 1024;
}
