using System.Net;
using Microsoft.Extensions.Logging;
using Prometheus;
using VideoQuality.Alarms;

namespace VideoQuality.Cli.Monitor;

/// <summary>
/// The probe's own Prometheus metrics (`vq monitor --metrics-port`), per channel id, in a registry of their own
/// (prometheus-net, as the services define theirs):
/// <list type="bullet">
/// <item><c>vq_probe_frames_total</c>, <c>vq_probe_severity</c> (the last frame's), <c>vq_probe_reconnects_total</c>;</item>
/// <item><c>vq_probe_alarm_raised{type}</c> (1 while the macroblocking or signal_lost alarm is raised),
/// <c>vq_probe_alarm_events_total{type,state}</c>, <c>vq_probe_signal_up</c> (0 while signal_lost is raised).</item>
/// </list>
/// </summary>
internal sealed class ProbeMetrics
{
    private readonly Counter _frames;
    private readonly Gauge _severity;
    private readonly Counter _reconnects;
    private readonly Gauge _raised;
    private readonly Counter _events;
    private readonly Gauge _signalUp;

    public ProbeMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        _frames = factory.CreateCounter("vq_probe_frames_total", "Frames detected, by channel.", ["channel"]);
        _severity = factory.CreateGauge("vq_probe_severity", "Severity of the channel's last detected frame.", ["channel"]);
        _reconnects = factory.CreateCounter("vq_probe_reconnects_total", "Live inputs opened again after a drop, by channel.", ["channel"]);
        _raised = factory.CreateGauge("vq_probe_alarm_raised", "1 while the channel's alarm of this type (macroblocking, signal_lost) is raised.", ["channel", "type"]);
        _events = factory.CreateCounter("vq_probe_alarm_events_total", "Alarm events, by channel, type and state.", ["channel", "type", "state"]);
        _signalUp = factory.CreateGauge("vq_probe_signal_up", "Live channels: 0 while signal_lost is raised, else 1.", ["channel"]);
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    /// <summary>A channel starts: its series exist (at 0) before anything happens.</summary>
    public void Channel(string channel, bool live)
    {
        _frames.WithLabels(channel).IncTo(0);
        _reconnects.WithLabels(channel).IncTo(0);
        _raised.WithLabels(channel, AlarmEvent.MacroblockingType).Set(0);
        if (live)
        {
            _raised.WithLabels(channel, AlarmEvent.SignalLostType).Set(0);
            _signalUp.WithLabels(channel).Set(1);
        }
    }

    public void Frame(string channel, double severity)
    {
        _frames.WithLabels(channel).Inc();
        _severity.WithLabels(channel).Set(severity);
    }

    public void Reconnected(string channel) => _reconnects.WithLabels(channel).Inc();

    public void Alarm(AlarmEvent e)
    {
        var raised = e.State == "raised";
        _events.WithLabels(e.StreamId, e.Type, e.State).Inc();
        _raised.WithLabels(e.StreamId, e.Type).Set(raised ? 1 : 0);
        if (e.Type == AlarmEvent.SignalLostType) _signalUp.WithLabels(e.StreamId).Set(raised ? 0 : 1);
    }
}

/// <summary>
/// Serves <c>/metrics</c> (the <see cref="ProbeMetrics"/> registry, Prometheus text format) and <c>/healthz</c> (200 "ok"
/// while the monitor runs) on all interfaces at the given port, with <see cref="HttpListener"/>: the CLI hosts no
/// ASP.NET Core, and two fixed routes need none.
/// </summary>
internal sealed partial class ProbeMetricsServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CollectorRegistry _registry;
    private readonly ILogger _logger;
    private readonly Task _loop;

    private ProbeMetricsServer(int port, CollectorRegistry registry, ILogger logger)
    {
        _registry = registry;
        _logger = logger;
        _listener.Prefixes.Add($"http://+:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public static ProbeMetricsServer Start(int port, CollectorRegistry registry, ILogger logger) => new(port, registry, logger);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                await AnswerAsync(ctx);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                Log.AnswerFailed(_logger, ctx.Request.Url?.AbsolutePath ?? "?", e.Message);
            }
            finally
            {
                ctx.Response.Close();
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext ctx)
    {
        var response = ctx.Response;
        switch (ctx.Request.Url?.AbsolutePath)
        {
            case "/metrics":
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await _registry.CollectAndExportAsTextAsync(response.OutputStream);
                break;
            case "/healthz":
                response.ContentType = "text/plain";
                await response.OutputStream.WriteAsync("ok\n"u8.ToArray());
                break;
            default:
                response.StatusCode = 404;
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Close();
        await _loop;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "metrics server: answering {Path} failed: {Reason}")]
        public static partial void AnswerFailed(ILogger logger, string path, string reason);
    }
}
