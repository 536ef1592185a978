using System.ComponentModel.DataAnnotations;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// Authentication of callers of the gRPC service methods (configuration section <c>Auth</c>). Nothing configured
/// (the default, for `./vq serve`, tests and the CLI): calls are anonymous. With API keys and/or JWT configured, or
/// with <see cref="TlsOptions.RequireClientCertificate"/>, every service call needs one valid credential
/// (UNAUTHENTICATED otherwise). The gRPC health service and the HTTP/1 port (metrics, probes) stay anonymous.
/// </summary>
public sealed class AuthOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Auth";

    /// <summary>Shortest accepted API key.</summary>
    public const int MinApiKeyLength = 16;

    /// <summary>API keys by key id, sent by clients in the <c>x-api-key</c> header (e.g. <c>Auth:ApiKeys:ops=...</c>;
    /// environment <c>Auth__ApiKeys__ops</c>). Prefer <see cref="ApiKeysPath"/> for real keys.</summary>
    public Dictionary<string, string> ApiKeys { get; set; } = [];

    /// <summary>Directory of API keys, one file per key: the file name is the key id, its content (trimmed) the key.
    /// A Kubernetes secret mounted as a volume has this shape. Hidden files (..data links) are skipped.</summary>
    public string? ApiKeysPath { get; set; }

    /// <summary>JWT bearer tokens (<c>authorization: Bearer ...</c>).</summary>
    public JwtOptions Jwt { get; set; } = new();

    /// <summary>With mutual TLS on (<see cref="TlsOptions.RequireClientCertificate"/>), the only client identity allowed
    /// to call this host's service methods: a client certificate's subject common name, DNS or URI SAN. Others get
    /// PERMISSION_DENIED. Set on the detector to the enhancer's certificate name.</summary>
    public string? EnhancerIdentity { get; set; }

    /// <summary>Whether API keys or JWT are configured.</summary>
    public bool HasCredentials => ApiKeys.Count > 0 || !string.IsNullOrWhiteSpace(ApiKeysPath) || Jwt.Enabled;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (id, key) in ApiKeys)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Trim().Length < MinApiKeyLength)
            {
                // The key itself is never part of a message.
                yield return new ValidationResult($"Auth:ApiKeys:{id} is shorter than {MinApiKeyLength} characters", [nameof(ApiKeys)]);
            }
        }

        if (!string.IsNullOrWhiteSpace(ApiKeysPath) && !Directory.Exists(ApiKeysPath))
        {
            yield return new ValidationResult($"Auth:ApiKeysPath '{ApiKeysPath}' is not a directory", [nameof(ApiKeysPath)]);
        }

        foreach (var r in Jwt.Validate())
        {
            yield return r;
        }
    }
}

/// <summary>JWT bearer validation (configuration section <c>Auth:Jwt</c>): an OpenID Connect <see cref="Authority"/>
/// (keys from its discovery document) or a symmetric <see cref="SigningKey"/>/<see cref="SigningKeyPath"/>.
/// Issuer, audience, lifetime and signature are always validated.</summary>
public sealed class JwtOptions
{
    /// <summary>OpenID Connect authority (https://...); its metadata gives the issuer and signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>Expected issuer (<c>iss</c>); defaults to the authority's.</summary>
    public string? Issuer { get; set; }

    /// <summary>Expected audience (<c>aud</c>). Required.</summary>
    public string? Audience { get; set; }

    /// <summary>HMAC-SHA256 signing key, at least 32 bytes (UTF-8). Prefer <see cref="SigningKeyPath"/>.</summary>
    public string? SigningKey { get; set; }

    /// <summary>File holding the HMAC signing key.</summary>
    public string? SigningKeyPath { get; set; }

    /// <summary>Allowed clock skew in seconds (0 to 600).</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>Whether JWT validation is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKey) || !string.IsNullOrWhiteSpace(SigningKeyPath);

    internal IEnumerable<ValidationResult> Validate()
    {
        if (!Enabled)
        {
            yield break;
        }

        if (ClockSkewSeconds is < 0 or > 600)
        {
            yield return new ValidationResult("Auth:Jwt:ClockSkewSeconds must be between 0 and 600", [nameof(ClockSkewSeconds)]);
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return new ValidationResult("Auth:Jwt:Audience is required when JWT is configured", [nameof(Audience)]);
        }

        if (string.IsNullOrWhiteSpace(Authority) && string.IsNullOrWhiteSpace(Issuer))
        {
            yield return new ValidationResult("Auth:Jwt:Issuer is required with a signing key (or set Auth:Jwt:Authority)", [nameof(Issuer)]);
        }

        if (!string.IsNullOrWhiteSpace(SigningKeyPath) && PemFiles.CheckReadable("Auth:Jwt:SigningKeyPath", SigningKeyPath) is { } error)
        {
            yield return new ValidationResult(error, [nameof(SigningKeyPath)]);
        }
        else if (ReadSigningKey() is { Length: > 0 and < 32 })
        {
            yield return new ValidationResult("Auth:Jwt signing key must be at least 32 bytes", [nameof(SigningKey)]);
        }

        if (!string.IsNullOrWhiteSpace(Authority) && !Uri.TryCreate(Authority, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"Auth:Jwt:Authority '{Authority}' is not an absolute URI", [nameof(Authority)]);
        }
    }

    /// <summary>The HMAC key bytes, or null when none is configured.</summary>
    internal byte[]? ReadSigningKey()
    {
        var text = !string.IsNullOrWhiteSpace(SigningKeyPath) ? File.ReadAllText(SigningKeyPath).Trim() : SigningKey;
        return string.IsNullOrEmpty(text) ? null : System.Text.Encoding.UTF8.GetBytes(text);
    }
}

/// <summary>
/// Per-client rate limit on the gRPC service methods (configuration section <c>RateLimit</c>): a token bucket per
/// client — the API key id, the JWT subject, the client certificate subject, else the remote IP. One token per unary
/// call and per streamed frame; over the limit a call fails with RESOURCE_EXHAUSTED. Off when
/// <see cref="PermitsPerSecond"/> is 0 (the default).
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "RateLimit";

    /// <summary>Sustained calls/frames per second per client; 0 = no limit.</summary>
    [Range(0, 1_000_000)]
    public int PermitsPerSecond { get; set; }

    /// <summary>Bucket size: how many calls/frames a client may send at once above the sustained rate; 0 = one second's worth.</summary>
    [Range(0, 10_000_000)]
    public int Burst { get; set; }

    /// <summary>Whether calls are rate limited.</summary>
    public bool Enabled => PermitsPerSecond > 0;
}
