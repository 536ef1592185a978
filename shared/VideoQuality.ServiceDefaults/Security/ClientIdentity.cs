using System.Security.Cryptography.X509Certificates;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>How a caller proved who it is.</summary>
internal enum CredentialKind
{
    ApiKey,
    Jwt,
    ClientCertificate,
}

/// <summary>An authenticated caller: the credential kind, a stable id (API key id, JWT subject, certificate
/// subject) used as its rate-limit partition, and the names it may be authorized by.</summary>
internal sealed record ClientIdentity(CredentialKind Kind, string Id, IReadOnlyList<string> Names)
{
    /// <summary>Rate-limit partition key of the caller.</summary>
    public string PartitionKey => $"{Kind}:{Id}";

    /// <summary>The identity of a validated client certificate: its subject, with the subject CN and the DNS and URI SANs as names.</summary>
    public static ClientIdentity FromCertificate(X509Certificate2 cert)
    {
        var names = new List<string>();
        var cn = cert.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!string.IsNullOrEmpty(cn))
        {
            names.Add(cn);
        }

        foreach (var ext in cert.Extensions)
        {
            if (ext is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
            }
        }

        names.AddRange(UriSans(cert));
        return new ClientIdentity(CredentialKind.ClientCertificate, cert.Subject, names);
    }

    /// <summary>URI SANs (e.g. SPIFFE ids), read from the SAN extension's formatted text.</summary>
    private static IEnumerable<string> UriSans(X509Certificate2 cert)
    {
        var ext = cert.Extensions["2.5.29.17"];
        if (ext is null)
        {
            yield break;
        }

        foreach (var part in ext.Format(multiLine: true).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("URL=", StringComparison.Ordinal) || part.StartsWith("URI:", StringComparison.Ordinal))
            {
                yield return part[4..];
            }
        }
    }
}
