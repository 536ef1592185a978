namespace VideoQuality.Cli.Serve;

/// <summary>
/// `vq serve`: starts every built service host in the foreground on 127.0.0.1, waits until each reports ready, and
/// stops them all (SIGTERM, then kill after a grace period) on Ctrl-C or when one of them exits.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The services `vq serve` runs, in start order. A service that is not built is skipped with a note.</summary>
    internal static readonly ServiceSpec[] Services =
    [
        new("detector", "VideoQuality.Detector", p => p.DetectorGrpc, p => p.DetectorHttp, _ => []),
        new("enhancer", "VideoQuality.Enhancer", p => p.EnhancerGrpc, p => p.EnhancerHttp,
            p => [new("Enhancer:DetectorAddress", $"http://127.0.0.1:{p.DetectorGrpc}")]),
    ];

    public static async Task<int> RunAsync(ServePorts ports, CliEnvironment env, TextWriter output, CancellationToken ct)
    {
        var hosts = new List<ServiceHost>();
        try
        {
            foreach (var spec in Services)
            {
                var dll = ServiceHost.Locate(env.ServicesBin, spec);
                if (dll is null)
                {
                    output.WriteLine($"{spec.Name}: not built (no {Path.Combine(env.ServicesBin, spec.Name, spec.Assembly + ".dll")}), skipped");
                    continue;
                }
                var host = ServiceHost.Start(spec, dll, ports, env.RepoRoot);
                hosts.Add(host);
                var started = DateTime.UtcNow;
                if (!await host.WaitReadyAsync(TimeSpan.FromMinutes(3), ct))
                {
                    if (ct.IsCancellationRequested) return 0;
                    output.WriteLine($"{spec.Name}: did not become ready on http://127.0.0.1:{host.HttpPort}/readyz" +
                                     (host.HasExited ? $" (exited with code {host.ExitCode})" : " within 3 minutes"));
                    return 1;
                }
                output.WriteLine($"{spec.Name}: ready in {(DateTime.UtcNow - started).TotalSeconds:0.0} s — gRPC http://127.0.0.1:{host.GrpcPort}, " +
                                 $"REST, Swagger UI, metrics/health http://127.0.0.1:{host.HttpPort}/v1/... /swagger /metrics /healthz /readyz");
            }
            if (hosts.Count == 0)
            {
                output.WriteLine("no service is built: run ./vq build (or ./vq serve through the launcher)");
                return 1;
            }
            output.WriteLine("serving; press Ctrl-C to stop");
            var exited = await Task.WhenAny(hosts.Select(h => h.WaitForExitAsync(ct)));
            if (ct.IsCancellationRequested) return 0;
            var gone = hosts.First(h => h.HasExited);
            output.WriteLine($"{gone.Spec.Name} exited with code {gone.ExitCode}; stopping the others");
            return 1;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            // Stop in reverse order (the enhancer depends on the detector).
            for (var i = hosts.Count - 1; i >= 0; i--) await hosts[i].DisposeAsync();
            if (hosts.Count > 0) output.WriteLine("stopped");
        }
    }
}
