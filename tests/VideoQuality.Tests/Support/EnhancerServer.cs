using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using VideoQuality.Enhancer;

namespace VideoQuality.Tests.Support;

/// <summary>
/// The real Enhancer host (EnhancerHost.Build, as Program.cs runs it) on free loopback ports, pointed at a detector
/// address (or none), with a gRPC channel, an Enhancer client, a health client and an HTTP/1 client.
/// </summary>
internal sealed class EnhancerServer : IAsyncDisposable
{
    private EnhancerServer(WebApplication app, int grpcPort, int httpPort)
    {
        App = app;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
        Client = new VideoQuality.Contracts.V1.Enhancer.EnhancerClient(Channel);
        Health = new Health.HealthClient(Channel);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public GrpcChannel Channel { get; }

    public VideoQuality.Contracts.V1.Enhancer.EnhancerClient Client { get; }

    public Health.HealthClient Health { get; }

    public HttpClient Http { get; }

    /// <summary>Starts an enhancer; <paramref name="detectorAddress"/> null = in-process detection only.</summary>
    public static Task<EnhancerServer> StartAsync(string? detectorAddress, params string[] extraArgs) =>
        StartAsync(detectorAddress, null, extraArgs);

    /// <summary>Detection budget of test enhancers: tests of the remote path must not see a loaded CI box's first detector
    /// answer hedged; tests of hedging pass the product's <c>--Enhancer:MaxBudgetMs</c> (later arguments win).</summary>
    public const int GenerousBudgetMs = 10_000;

    /// <summary>Starts an enhancer; <paramref name="configure"/> adjusts the host before build (e.g. a log capture).</summary>
    public static async Task<EnhancerServer> StartAsync(string? detectorAddress, Action<WebApplicationBuilder>? configure, params string[] extraArgs)
    {
        var (grpc, http) = DetectorServer.FreePorts();
        string[] args =
        [
            $"--Ports:Grpc={grpc}",
            $"--Ports:Http={http}",
            "--Ports:Address=127.0.0.1",
            $"--Model:Root={TestModels.Root}",
            "--Inference:Providers:0=CPU",
            "--Inference:MaxConcurrency=1",
            $"--Enhancer:DetectorAddress={detectorAddress ?? string.Empty}",
            "--Enhancer:DetectTimeoutMs=2000",
            "--Enhancer:RetryBaseDelayMs=10",
            "--Enhancer:BreakDurationMs=1000",
            "--Enhancer:MinimumThroughput=2",
            $"--Enhancer:MaxBudgetMs={GenerousBudgetMs}",
            "--Logging:LogLevel:Default=Warning",
            .. extraArgs,
        ];
        var app = EnhancerHost.Build(args, configure);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var server = new EnhancerServer(app, grpc, http);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await server.Health.CheckAsync(new HealthCheckRequest())).Status != HealthCheckResponse.Types.ServingStatus.Serving)
        {
            Assert.True(DateTime.UtcNow < until, "enhancer never became SERVING");
            await Task.Delay(50);
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
