using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace VideoQuality.LoadTests;

/// <summary>
/// A TCP proxy that holds every chunk it forwards for a delay, in both directions (a slow network or a slow
/// service, for chaos runs: `vq-load proxy --listen PORT --upstream HOST:PORT --delay-ms MS [--jitter-ms J]
/// [--switch-s S]`): <see cref="ProxyDelay"/> says how long. Chunks keep their order and the delay is added latency,
/// not a bandwidth limit. Nothing in the services changes to be slowed down.
/// The services match endpoints by the local port of the connection, not the request's authority, so the proxy may
/// listen on any port (chaos.sh still uses the upstream's port at 127.0.0.2, which needed the authority's port kept
/// while the services matched on it).
/// </summary>
internal static class DelayProxy
{
    public static async Task RunAsync(IPEndPoint listen, string upstreamHost, int upstreamPort, ProxyDelay delay, TextWriter output, CancellationToken ct)
    {
        var listener = new TcpListener(listen);
        listener.Start();
        output.WriteLine($"proxy: {listen} -> {upstreamHost}:{upstreamPort}, {delay} each way");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
                _ = Task.Run(() => ConnectionAsync(client, upstreamHost, upstreamPort, delay, ct), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped.
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task ConnectionAsync(TcpClient client, string host, int port, ProxyDelay delay, CancellationToken ct)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                client.NoDelay = upstream.NoDelay = true;
                await upstream.ConnectAsync(host, port, ct).ConfigureAwait(false);
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var a = PumpAsync(client.GetStream(), upstream.GetStream(), delay, cts.Token);
                var b = PumpAsync(upstream.GetStream(), client.GetStream(), delay, cts.Token);
                await Task.WhenAny(a, b).ConfigureAwait(false);
                await cts.CancelAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // Either side went away: close both.
            }
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, ProxyDelay delay, CancellationToken ct)
    {
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Data)>();
        var writer = Task.Run(async () =>
        {
            await foreach (var (due, data) in chunks.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var wait = TimeSpan.FromTicks((due - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }

                await to.WriteAsync(data, ct).ConfigureAwait(false);
            }
        }, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                long now = Stopwatch.GetTimestamp();
                chunks.Writer.TryWrite((now + (long)(delay.Next(now).TotalSeconds * Stopwatch.Frequency), buffer[..n]));
            }
        }
        finally
        {
            chunks.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }
}

/// <summary>
/// The delay of each chunk: <c>DelayMs</c> plus uniform jitter in [-JitterMs, +JitterMs] (never below zero); with
/// <c>SwitchS</c> &gt; 0 the delay alternates, every SwitchS seconds from the proxy's start, between none (first) and
/// DelayMs with its jitter (a detector that is fast, then slow, then fast again).
/// </summary>
internal sealed record ProxyDelay(int DelayMs, int JitterMs, double SwitchS)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public TimeSpan Next(long now)
    {
        if (SwitchS > 0 && (long)(Stopwatch.GetElapsedTime(_start, now).TotalSeconds / SwitchS) % 2 == 0)
        {
            return TimeSpan.Zero;
        }

        double jitter = JitterMs > 0 ? Random.Shared.Next(-JitterMs, JitterMs + 1) : 0;
        return TimeSpan.FromMilliseconds(Math.Max(0, DelayMs + jitter));
    }

    public override string ToString() =>
        $"{DelayMs} ms{(JitterMs > 0 ? $" ± {JitterMs} ms" : string.Empty)}{(SwitchS > 0 ? $", alternating with none every {SwitchS} s" : string.Empty)}";
}
