using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Prometheus;
using VideoQuality.ServiceDefaults.Security;

namespace VideoQuality.ServiceDefaults;

/// <summary>
/// Wiring every VideoQuality service host shares, so each Program.cs stays a few lines:
/// <list type="bullet">
/// <item>Kestrel: gRPC on an HTTP/2-only port (<c>Ports:Grpc</c>), /metrics, /healthz, /readyz on an HTTP/1 port (<c>Ports:Http</c>).</item>
/// <item>gRPC with explicit message limits (<c>Grpc:*</c>; oversize -> RESOURCE_EXHAUSTED), exception mapping, reflection.</item>
/// <item>gRPC health service and /readyz driven by <see cref="ReadinessState"/> (SERVING only when ready); /healthz is liveness.</item>
/// <item>Prometheus metrics in a per-host registry (<see cref="CollectorRegistry"/>, <see cref="IMetricFactory"/> in DI).</item>
/// <item>OpenTelemetry tracing exported over OTLP, registered only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</item>
/// <item>Security (<see cref="SecurityExtensions"/>, off by default): TLS / mutual TLS on the gRPC port, API keys / JWT, per-client rate limits.</item>
/// <item>Graceful shutdown: <c>Shutdown:TimeoutSeconds</c> for in-flight calls; readiness turns NOT_SERVING as soon as
/// the host stops, and streams end with UNAVAILABLE "server shutting down" (<see cref="RpcErrors.ShuttingDown"/>).</item>
/// </list>
/// </summary>
public static class Extensions
{
    /// <summary>Tag of the readiness health check.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Tag of the liveness health check.</summary>
    public const string LiveTag = "live";

    /// <summary>Registers the shared services and Kestrel endpoints. <paramref name="grpcServiceName"/> is the
    /// fully qualified gRPC service name also reported by the health service (e.g. "videoquality.v1.Detector").</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName, string grpcServiceName, int defaultGrpcPort, int defaultHttpPort)
    {
        var services = builder.Services;
        services.AddOptions<PortsOptions>()
            .Configure(o => (o.Grpc, o.Http) = (defaultGrpcPort, defaultHttpPort))
            .BindConfiguration(PortsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ShutdownOptions>()
            .BindConfiguration(ShutdownOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HostOptions>()
            .Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.TimeoutSeconds));
        services.AddOptions<GrpcLimitsOptions>()
            .BindConfiguration(GrpcLimitsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var ports = new PortsOptions { Grpc = defaultGrpcPort, Http = defaultHttpPort };
        builder.Configuration.GetSection(PortsOptions.SectionName).Bind(ports);
        var limits = new GrpcLimitsOptions();
        builder.Configuration.GetSection(GrpcLimitsOptions.SectionName).Bind(limits);
        var tls = builder.AddServiceSecurity();

        builder.WebHost.ConfigureKestrel(k =>
        {
            if (!IPAddress.TryParse(ports.Address, out var ip))
            {
                return; // reported by options validation at start
            }

            k.AddServerHeader = false;
            k.Listen(ip, ports.Grpc, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.UseGrpcTls(tls);
            });
            k.Listen(ip, ports.Http, l => l.Protocols = HttpProtocols.Http1);
            k.Limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
            k.Limits.Http2.InitialStreamWindowSize = 2 * 1024 * 1024;
        });

        services.AddSingleton(new EndpointHosts(ports.Grpc, ports.Http));
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = limits.MaxReceiveMessageBytes;
            o.MaxSendMessageSize = limits.MaxSendMessageBytes;
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<AccessInterceptor>();
            o.Interceptors.Add<ExceptionMappingInterceptor>();
        });
        services.AddGrpcReflection();

        services.AddSingleton<ReadinessState>();
        services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy("running"), [LiveTag])
            .AddCheck<ReadinessHealthCheck>("model", tags: [ReadyTag]);
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Map(string.Empty, r => r.Tags.Contains(ReadyTag));
            o.Services.Map(grpcServiceName, r => r.Tags.Contains(ReadyTag));
        });

        var registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        services.AddSingleton(registry);
        services.AddSingleton<IMetricFactory>(Metrics.WithCustomRegistry(registry));
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<StreamLabels>();

        if (TracingEnabled(builder.Configuration))
        {
            services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService(serviceName))
                .WithTracing(t => t
                    .AddSource(serviceName, VideoQuality.Inference.InferenceTelemetry.SourceName)
                    .AddAspNetCoreInstrumentation(o => o.Filter = ctx => ctx.Connection.LocalPort == ports.Grpc)
                    .AddGrpcClientInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary>Whether traces are exported: only when an OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>); otherwise no tracer provider is registered and nothing is exported.</summary>
    public static bool TracingEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
        || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);

    /// <summary>Maps a gRPC service on the gRPC port only.</summary>
    public static GrpcServiceEndpointConventionBuilder MapGrpcOnGrpcPort<TService>(this WebApplication app) where TService : class =>
        app.MapGrpcService<TService>().RequireHost(app.Services.GetRequiredService<EndpointHosts>().Grpc);

    /// <summary>Maps health (gRPC + /healthz + /readyz), reflection and /metrics on their ports.</summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        var hosts = app.Services.GetRequiredService<EndpointHosts>();
        var readiness = app.Services.GetRequiredService<ReadinessState>();
        app.Lifetime.ApplicationStopping.Register(() => readiness.MarkNotReady("stopping: draining in-flight calls"));
        app.MapGrpcHealthChecksService().RequireHost(hosts.Grpc);
        app.MapGrpcReflectionService().RequireHost(hosts.Grpc);
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResponseWriter = WriteHealthJson,
        }).RequireHost(hosts.Http);
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadyTag),
            ResponseWriter = WriteHealthJson,
        }).RequireHost(hosts.Http);
        app.MapMetrics("/metrics", app.Services.GetRequiredService<CollectorRegistry>()).RequireHost(hosts.Http);
        return app;
    }

    private static Task WriteHealthJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(
                e => e.Key,
                e => (object?)new Dictionary<string, object?>
                {
                    ["status"] = e.Value.Status.ToString(),
                    ["description"] = e.Value.Description,
                    ["data"] = e.Value.Data,
                }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}

/// <summary>Host patterns ("*:port") that pin endpoints to the gRPC or the HTTP/1 port.</summary>
internal sealed class EndpointHosts(int grpcPort, int httpPort)
{
    public string Grpc { get; } = $"*:{grpcPort}";

    public string Http { get; } = $"*:{httpPort}";
}
