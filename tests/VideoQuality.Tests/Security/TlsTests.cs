using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Options;
using VideoQuality.Contracts.V1;
using VideoQuality.Tests.Repair;
using VideoQuality.Tests.Service;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Security;

/// <summary>TLS and mutual TLS on the gRPC port over real sockets, with certificates made in the test.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    private static DetectRequest Request() => new() { Frame = UnaryTests.I420Frame(64, 48) };

    [Fact]
    public async Task Tls_call_succeeds_when_the_client_trusts_the_ca_and_fails_when_it_does_not()
    {
        await using var detector = await DetectorServer.StartAsync(_pki.ServerArgs(), tls: _pki.Client());
        var ok = await detector.Client.DetectAsync(Request(), deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal("CPU", ok.Model.ExecutionProvider);

        using var untrusting = detector.CreateChannel(_pki.Client(caPath: _pki.RogueCaPath));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await new VideoQuality.Contracts.V1.Detector.DetectorClient(untrusting).DetectAsync(Request(), deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.True(ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal, ex.ToString());
        Assert.Contains("SSL", ex.ToString(), StringComparison.OrdinalIgnoreCase);

        // The HTTP/1 port (metrics, probes) stays cleartext.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await detector.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Missing_or_mismatched_certificate_files_stop_the_host_with_a_clear_message()
    {
        var missing = Path.Combine(_pki.Dir, "missing.crt");
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            DetectorServer.StartAsync([$"--Tls:CertificatePath={missing}", $"--Tls:KeyPath={_pki.Server.Key}"], waitUntilServing: false));
        Assert.Contains($"Tls:CertificatePath '{missing}' cannot be read", ex.Message);

        ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            DetectorServer.StartAsync([$"--Tls:CertificatePath={_pki.Server.Cert}", $"--Tls:KeyPath={_pki.Intruder.Key}"], waitUntilServing: false));
        Assert.Contains("are not a PEM certificate and its private key", ex.Message);

        ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            DetectorServer.StartAsync([.. _pki.ServerArgs(requireClientCertificate: true), "--Tls:CaPath="], waitUntilServing: false));
        Assert.Contains("Tls:RequireClientCertificate needs Tls:CaPath", ex.Message);
    }

    [Fact]
    public async Task Mutual_tls_admits_only_the_enhancer_identity_and_the_enhancer_detects_remotely()
    {
        await using var detector = await DetectorServer.StartAsync(
            [.. _pki.ServerArgs(requireClientCertificate: true), $"--Auth:EnhancerIdentity={TestPki.EnhancerIdentity}"],
            tls: _pki.Client());

        // Probes: the health service answers without a client certificate.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await detector.Health.CheckAsync(new HealthCheckRequest())).Status);

        // No client certificate: UNAUTHENTICATED.
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await detector.Client.DetectAsync(Request()));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("client certificate", ex.Status.Detail);

        // A certificate from the right CA with another identity: PERMISSION_DENIED.
        using (var intruder = detector.CreateChannel(_pki.Client(_pki.Intruder)))
        {
            ex = await Assert.ThrowsAsync<RpcException>(async () =>
                await new VideoQuality.Contracts.V1.Detector.DetectorClient(intruder).DetectAsync(Request()));
            Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
            Assert.Contains("only the enhancer identity", ex.Status.Detail);
        }

        // The enhancer's name on a certificate from another CA: the handshake fails.
        using (var rogue = detector.CreateChannel(_pki.Client(_pki.RogueEnhancer)))
        {
            ex = await Assert.ThrowsAsync<RpcException>(async () =>
                await new VideoQuality.Contracts.V1.Detector.DetectorClient(rogue).DetectAsync(Request(), deadline: DateTime.UtcNow.AddSeconds(30)));
            // Under TLS 1.3 the client learns of the refusal on its first read or during the handshake, depending on timing.
            Assert.True(ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal, ex.ToString());
        }

        // The enhancer identity: admitted.
        using (var enhancerChannel = detector.CreateChannel(_pki.Client(_pki.Enhancer)))
        {
            var ok = await new VideoQuality.Contracts.V1.Detector.DetectorClient(enhancerChannel).DetectAsync(Request());
            Assert.Equal("CPU", ok.Model.ExecutionProvider);
        }

        // End to end: the enhancer host calls the detector over mutual TLS with its certificate.
        await using var enhancer = await EnhancerServer.StartAsync($"https://localhost:{detector.GrpcPort}",
            $"--Tls:CaPath={_pki.CaPath}",
            $"--Enhancer:ClientCertificatePath={_pki.Enhancer.Cert}",
            $"--Enhancer:ClientKeyPath={_pki.Enhancer.Key}");
        var response = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = EnhancerFrame() }, deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(DetectionSource.Remote, response.DetectionSource);
    }

    [Fact]
    public async Task An_enhancer_with_the_wrong_certificate_is_refused_by_the_detector_and_falls_back_to_local_detection()
    {
        await using var detector = await DetectorServer.StartAsync(
            [.. _pki.ServerArgs(requireClientCertificate: true), $"--Auth:EnhancerIdentity={TestPki.EnhancerIdentity}"],
            tls: _pki.Client());
        await using var enhancer = await EnhancerServer.StartAsync($"https://localhost:{detector.GrpcPort}",
            $"--Tls:CaPath={_pki.CaPath}",
            $"--Enhancer:ClientCertificatePath={_pki.Intruder.Cert}",
            $"--Enhancer:ClientKeyPath={_pki.Intruder.Key}");
        var response = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = EnhancerFrame() }, deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(DetectionSource.LocalFallback, response.DetectionSource);
    }

    private static Frame EnhancerFrame() => new()
    {
        Format = PixelFormat.I420,
        Width = 320,
        Height = 192,
        Data = Google.Protobuf.ByteString.CopyFrom(RepairTests.Natural(320, 192)),
    };
}
