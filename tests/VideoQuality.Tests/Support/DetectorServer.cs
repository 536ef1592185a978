using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using VideoQuality.Detection;
using VideoQuality.Detector;
using VideoQuality.ServiceDefaults.Models;
using VideoQuality.ServiceDefaults.Security;

namespace VideoQuality.Tests.Support;

/// <summary>
/// The real Detector host (DetectorHost.Build, as Program.cs runs it) on free loopback ports, with a gRPC
/// channel, a health client and an HTTP/1 client. Real Kestrel sockets, no TestServer.
/// </summary>
internal sealed class DetectorServer : IAsyncDisposable
{
    private DetectorServer(WebApplication app, int grpcPort, int httpPort, ClientCredentials? tls)
    {
        App = app;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        Channel = CreateChannel(tls);
        Client = new VideoQuality.Contracts.V1.Detector.DetectorClient(Channel);
        Health = new Health.HealthClient(Channel);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public const int MaxReceiveBytes = 8 << 20;

    public WebApplication App { get; }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public GrpcChannel Channel { get; }

    public VideoQuality.Contracts.V1.Detector.DetectorClient Client { get; }

    public Health.HealthClient Health { get; }

    public HttpClient Http { get; }

    public ModelHolder<DetectorPipeline> ModelState => App.Services.GetRequiredService<ModelHolder<DetectorPipeline>>();

    /// <summary>A channel to the gRPC port: cleartext, or https://localhost with <paramref name="tls"/>' trust and client certificate.</summary>
    public GrpcChannel CreateChannel(ClientCredentials? tls = null) => GrpcChannel.ForAddress(
        tls is null ? $"http://127.0.0.1:{GrpcPort}" : $"https://localhost:{GrpcPort}",
        new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 << 20,
            MaxSendMessageSize = null,
            HttpHandler = tls is null ? null : SecurityExtensions.CreateHandler(tls),
        });

    /// <param name="ports">Fixed ports (to restart a detector where it was); default: free ports.</param>
    /// <param name="tls">For a TLS detector: what the test's channel trusts and presents.</param>
    /// <param name="configure">Adjusts the host before build (e.g. a log capture).</param>
    public static async Task<DetectorServer> StartAsync(IEnumerable<string>? extraArgs = null, ModelLoadGate? gate = null, bool waitUntilServing = true, (int Grpc, int Http)? ports = null,
        ClientCredentials? tls = null, Action<WebApplicationBuilder>? configure = null)
    {
        var (grpc, http) = ports ?? FreePorts();

        string[] args =
        [
            $"--Ports:Grpc={grpc}",
            $"--Ports:Http={http}",
            "--Ports:Address=127.0.0.1",
            $"--Model:Root={TestModels.Root}",
            "--Inference:MaxConcurrency=2",
            $"--Grpc:MaxReceiveMessageBytes={MaxReceiveBytes}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:VideoQuality=Warning",
            .. extraArgs ?? [],
        ];
        var app = DetectorHost.Build(args, b =>
        {
            if (gate is not null)
            {
                b.Services.AddSingleton(gate);
            }

            configure?.Invoke(b);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var server = new DetectorServer(app, grpc, http, tls);
        if (waitUntilServing)
        {
            await server.WaitForHealthAsync(HealthCheckResponse.Types.ServingStatus.Serving, TimeSpan.FromSeconds(60));
        }

        return server;
    }

    public async Task WaitForHealthAsync(HealthCheckResponse.Types.ServingStatus status, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var s = (await Health.CheckAsync(new HealthCheckRequest())).Status;
            if (s == status)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < until, $"health stayed {s}, expected {status}");
            await Task.Delay(50);
        }
    }

    public async Task<string> MetricsAsync() => await Http.GetStringAsync("/metrics");

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>Two distinct free loopback ports.</summary>
    internal static (int Grpc, int Http) FreePorts()
    {
        int grpc = FreePort(), http = FreePort();
        while (http == grpc)
        {
            http = FreePort();
        }

        return (grpc, http);
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>One Detector host shared by the tests of the "detector server" collection.</summary>
public sealed class DetectorServerFixture : IAsyncLifetime
{
    internal DetectorServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await DetectorServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition("detector server")]
public sealed class DetectorServerCollection : ICollectionFixture<DetectorServerFixture>;

/// <summary>A load gate the test opens by hand.</summary>
internal sealed class ManualGate : ModelLoadGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _open.TrySetResult();

    public override Task WaitAsync(CancellationToken cancellationToken) => _open.Task.WaitAsync(cancellationToken);
}
