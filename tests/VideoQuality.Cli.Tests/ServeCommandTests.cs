using System.Net.Sockets;
using Grpc.Net.Client;
using VideoQuality.Contracts.V1;

namespace VideoQuality.Cli.Tests;

/// <summary>`vq serve` with the real detector host as a child process (the build beside these tests), on loopback.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly TempDir _bin = new();

    [Fact]
    public async Task Serve_runs_the_detector_on_loopback_until_interrupted()
    {
        // The services folder layout ./vq builds (.vq/bin/detector/...), pointing at the detector built with these tests.
        Directory.CreateSymbolicLink(Path.Combine(_bin.Path, "detector"), AppContext.BaseDirectory);
        var env = Repo.Environment with { ServicesBin = _bin.Path };
        var (grpc, http) = (Repo.FreeTcpPort(), Repo.FreeTcpPort());
        var output = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var serve = CliApp.InvokeAsync(["serve", "--detector-port", $"{grpc}", "--detector-http", $"{http}"], env, output, output, stop.Token);

        using var client = new HttpClient();
        while (!output.ToString().Contains("serving; press Ctrl-C", StringComparison.Ordinal))
        {
            Assert.False(serve.IsCompleted, "serve ended early:\n" + output);
            await Task.Delay(100);
        }
        Assert.Contains($"detector: ready in", output.ToString());
        Assert.Contains("enhancer: not built", output.ToString());
        Assert.True((await client.GetAsync(new Uri($"http://127.0.0.1:{http}/readyz"))).IsSuccessStatusCode);
        using (var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}"))
        {
            var r = await new VideoQuality.Contracts.V1.Detector.DetectorClient(channel).DetectAsync(new DetectRequest
            {
                Frame = new Frame { Format = PixelFormat.Gray8, Width = 64, Height = 48, Data = Google.Protobuf.ByteString.CopyFrom(new byte[64 * 48]) },
            });
            Assert.Equal((6u, 8u), (r.Mask.Rows, r.Mask.Cols)); // ceil(48/8) x ceil(64/8) blocks
        }

        await stop.CancelAsync();
        Assert.Equal(0, await serve);
        Assert.Contains("stopped", output.ToString());
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync("127.0.0.1", grpc));
    }

    public void Dispose() => _bin.Dispose();
}
