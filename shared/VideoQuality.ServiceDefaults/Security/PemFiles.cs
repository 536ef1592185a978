using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// The one place PEM files become certificates: a certificate with its key, a CA bundle, and chain validation
/// against such a bundle (custom root trust, no system store, no revocation lookups: the CA is private).
/// </summary>
public static class PemFiles
{
    /// <summary>Extended key usage OID of TLS server authentication.</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Extended key usage OID of TLS client authentication.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Loads a certificate and its private key (both PEM; the key may be inside the certificate file when
    /// <paramref name="keyPath"/> is empty). Certificates after the first in the file are returned as the chain.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadCertificate(string certPath, string? keyPath)
    {
        var cert = X509Certificate2.CreateFromPemFile(certPath, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certPath);
        var chain = new X509Certificate2Collection();
        foreach (var c in all)
        {
            if (c.Thumbprint != cert.Thumbprint)
            {
                chain.Add(c);
            }
        }

        return (cert, chain);
    }

    /// <summary>Loads every certificate of a PEM bundle (at least one).</summary>
    public static X509Certificate2Collection LoadCaBundle(string path)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(path);
        if (bundle.Count == 0)
        {
            throw new CryptographicException($"{path} holds no PEM certificate");
        }

        return bundle;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> and allows
    /// <paramref name="usageOid"/> (server or client authentication).</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots, string usageOid, X509Chain? presented = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usageOid));
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }

    /// <summary>Checks that a certificate and key load together; returns a message naming the keys and paths, or null.</summary>
    public static string? CheckCertificateAndKey(string certKey, string certPath, string keyKey, string? keyPath)
    {
        if (CheckReadable(certKey, certPath) is { } certError)
        {
            return certError;
        }

        if (!string.IsNullOrWhiteSpace(keyPath) && CheckReadable(keyKey, keyPath) is { } keyError)
        {
            return keyError;
        }

        try
        {
            var (cert, chain) = LoadCertificate(certPath, keyPath);
            using (cert)
            {
                foreach (var c in chain)
                {
                    c.Dispose();
                }

                return cert.HasPrivateKey ? null : $"{certKey} '{certPath}' has no private key";
            }
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return $"{certKey} '{certPath}' and {keyKey} '{keyPath}' are not a PEM certificate and its private key: {ex.Message}";
        }
    }

    /// <summary>Checks that a CA bundle loads; returns a message naming the key and path, or null.</summary>
    public static string? CheckCaBundle(string key, string path)
    {
        if (CheckReadable(key, path) is { } error)
        {
            return error;
        }

        try
        {
            foreach (var c in LoadCaBundle(path))
            {
                c.Dispose();
            }

            return null;
        }
        catch (CryptographicException ex)
        {
            return $"{key} '{path}' is not a PEM certificate bundle: {ex.Message}";
        }
    }

    /// <summary>Checks that a file exists and can be read; returns a message naming the key and path, or null.</summary>
    public static string? CheckReadable(string key, string path)
    {
        try
        {
            using var _ = File.OpenRead(path);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"{key} '{path}' cannot be read: {ex.Message}";
        }
    }
}
