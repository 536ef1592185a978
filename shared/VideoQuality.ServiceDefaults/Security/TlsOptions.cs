using System.ComponentModel.DataAnnotations;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// TLS on the gRPC port from PEM files (configuration section <c>Tls</c>; in Kubernetes a cert-manager secret mounted
/// at /etc/videoquality/tls). Off when <see cref="CertificatePath"/> is empty. The HTTP/1 port (metrics, probes)
/// stays cleartext. Every file is loaded once at start, so a missing, unreadable or mismatched file stops the host
/// with a message naming the key and the path.
/// </summary>
public sealed class TlsOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Tls";

    /// <summary>Server certificate (PEM; leaf first, intermediates may follow). Empty: cleartext HTTP/2.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Private key of the certificate (PEM, PKCS#8 / RSA / EC).</summary>
    public string? KeyPath { get; set; }

    /// <summary>CA bundle (PEM): client certificates are validated against it, and outgoing calls (the enhancer's
    /// detector client) trust it in place of the system store.</summary>
    public string? CaPath { get; set; }

    /// <summary>Mutual TLS: callers of the service methods must present a client certificate issued by
    /// <see cref="CaPath"/> (UNAUTHENTICATED otherwise; a certificate from another CA fails the handshake).
    /// The gRPC health service stays callable without one, for probes.</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>Whether the gRPC port serves TLS.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            if (RequireClientCertificate)
            {
                yield return new ValidationResult("Tls:RequireClientCertificate needs TLS: set Tls:CertificatePath and Tls:KeyPath", [nameof(RequireClientCertificate)]);
            }

            if (!string.IsNullOrWhiteSpace(KeyPath))
            {
                yield return new ValidationResult("Tls:KeyPath is set but Tls:CertificatePath is empty", [nameof(CertificatePath)]);
            }
        }
        else if (PemFiles.CheckCertificateAndKey($"{SectionName}:{nameof(CertificatePath)}", CertificatePath!, $"{SectionName}:{nameof(KeyPath)}", KeyPath) is { } error)
        {
            yield return new ValidationResult(error, [nameof(CertificatePath), nameof(KeyPath)]);
        }

        if (RequireClientCertificate && string.IsNullOrWhiteSpace(CaPath))
        {
            yield return new ValidationResult("Tls:RequireClientCertificate needs Tls:CaPath (the CA that issues client certificates)", [nameof(CaPath)]);
        }

        if (!string.IsNullOrWhiteSpace(CaPath) && PemFiles.CheckCaBundle($"{SectionName}:{nameof(CaPath)}", CaPath) is { } caError)
        {
            yield return new ValidationResult(caError, [nameof(CaPath)]);
        }
    }
}
