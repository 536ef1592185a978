using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// Decides who a gRPC caller is and whether it may call: an <c>x-api-key</c> header (checked against
/// <see cref="ApiKeyStore"/>), an <c>authorization: Bearer</c> JWT (the JwtBearer handler), or a client certificate
/// (already chained to <c>Tls:CaPath</c> by the TLS handshake). A presented credential that is wrong fails the call
/// even when another would pass, so a misconfigured client finds out. Errors name the problem, never the secret.
/// </summary>
internal sealed class ClientAuthenticator(IOptions<AuthOptions> authOptions, IOptions<TlsOptions> tlsOptions, ApiKeyStore apiKeys)
{
    /// <summary>Header that carries an API key.</summary>
    public const string ApiKeyHeader = "x-api-key";

    private readonly AuthOptions _auth = authOptions.Value;
    private readonly bool _requireCertificate = tlsOptions.Value.RequireClientCertificate;

    /// <summary>Whether calls need a credential at all.</summary>
    public bool Required => _auth.HasCredentials || _requireCertificate;

    /// <summary>The caller's identity (null when anonymous calls are allowed and none was presented); throws
    /// UNAUTHENTICATED or PERMISSION_DENIED.</summary>
    public async Task<ClientIdentity?> AuthorizeAsync(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        ClientIdentity? presented = null;

        var key = http.Request.Headers[ApiKeyHeader];
        if (key.Count > 0 && apiKeys.Count > 0)
        {
            var id = apiKeys.Find(key.ToString());
            presented = id is null
                ? throw Unauthenticated("invalid API key")
                : new ClientIdentity(CredentialKind.ApiKey, id, [id]);
        }

        if (presented is null && _auth.Jwt.Enabled && http.Request.Headers.Authorization.Count > 0)
        {
            presented = await AuthenticateJwtAsync(http).ConfigureAwait(false);
        }

        var cert = http.Connection.ClientCertificate;
        var certIdentity = cert is null ? null : ClientIdentity.FromCertificate(cert);

        if (_requireCertificate)
        {
            if (certIdentity is null)
            {
                throw Unauthenticated("a client certificate issued by the service's CA is required (mutual TLS)");
            }

            if (!string.IsNullOrWhiteSpace(_auth.EnhancerIdentity)
                && !certIdentity.Names.Contains(_auth.EnhancerIdentity, StringComparer.OrdinalIgnoreCase))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    $"client certificate '{certIdentity.Id}' may not call {context.Method}: only the enhancer identity may"));
            }

            return certIdentity;
        }

        presented ??= certIdentity;
        if (presented is null && Required)
        {
            throw Unauthenticated(_auth.Jwt.Enabled && apiKeys.Count > 0
                ? $"credentials required: an API key in the '{ApiKeyHeader}' header or a bearer token"
                : _auth.Jwt.Enabled ? "credentials required: a bearer token in the 'authorization' header"
                : $"credentials required: an API key in the '{ApiKeyHeader}' header");
        }

        return presented;
    }

    private static async Task<ClientIdentity> AuthenticateJwtAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme).ConfigureAwait(false);
        if (result.Succeeded)
        {
            var p = result.Principal;
            var id = p.FindFirst("sub")?.Value ?? p.FindFirst("client_id")?.Value ?? p.FindFirst("azp")?.Value
                ?? p.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? "jwt";
            return new ClientIdentity(CredentialKind.Jwt, id, [id]);
        }

        throw Unauthenticated(result.Failure switch
        {
            SecurityTokenExpiredException => "invalid bearer token: expired",
            SecurityTokenNotYetValidException => "invalid bearer token: not yet valid",
            SecurityTokenInvalidAudienceException => "invalid bearer token: wrong audience",
            SecurityTokenInvalidIssuerException => "invalid bearer token: wrong issuer",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "invalid bearer token: bad signature",
            null => "invalid bearer token: expected 'authorization: Bearer <token>'",
            _ => "invalid bearer token",
        });
    }

    private static RpcException Unauthenticated(string message) => new(new Status(StatusCode.Unauthenticated, message));
}

/// <summary>
/// Client-certificate check of the TLS handshake when mutual TLS is on: the certificate must chain to
/// <c>Tls:CaPath</c> and allow client authentication. A client without a certificate passes the handshake and is
/// refused per call (UNAUTHENTICATED), so the health service stays reachable for probes.
/// </summary>
internal sealed class ClientCertificateValidator(X509Certificate2Collection roots)
{
    public bool Validate(X509Certificate2 certificate, X509Chain? chain) =>
        PemFiles.ChainsTo(certificate, roots, PemFiles.ClientAuthOid, chain);
}
