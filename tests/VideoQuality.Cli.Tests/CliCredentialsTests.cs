using Grpc.Core;
using Grpc.Net.Client;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using VideoQuality.Contracts.V1;
using VideoQuality.Detector;

namespace VideoQuality.Cli.Tests;

/// <summary>The CLI's remote channels carry VQ_API_KEY / VQ_BEARER_TOKEN to a detector that requires an API key.</summary>
public class CliCredentialsTests
{
    private const string Key = "cli-key-0123456789abcdef";

    [Fact]
    public async Task A_channel_with_the_api_key_is_served_and_one_without_is_unauthenticated()
    {
        int grpc = Repo.FreeTcpPort(), http = Repo.FreeTcpPort();
        await using var app = DetectorHost.Build(
        [
            $"--Ports:Grpc={grpc}", $"--Ports:Http={http}", "--Ports:Address=127.0.0.1", $"--Model:Root={Repo.Models}",
            "--Inference:Providers:0=CPU", "--Logging:LogLevel:Default=Warning", $"--Auth:ApiKeys:cli={Key}",
        ]);
        await app.StartAsync();
        var address = new Uri($"http://127.0.0.1:{grpc}");
        var request = new DetectRequest { Frame = new Frame { Format = PixelFormat.Gray8, Width = 64, Height = 48, Data = ByteString.CopyFrom(new byte[64 * 48]) } };

        using var anonymous = CliCredentials.Channel(address, new GrpcChannelOptions(), apiKey: null, token: null);
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await new VideoQuality.Contracts.V1.Detector.DetectorClient(anonymous).DetectAsync(request, deadline: DateTime.UtcNow.AddSeconds(60)));
        Assert.True(ex.StatusCode is StatusCode.Unauthenticated or StatusCode.Unavailable, ex.ToString()); // Unavailable while the model loads

        using var withKey = CliCredentials.Channel(address, new GrpcChannelOptions(), apiKey: Key, token: null);
        var client = new VideoQuality.Contracts.V1.Detector.DetectorClient(withKey);
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                Assert.Equal("CPU", (await client.DetectAsync(request)).Model.ExecutionProvider);
                break;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < until)
            {
                await Task.Delay(100); // model still loading
            }
        }

        ex = await Assert.ThrowsAsync<RpcException>(async () => await new VideoQuality.Contracts.V1.Detector.DetectorClient(anonymous).DetectAsync(request));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        await app.StopAsync();
    }
}
