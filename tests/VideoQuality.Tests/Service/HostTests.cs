using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using VideoQuality.Contracts.V1;
using VideoQuality.ServiceDefaults;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Service;

[Collection("detector server")]
public class EndpointTests(DetectorServerFixture fixture)
{
    private DetectorServer Server => fixture.Server;

    [Fact]
    public async Task Metrics_are_served_on_the_http1_port()
    {
        await Server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) });
        var response = await Server.Http.GetAsync("/metrics");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("vq_detector_frames_processed_total{rpc=\"unary\"}", text);
        Assert.Matches("vq_detector_stage_seconds_bucket\\{model=\"[^\"]+\",stage=\"run\"", text);
        Assert.Contains("vq_detector_severity_count", text);
        Assert.Contains("execution_provider=\"CPU\"", text);
        Assert.Contains("vq_detector_frames_failed_total", text);
    }

    [Fact]
    public async Task Healthz_and_readyz_report_on_the_http1_port()
    {
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Server.Http.GetAsync("/healthz")).StatusCode);
        var ready = await Server.Http.GetAsync("/readyz");
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadAsStringAsync();
        Assert.Contains("\"execution_provider\":\"CPU\"", body);
    }

    [Fact]
    public async Task Reflection_lists_the_detector_and_health_services()
    {
        var client = new ServerReflection.ServerReflectionClient(Server.Channel);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("videoquality.v1.Detector", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Fact]
    public async Task Health_reports_serving_for_the_detector_service() =>
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await Server.Health.CheckAsync(new HealthCheckRequest { Service = "videoquality.v1.Detector" })).Status);

    /// <summary>Behind a proxy, a port-forward or a Kubernetes Service whose port differs from the container port, the
    /// request's authority names a port the server does not listen on: endpoints are matched by the local port.</summary>
    [Fact]
    public async Task Calls_whose_authority_names_another_port_are_answered()
    {
        const string authority = "detector.example:80";
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{Server.GrpcPort}",
            new GrpcChannelOptions { HttpHandler = new AuthorityHandler(authority) });
        var response = await new Contracts.V1.Detector.DetectorClient(channel).DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) });
        Assert.Equal("CPU", response.Model.ExecutionProvider);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status);

        using var http = new HttpClient(new AuthorityHandler(authority)) { BaseAddress = Server.Http.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
    }

    /// <summary>Sends every request with <paramref name="authority"/> as its Host / :authority.</summary>
    private sealed class AuthorityHandler(string authority) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = authority;
            return base.SendAsync(request, cancellationToken);
        }
    }
}

public class StartupTests
{
    [Fact]
    public async Task Health_is_not_serving_until_the_model_is_loaded_verified_and_warmed_up()
    {
        var gate = new ManualGate();
        await using var server = await DetectorServer.StartAsync(gate: gate, waitUntilServing: false);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await server.Health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await server.Http.GetAsync("/readyz")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Http.GetAsync("/healthz")).StatusCode);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) }));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);

        gate.Open();
        await server.WaitForHealthAsync(HealthCheckResponse.Types.ServingStatus.Serving, TimeSpan.FromSeconds(60));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Http.GetAsync("/readyz")).StatusCode);
        var resp = await server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) });
        Assert.Equal("CPU", resp.Model.ExecutionProvider);
    }

    [Fact]
    public async Task Require_gpu_without_a_gpu_stops_the_host_with_exit_code_1()
    {
        bool gpu = File.Exists("/dev/nvidiactl");
        await using var server = await DetectorServer.StartAsync(["--Inference:RequireGpu=true"], waitUntilServing: gpu);
        if (gpu)
        {
            Assert.Equal(0, server.ModelState.ExitCode);
            return;
        }

        var lifetime = server.App.Lifetime;
        var stopped = new TaskCompletionSource();
        using var reg = lifetime.ApplicationStopping.Register(() => stopped.TrySetResult());
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, server.ModelState.ExitCode);
        Assert.Contains("Inference:RequireGpu is true but no GPU execution provider could be started", server.ModelState.LoadError);
    }

    [Fact]
    public async Task Sha_mismatch_stops_the_host()
    {
        using var tmp = new TempDir();
        var dir = TestModels.CopyDetectorTo(tmp.Path, "9.9.9");
        File.AppendAllText(Path.Combine(dir, "model.onnx"), "x");
        await using var server = await DetectorServer.StartAsync([$"--Model:Root={tmp.Path}"], waitUntilServing: false);
        var stopped = new TaskCompletionSource();
        using var reg = server.App.Lifetime.ApplicationStopping.Register(() => stopped.TrySetResult());
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("does not match manifest sha256", server.ModelState.LoadError);
        Assert.Equal(1, server.ModelState.ExitCode);
    }
}

/// <summary>The built service as users run it (<c>dotnet VideoQuality.Detector.dll</c>), with one of its ports taken.</summary>
public class PortInUseTests
{
    [Theory]
    [InlineData("Grpc")]
    [InlineData("Http")]
    public async Task A_port_in_use_ends_the_service_with_one_line_naming_the_setting_and_the_port(string setting)
    {
        using var held = new TcpListener(IPAddress.Loopback, 0);
        held.Start();
        var taken = ((IPEndPoint)held.LocalEndpoint).Port;
        var free = DetectorServer.FreePort();
        var (grpc, http) = setting == "Grpc" ? (taken, free) : (free, taken);

        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "VideoQuality.Detector.dll"),
                     $"--Ports:Grpc={grpc}", $"--Ports:Http={http}", "--Ports:Address=127.0.0.1", $"--Model:Root={TestModels.Root}"])
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        Assert.Equal($"Ports:{setting} {taken} is already in use (address 127.0.0.1): stop what holds it or choose another port", (await stderr).Trim());
        Assert.DoesNotContain(" at ", await stdout);
        Assert.Equal(ServiceRunner.PortInUseExitCode, process.ExitCode);
    }
}

public class OptionsTests
{
    [Fact]
    public void Ports_must_differ_and_the_address_must_be_an_ip()
    {
        var o = new VideoQuality.ServiceDefaults.PortsOptions { Grpc = 50051, Http = 50051, Address = "localhost" };
        var errors = o.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(o)).Select(e => e.ErrorMessage).ToList();
        Assert.Contains("Ports:Grpc and Ports:Http must differ (both 50051)", errors);
        Assert.Contains("Ports:Address 'localhost' is not an IP address", errors);
    }

    [Fact]
    public async Task Invalid_options_fail_start()
    {
        var ex = await Assert.ThrowsAsync<AggregateException>(
            () => DetectorServer.StartAsync(["--Streams:Mode=sometimes", "--Inference:Providers:0=DirectML"], waitUntilServing: false));
        var messages = ex.InnerExceptions.OfType<Microsoft.Extensions.Options.OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        Assert.Contains(messages, m => m.Contains("Streams:Mode must be live or lossless"));
        Assert.Contains(messages, m => m.Contains("Inference:Providers contains unknown provider 'DirectML'"));
    }

    [Fact]
    public async Task Invalid_model_options_fail_start_before_any_model_is_read()
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => DetectorServer.StartAsync(["--Model:Root=/nonexistent/models", "--Model:Version=latest", "--Model:Profile=Fast!"], waitUntilServing: false));
        var messages = ex.Failures.ToList();
        Assert.Contains(messages, m => m.Contains("Model:Root '/nonexistent/models' is not a folder"));
        Assert.Contains(messages, m => m.Contains("Model:Version 'latest' is not a semantic version"));
        Assert.Contains(messages, m => m.Contains("Model:Profile 'Fast!' is not a profile name"));
    }
}
