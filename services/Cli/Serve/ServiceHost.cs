using System.Diagnostics;
using System.Runtime.InteropServices;

namespace VideoQuality.Cli.Serve;

/// <summary>
/// One service started by `vq serve`. Adding a service to `vq serve` is one line in <see cref="ServeCommand.Services"/>.
/// </summary>
/// <param name="Name">Folder under the services build directory (.vq/bin/&lt;name&gt;) and the name printed.</param>
/// <param name="Assembly">Entry assembly file name without .dll.</param>
/// <param name="ExtraSettings">Extra configuration for this service (key, value), given the chosen ports of all services.</param>
internal sealed record ServiceSpec(string Name, string Assembly, Func<ServePorts, int> GrpcPort, Func<ServePorts, int> HttpPort,
    Func<ServePorts, IEnumerable<KeyValuePair<string, string>>> ExtraSettings);

/// <summary>Ports chosen on the command line (defaults: the fixed project ports).</summary>
internal sealed record ServePorts(int DetectorGrpc = 50051, int DetectorHttp = 8081, int EnhancerGrpc = 50052, int EnhancerHttp = 8082);

/// <summary>
/// A service running as a child process (`dotnet &lt;service&gt;.dll`). Child processes rather than in-process hosting:
/// each service keeps its own process-wide state (ONNX Runtime sessions, the static Prometheus registry, logging),
/// exactly as it runs in production, and the CLI needs no reference to the service projects. Stopping sends
/// SIGTERM (the ASP.NET Core host's graceful shutdown) and kills only after a grace period.
/// </summary>
internal sealed class ServiceHost : IAsyncDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private readonly Process _process;

    private ServiceHost(ServiceSpec spec, Process process, int grpcPort, int httpPort)
    {
        Spec = spec;
        _process = process;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
    }

    public ServiceSpec Spec { get; }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    /// <summary>The built entry assembly of a service, or null when that service is not built (not part of this checkout yet).</summary>
    public static string? Locate(string servicesBin, ServiceSpec spec)
    {
        var dll = Path.Combine(servicesBin, spec.Name, spec.Assembly + ".dll");
        return File.Exists(dll) ? dll : null;
    }

    public static ServiceHost Start(ServiceSpec spec, string dll, ServePorts ports, string repoRoot)
    {
        var grpc = spec.GrpcPort(ports);
        var http = spec.HttpPort(ports);
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = repoRoot };
        psi.ArgumentList.Add(dll);
        foreach (var (key, value) in Settings(grpc, http, repoRoot).Concat(spec.ExtraSettings(ports)))
        {
            psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {spec.Name}");
        return new ServiceHost(spec, process, grpc, http);
    }

    /// <summary>Configuration of a service host (passed as environment variables): ports, loopback binding, the repo's models.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Settings(int grpcPort, int httpPort, string repoRoot) =>
    [
        new("Ports:Grpc", grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Ports:Http", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Ports:Address", "127.0.0.1"),
        new("Model:Root", Path.Combine(repoRoot, "models")),
        // Per-request logs drown the console in a foreground dev session; the services' own logs stay at Information.
        new("Logging:LogLevel:Microsoft.AspNetCore", "Warning"),
    ];

    /// <summary>Polls GET /readyz on the HTTP port until it answers 200 (model loaded and warmed up).</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var r = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/readyz"), ct);
                if (r.IsSuccessStatusCode) return true;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Request timeout while starting.
            }
            await Task.Delay(250, ct);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, Sigterm);
            using var grace = new CancellationTokenSource(Grace);
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
    }

    private const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
