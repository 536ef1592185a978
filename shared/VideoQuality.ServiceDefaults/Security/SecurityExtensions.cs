using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// Security wiring shared by the hosts: TLS (and mutual TLS) on the gRPC port, API key / JWT authentication,
/// authorization of the enhancer identity, per-client rate limits — all off by default — and the credentials of
/// outgoing gRPC clients (TLS trust, client certificate, API key).
/// </summary>
public static class SecurityExtensions
{
    /// <summary>Registers the security options (validated at start) and services, and returns the TLS options the
    /// gRPC listener is configured with (<see cref="UseGrpcTls"/>).</summary>
    internal static TlsOptions AddServiceSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<ClientAuthenticator>();
        services.AddSingleton<ClientRateLimiter>();

        var jwt = new JwtOptions();
        builder.Configuration.GetSection($"{AuthOptions.SectionName}:Jwt").Bind(jwt);
        if (jwt.Enabled)
        {
            services.AddAuthentication().AddJwtBearer();
            services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
                .Configure<IOptions<AuthOptions>>((o, auth) => ConfigureJwt(o, auth.Value.Jwt));
        }

        var tls = new TlsOptions();
        builder.Configuration.GetSection(TlsOptions.SectionName).Bind(tls);
        return tls;
    }

    /// <summary>Serves TLS on <paramref name="listen"/> when <paramref name="tls"/> is enabled (HTTP/2 negotiated by ALPN).
    /// Files are read at the first handshake (options validation has checked them at start) and re-read when they change.</summary>
    internal static void UseGrpcTls(this ListenOptions listen, TlsOptions tls)
    {
        if (!tls.Enabled)
        {
            return;
        }

        var source = new ServerCertificateSource(tls.CertificatePath!, tls.KeyPath);
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => source.Current,
            ClientCertificateMode = ClientCertificateMode.NoCertificate,
        };
        if (tls.RequireClientCertificate)
        {
            var validator = new Lazy<ClientCertificateValidator>(() => new ClientCertificateValidator(PemFiles.LoadCaBundle(tls.CaPath!)));
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.ClientCertificateValidation = (cert, chain, _) => validator.Value.Validate(cert, chain);
        }

        listen.UseHttps(https);
    }

    /// <summary>
    /// Credentials of an outgoing gRPC client: for an https address, trust <paramref name="caPath"/> (when set; the system
    /// store otherwise) and present the client certificate (when set); an API key, when set, goes in the
    /// <c>x-api-key</c> header of every call (over cleartext only for loopback/dev: prefer https).
    /// </summary>
    public static IHttpClientBuilder AddClientCredentials(this IHttpClientBuilder builder, Func<IServiceProvider, ClientCredentials> credentials)
    {
        builder.ConfigurePrimaryHttpMessageHandler(sp => CreateHandler(credentials(sp)));
        // Without this an http:// channel fails every call that has call credentials, even ones that add nothing.
        builder.ConfigureChannel(o => o.UnsafeUseInsecureChannelCallCredentials = true);
        return builder.AddCallCredentials((_, metadata, sp) =>
        {
            if (credentials(sp).ApiKey is { } key)
            {
                metadata.Add(ClientAuthenticator.ApiKeyHeader, key);
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>The HTTP handler of an outgoing gRPC channel with <paramref name="credentials"/>' TLS settings.</summary>
    public static SocketsHttpHandler CreateHandler(ClientCredentials credentials)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        if (!string.IsNullOrWhiteSpace(credentials.CaPath))
        {
            var roots = PemFiles.LoadCaBundle(credentials.CaPath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
                cert is X509Certificate2 c
                && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                && PemFiles.ChainsTo(c, roots, PemFiles.ServerAuthOid, chain);
        }

        if (!string.IsNullOrWhiteSpace(credentials.CertificatePath))
        {
            var (cert, chain) = PemFiles.LoadCertificate(credentials.CertificatePath, credentials.KeyPath);
            handler.SslOptions.ClientCertificates = [cert, .. chain];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => cert;
        }

        return handler;
    }

    private static void ConfigureJwt(JwtBearerOptions o, JwtOptions jwt)
    {
        o.MapInboundClaims = false;
        if (!string.IsNullOrWhiteSpace(jwt.Authority))
        {
            o.Authority = jwt.Authority;
        }

        o.Audience = jwt.Audience;
        o.TokenValidationParameters.ValidateIssuer = true;
        o.TokenValidationParameters.ValidateAudience = true;
        o.TokenValidationParameters.ValidateLifetime = true;
        o.TokenValidationParameters.RequireExpirationTime = true;
        o.TokenValidationParameters.ValidAudience = jwt.Audience;
        o.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(jwt.ClockSkewSeconds);
        if (!string.IsNullOrWhiteSpace(jwt.Issuer))
        {
            o.TokenValidationParameters.ValidIssuer = jwt.Issuer;
        }

        if (jwt.ReadSigningKey() is { } key)
        {
            o.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(key);
            o.TokenValidationParameters.ValidateIssuerSigningKey = true;
        }
    }
}

/// <summary>What an outgoing gRPC client presents and trusts (see <see cref="SecurityExtensions.AddClientCredentials"/>).</summary>
/// <param name="CaPath">CA bundle the server certificate must chain to; null = system trust store.</param>
/// <param name="CertificatePath">Client certificate (PEM) for mutual TLS; null = none.</param>
/// <param name="KeyPath">Its private key (PEM).</param>
/// <param name="ApiKey">API key sent in <c>x-api-key</c>; null = none.</param>
public sealed record ClientCredentials(string? CaPath, string? CertificatePath, string? KeyPath, string? ApiKey);
