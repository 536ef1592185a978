using System.Security.Claims;
using System.Text;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using VideoQuality.Contracts.V1;
using VideoQuality.Tests.Service;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Security;

/// <summary>Credentials the API-key/JWT tests configure and present.</summary>
internal static class TestCredentials
{
    public const string OpsKey = "ops-key-0123456789abcdef";
    public const string EnhancerKey = "enhancer-key-fedcba9876543210";
    public const string Issuer = "https://issuer.test";
    public const string Audience = "videoquality";
    public const string SigningKey = "jwt-signing-key-0123456789abcdef0123456789";

    public static string[] DetectorArgs =>
    [
        $"--Auth:ApiKeys:ops={OpsKey}",
        $"--Auth:ApiKeys:enhancer={EnhancerKey}",
        $"--Auth:Jwt:Issuer={Issuer}",
        $"--Auth:Jwt:Audience={Audience}",
        $"--Auth:Jwt:SigningKey={SigningKey}",
    ];

    /// <summary>Writes <paramref name="frames"/> frames, then reads until the server ends the call; returns its error.
    /// The server may end the call while frames are still being written, so write errors only end the writing.</summary>
    /// <summary>Sends frames in lockstep (one frame, then its answer) until the server ends the call, and returns the
    /// call's status. Lockstep keeps the client from writing into a call the server has already ended, which would race
    /// the status trailers (the client can then report CANCELLED instead of the server's status).</summary>
    public static async Task<RpcException> StreamEndedAsync(AsyncDuplexStreamingCall<DetectStreamRequest, DetectResponse> call, int frames)
    {
        for (ulong seq = 1; seq <= (ulong)frames; seq++)
        {
            try
            {
                await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = UnaryTests.I420Frame(64, 48, seq: seq) });
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException)
            {
                break; // the call has ended; its status is read below
            }

            try
            {
                if (!await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    break;
                }
            }
            catch (RpcException e)
            {
                return e;
            }
        }

        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
    }

    public static Metadata ApiKey(string key) => new() { { "x-api-key", key } };

    public static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    public static string Token(string audience = Audience, TimeSpan? expiresIn = null, string signingKey = SigningKey, string subject = "client-1")
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}

/// <summary>One detector with API keys and JWT configured, shared by <see cref="AuthTests"/>.</summary>
public sealed class SecuredDetectorFixture : IAsyncLifetime
{
    internal DetectorServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await DetectorServer.StartAsync(TestCredentials.DetectorArgs);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>API keys and JWT bearer tokens on a real detector: without credentials a call is rejected, with them it passes.</summary>
public class AuthTests(SecuredDetectorFixture fixture) : IClassFixture<SecuredDetectorFixture>
{
    private DetectorServer Server => fixture.Server;

    private static DetectRequest Request() => new() { Frame = UnaryTests.I420Frame(64, 48) };

    private async Task<RpcException> Rejected(Metadata? headers)
    {
        return await Assert.ThrowsAsync<RpcException>(async () => await Server.Client.DetectAsync(Request(), headers));
    }

    [Fact]
    public async Task A_call_without_credentials_is_unauthenticated()
    {
        var ex = await Rejected(null);
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("credentials required", ex.Status.Detail);
    }

    [Fact]
    public async Task A_stream_without_credentials_is_unauthenticated()
    {
        using var call = Server.Client.DetectStream();
        var ex = await TestCredentials.StreamEndedAsync(call, 1);
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task A_valid_api_key_passes_and_a_wrong_one_is_unauthenticated()
    {
        var ok = await Server.Client.DetectAsync(Request(), TestCredentials.ApiKey(TestCredentials.OpsKey));
        Assert.Equal("CPU", ok.Model.ExecutionProvider);

        var ex = await Rejected(TestCredentials.ApiKey(TestCredentials.OpsKey + "x"));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Equal("invalid API key", ex.Status.Detail);
    }

    [Fact]
    public async Task A_stream_with_a_valid_api_key_is_served()
    {
        using var call = Server.Client.DetectStream(TestCredentials.ApiKey(TestCredentials.OpsKey));
        await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = UnaryTests.I420Frame(64, 48, seq: 1) });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(1ul, call.ResponseStream.Current.Sequence);
    }

    [Fact]
    public async Task A_valid_bearer_token_passes()
    {
        var ok = await Server.Client.DetectAsync(Request(), TestCredentials.Bearer(TestCredentials.Token()));
        Assert.Equal("CPU", ok.Model.ExecutionProvider);
    }

    [Theory]
    [InlineData("expired", "invalid bearer token: expired")]
    [InlineData("audience", "invalid bearer token: wrong audience")]
    [InlineData("signature", "invalid bearer token: bad signature")]
    [InlineData("garbage", "invalid bearer token")]
    public async Task An_invalid_bearer_token_is_unauthenticated(string what, string message)
    {
        var token = what switch
        {
            "expired" => TestCredentials.Token(expiresIn: TimeSpan.FromMinutes(-10)),
            "audience" => TestCredentials.Token(audience: "someone-else"),
            "signature" => TestCredentials.Token(signingKey: "another-signing-key-0123456789abcdef0123"),
            _ => "not.a.token",
        };
        var ex = await Rejected(TestCredentials.Bearer(token));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.StartsWith(message, ex.Status.Detail);
    }

    [Fact]
    public async Task Health_and_the_http1_port_stay_anonymous()
    {
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await Server.Health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Server.Http.GetAsync("/metrics")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Server.Http.GetAsync("/readyz")).StatusCode);
    }
}

/// <summary>Per-client rate limits: a client over its limit gets RESOURCE_EXHAUSTED, another client is unaffected.</summary>
public class RateLimitTests
{
    [Fact]
    public async Task A_burst_above_the_limit_is_resource_exhausted_while_another_client_is_served()
    {
        await using var detector = await DetectorServer.StartAsync(
        [
            .. TestCredentials.DetectorArgs,
            "--RateLimit:PermitsPerSecond=1",
            "--RateLimit:Burst=3",
        ]);
        var ops = TestCredentials.ApiKey(TestCredentials.OpsKey);
        var calls = Enumerable.Range(0, 12).Select(async _ =>
        {
            try
            {
                await detector.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) }, ops);
                return (StatusCode.OK, string.Empty);
            }
            catch (RpcException e)
            {
                return (e.StatusCode, e.Status.Detail);
            }
        }).ToList();
        var results = await Task.WhenAll(calls);

        var rejected = results.Where(r => r.Item1 != StatusCode.OK).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, r => Assert.Equal(StatusCode.ResourceExhausted, r.Item1));
        Assert.Contains("rate limit exceeded", rejected[0].Item2);
        Assert.InRange(results.Count(r => r.Item1 == StatusCode.OK), 3, 11);

        // Another client (its own bucket) is served at once.
        var other = await detector.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) },
            TestCredentials.Bearer(TestCredentials.Token(subject: "client-2")));
        Assert.Equal("CPU", other.Model.ExecutionProvider);

        // Streams draw one token per frame: a third client sending frames faster than its rate has its stream ended.
        using var stream = detector.Client.DetectStream(TestCredentials.Bearer(TestCredentials.Token(subject: "client-3")));
        var ended = await TestCredentials.StreamEndedAsync(stream, 12);
        Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
        Assert.Contains("rate limit exceeded", ended.Status.Detail);
    }
}
