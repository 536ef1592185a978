using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace VideoQuality.Tests.Support;

/// <summary>
/// A real mosquitto broker (/usr/sbin/mosquitto, apt package "mosquitto", installed by ./vq test) on a free loopback
/// port with a generated config: anonymous access, persistence in a temporary folder (so a persistent subscriber keeps
/// its subscription and queued QoS 1 messages across <see cref="StopAsync"/> / <see cref="StartAsync"/>).
/// Shared by the test projects (VideoQuality.TestSupport).
/// </summary>
internal sealed class Mosquitto : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/mosquitto";
    private readonly string _dir;
    private Process? _process;

    private Mosquitto(int port, string dir)
    {
        Port = port;
        _dir = dir;
    }

    public int Port { get; }

    /// <summary>A free loopback TCP port.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    public static async Task<Mosquitto> StartNewAsync()
    {
        Assert.True(File.Exists(Binary), $"{Binary} missing: install the apt package mosquitto (./vq test does)");
        var dir = Directory.CreateTempSubdirectory("vq-mosquitto-").FullName;
        var broker = new Mosquitto(FreePort(), dir);
        var config = new StringBuilder()
            .AppendLine($"listener {broker.Port} 127.0.0.1")
            .AppendLine("allow_anonymous true")
            .AppendLine("persistence true")
            .AppendLine($"persistence_location {dir}/")
            .AppendLine("log_dest stderr")
            .AppendLine("log_type error");
        if (Environment.UserName == "root")
        {
            config.AppendLine("user root"); // mosquitto started as root otherwise drops to user "mosquitto", who cannot write here
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "mosquitto.conf"), config.ToString());
        await broker.StartAsync();
        return broker;
    }

    /// <summary>Starts (or restarts) the broker on its port and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo(Binary, ["-c", Path.Combine(_dir, "mosquitto.conf")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(psi)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            Assert.False(_process.HasExited, $"mosquitto exited with {(_process.HasExited ? _process.ExitCode : 0)}");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Stops the broker with SIGTERM (it saves its persistent sessions) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } p)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(timeout.Token);
        p.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>An MQTTnet subscriber that records every message (topic, payload) in arrival order; reconnects by itself.</summary>
internal sealed class MqttRecorder : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly string _filter;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reconnect;

    private MqttRecorder(int port, string filter, string clientId)
    {
        _filter = filter;
        _client = new MqttClientFactory().CreateMqttClient();
        _options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId)
            .WithCleanSession(false) // persistent session: QoS 1 messages sent while it is away are queued for it
            .WithSessionExpiryInterval(3600)
            .Build();
        _client.ApplicationMessageReceivedAsync += e =>
        {
            Messages.Enqueue((e.ApplicationMessage.Topic, e.ApplicationMessage.ConvertPayloadToString()));
            return Task.CompletedTask;
        };
        _reconnect = Task.Run(ReconnectAsync);
    }

    public ConcurrentQueue<(string Topic, string Payload)> Messages { get; } = new();

    public static async Task<MqttRecorder> StartAsync(int port, string filter)
    {
        var r = new MqttRecorder(port, filter, "vq-test-" + Guid.NewGuid().ToString("N")[..12]);
        await r.ConnectAsync(CancellationToken.None);
        return r;
    }

    /// <summary>Waits until <paramref name="done"/> holds for the messages so far.</summary>
    public async Task<List<(string Topic, string Payload)>> WaitForAsync(Func<List<(string Topic, string Payload)>, bool> done, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var now = Messages.ToList();
            if (done(now))
            {
                return now;
            }

            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}; got {now.Count} messages:\n{string.Join("\n", now.Select(m => m.Topic + " " + m.Payload))}");
            await Task.Delay(50);
        }
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var result = await _client.ConnectAsync(_options, ct);
        if (!result.IsSessionPresent)
        {
            await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(f => f.WithTopic(_filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
                .Build(), ct);
        }
    }

    private async Task ReconnectAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(100, _stop.Token);
                if (!_client.IsConnected)
                {
                    await ConnectAsync(_stop.Token);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // broker down: try again
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reconnect;
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
        _stop.Dispose();
    }
}
