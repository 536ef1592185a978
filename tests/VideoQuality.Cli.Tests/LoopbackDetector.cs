using Microsoft.AspNetCore.Builder;
using VideoQuality.Detector;

namespace VideoQuality.Cli.Tests;

/// <summary>The real Detector service (DetectorHost, Kestrel) on free loopback ports, with the repo's model on CPU.</summary>
public sealed class LoopbackDetector : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var grpc = Repo.FreeTcpPort();
        var http = Repo.FreeTcpPort();
        _app = DetectorHost.Build(
        [
            $"--Ports:Grpc={grpc}", $"--Ports:Http={http}", "--Ports:Address=127.0.0.1", $"--Model:Root={Repo.Models}",
            "--Inference:Providers:0=CPU", "--Logging:LogLevel:Default=Warning",
        ]);
        await _app.StartAsync();
        Address = new Uri($"http://127.0.0.1:{grpc}");
        using var client = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var r = await client.GetAsync(new Uri($"http://127.0.0.1:{http}/readyz"));
            if (r.IsSuccessStatusCode) break;
            Assert.True(DateTime.UtcNow < deadline, "the detector did not become ready within 60 s");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
