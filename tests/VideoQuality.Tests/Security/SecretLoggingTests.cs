using VideoQuality.Contracts.V1;
using VideoQuality.Tests.Repair;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Security;

/// <summary>Secrets never reach the logs: a detector and an enhancer log everything at Trace while calls with valid
/// and invalid keys and tokens go through, and no key, token or signing key appears in any line.</summary>
public class SecretLoggingTests
{
    private static readonly string[] TraceEverything =
    [
        "--Logging:LogLevel:Default=Trace",
        "--Logging:LogLevel:VideoQuality=Trace",
        "--Logging:LogLevel:Microsoft.AspNetCore=Trace",
        "--Logging:LogLevel:Grpc=Trace",
        "--Logging:LogLevel:System.Net.Http.HttpClient=Trace",
    ];

    [Fact]
    public async Task Keys_and_tokens_never_appear_in_the_logs()
    {
        var detectorLogs = new LogCapture();
        var enhancerLogs = new LogCapture();
        await using var detector = await DetectorServer.StartAsync(
            [.. TestCredentials.DetectorArgs, .. TraceEverything],
            configure: detectorLogs.Attach);
        await using var enhancer = await EnhancerServer.StartAsync($"http://127.0.0.1:{detector.GrpcPort}", enhancerLogs.Attach,
            [$"--Enhancer:ApiKey={TestCredentials.EnhancerKey}", .. TraceEverything]);

        var frame = new Frame { Format = PixelFormat.I420, Width = 320, Height = 192, Data = Google.Protobuf.ByteString.CopyFrom(RepairTests.Natural(320, 192)) };
        var enhanced = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = frame }, deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(DetectionSource.Remote, enhanced.DetectionSource); // the enhancer's key was accepted

        var valid = TestCredentials.Token();
        var expired = TestCredentials.Token(expiresIn: TimeSpan.FromMinutes(-10));
        var request = new DetectRequest { Frame = frame };
        await detector.Client.DetectAsync(request, TestCredentials.ApiKey(TestCredentials.OpsKey));
        await detector.Client.DetectAsync(request, TestCredentials.Bearer(valid));
        const string wrongKey = "wrong-key-0123456789abcdefXYZ";
        foreach (var headers in new[] { TestCredentials.ApiKey(wrongKey), TestCredentials.Bearer(expired), TestCredentials.Bearer(valid + "tampered") })
        {
            await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await detector.Client.DetectAsync(request, headers));
        }

        var logs = detectorLogs.Text + "\n" + enhancerLogs.Text;
        Assert.True(detectorLogs.Lines.Count > 20, "the capture saw the detector's log"); // the capture works
        Assert.Contains("Failed to validate the token", detectorLogs.Text); // the token failures were logged...
        foreach (var secret in new[]
                 {
                     TestCredentials.OpsKey, TestCredentials.EnhancerKey, wrongKey, TestCredentials.SigningKey,
                     valid, expired, valid.Split('.')[2], expired.Split('.')[2],
                 })
        {
            Assert.DoesNotContain(secret, logs); // ...without the secrets
        }
    }
}
