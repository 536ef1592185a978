using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using VideoQuality.ServiceDefaults.Security;

namespace VideoQuality.Tests.Security;

/// <summary>
/// A throwaway PKI written as PEM files to a temp directory: a CA, a server certificate for localhost/127.0.0.1,
/// client certificates for the enhancer identity and for an intruder (same CA), and a rogue CA with its own server
/// and client certificates. Built with <see cref="CertificateRequest"/>, no openssl.
/// </summary>
internal sealed class TestPki : IDisposable
{
    public const string EnhancerIdentity = "vq-enhancer";

    private TestPki(string dir)
    {
        Dir = dir;
        using var ca = CreateCa("CN=VideoQuality Test CA");
        using var rogueCa = CreateCa("CN=Rogue CA");
        CaPath = WriteCert("ca", ca, withKey: false).Cert;
        RogueCaPath = WriteCert("rogue-ca", rogueCa, withKey: false).Cert;
        Server = Issue(ca, "server", "CN=localhost", serverAuth: true, dns: "localhost");
        RogueServer = Issue(rogueCa, "rogue-server", "CN=localhost", serverAuth: true, dns: "localhost");
        Enhancer = Issue(ca, "enhancer", $"CN={EnhancerIdentity}", serverAuth: false, dns: EnhancerIdentity);
        Intruder = Issue(ca, "intruder", "CN=intruder", serverAuth: false, dns: "intruder");
        RogueEnhancer = Issue(rogueCa, "rogue-enhancer", $"CN={EnhancerIdentity}", serverAuth: false, dns: EnhancerIdentity);
    }

    public string Dir { get; }

    public string CaPath { get; }

    public string RogueCaPath { get; }

    public (string Cert, string Key) Server { get; }

    public (string Cert, string Key) RogueServer { get; }

    public (string Cert, string Key) Enhancer { get; }

    public (string Cert, string Key) Intruder { get; }

    public (string Cert, string Key) RogueEnhancer { get; }

    public static TestPki Create() => new(Directory.CreateTempSubdirectory("vq-pki-").FullName);

    /// <summary>Detector/enhancer arguments that serve TLS with the server certificate.</summary>
    public string[] ServerArgs(bool requireClientCertificate = false) =>
    [
        $"--Tls:CertificatePath={Server.Cert}",
        $"--Tls:KeyPath={Server.Key}",
        $"--Tls:CaPath={CaPath}",
        $"--Tls:RequireClientCertificate={requireClientCertificate}",
    ];

    /// <summary>A test client's TLS settings: trusts <paramref name="caPath"/> (default: the CA) and presents <paramref name="client"/>.</summary>
    public ClientCredentials Client((string Cert, string Key)? client = null, string? caPath = null) =>
        new(caPath ?? CaPath, client?.Cert, client?.Key, ApiKey: null);

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    private static X509Certificate2 CreateCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private (string Cert, string Key) Issue(X509Certificate2 ca, string name, string subject, bool serverAuth, string dns)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? PemFiles.ServerAuthOid : PemFiles.ClientAuthOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dns);
        if (serverAuth)
        {
            san.AddIpAddress(IPAddress.Loopback);
        }

        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        using var withKey = cert.CopyWithPrivateKey(key);
        return WriteCert(name, withKey, withKey: true);
    }

    private (string Cert, string Key) WriteCert(string name, X509Certificate2 cert, bool withKey)
    {
        var certPath = Path.Combine(Dir, $"{name}.crt");
        var keyPath = Path.Combine(Dir, $"{name}.key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        if (withKey)
        {
            File.WriteAllText(keyPath, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        }

        return (certPath, keyPath);
    }
}

/// <summary>Collects every log line (message and exception) of a host, at Trace level.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string Text => string.Join('\n', _lines);

    /// <summary>Routes the host's logging to this capture only, everything at Trace.</summary>
    public void Attach(WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(this);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (k, v) in values)
                {
                    owner._lines.Enqueue($"  {k}={v}");
                }
            }
        }
    }
}
