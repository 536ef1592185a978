using System.Security.Cryptography.X509Certificates;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// The server certificate, reloaded when its files change (cert-manager renews the secret and the kubelet swaps the
/// mounted files), so a renewal needs no restart. A renewal that fails to load keeps the previous certificate.
/// Intermediates after the leaf are not sent by the selector path; the chart's internal CA issues leaves directly.
/// </summary>
internal sealed class ServerCertificateSource(string certPath, string? keyPath)
{
    private readonly Lock _gate = new();
    private X509Certificate2? _current;
    private (DateTime Cert, DateTime Key) _stamp;

    public X509Certificate2 Current
    {
        get
        {
            var stamp = (File.GetLastWriteTimeUtc(certPath), string.IsNullOrWhiteSpace(keyPath) ? default : File.GetLastWriteTimeUtc(keyPath));
            lock (_gate)
            {
                if (_current is null || stamp != _stamp)
                {
                    try
                    {
                        var (cert, chain) = PemFiles.LoadCertificate(certPath, keyPath);
                        foreach (var c in chain)
                        {
                            c.Dispose();
                        }

                        // Keep the old one alive: connections may still hold it.
                        _current = cert;
                        _stamp = stamp;
                    }
                    catch (Exception) when (_current is not null)
                    {
                        // Half-written renewal: serve the previous certificate and retry on the next handshake.
                    }
                }

                return _current;
            }
        }
    }
}
