using System.Net;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
/// <item>Kestrel: gRPC on an HTTP/2-only port (<c>Ports:Grpc</c>); REST/JSON, OpenAPI, /metrics, /healthz, /readyz on an HTTP/1
/// port (<c>Ports:Http</c>). Endpoints are pinned to their port by the socket's local port (<see cref="LocalPortMatcherPolicy"/>),
/// so proxies and Services that expose other ports reach them.</item>
/// <item>REST/JSON transcoding of the annotated gRPC methods with an OpenAPI document and Swagger UI (<see cref="RestApi"/>).</item>
/// <item>gRPC with explicit message limits (<c>Grpc:*</c>; oversize -> RESOURCE_EXHAUSTED), exception mapping, reflection.</item>
/// <item>gRPC health service and /readyz driven by <see cref="ReadinessState"/> (SERVING only when ready); /healthz is liveness.</item>
/// <item>Prometheus metrics in a per-host registry (<see cref="CollectorRegistry"/>, <see cref="IMetricFactory"/> in DI).</item>
/// <item>OpenTelemetry tracing exported over OTLP, registered only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</item>
/// <item>Security (<see cref="SecurityExtensions"/>, off by default): TLS / mutual TLS on the gRPC port, API keys / JWT, per-client rate limits.</item>
/// <item>Graceful shutdown: <c>Shutdown:TimeoutSeconds</c> for in-flight calls; readiness turns NOT_SERVING as soon as
/// the host stops, and streams end with UNAVAILABLE "server shutting down" (<see cref="RpcErrors.ShuttingDown"/>).</item>
/// <item>A port already in use ends the process with one line naming the setting and the port (<see cref="ServiceRunner"/>).</item>
/// </list>
/// </summary>
public static class Extensions
{
    /// <summary>Tag of the readiness health check.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Tag of the liveness health check.</summary>
    public const string LiveTag = "live";

    /// <summary>Registers the shared services and Kestrel endpoints. <paramref name="grpcServiceName"/> is the
    /// fully qualified gRPC service name also reported by the health service (e.g. "videoquality.v1.Detector");
    /// <paramref name="contracts"/> is the assembly generated from the protos, whose XML documentation goes into the OpenAPI document.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName, string grpcServiceName, Assembly contracts,
        int defaultGrpcPort, int defaultHttpPort)
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

        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, LocalPortMatcherPolicy>());
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = limits.MaxReceiveMessageBytes;
            o.MaxSendMessageSize = limits.MaxSendMessageBytes;
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<AccessInterceptor>();
            o.Interceptors.Add<ExceptionMappingInterceptor>();
        }).AddRestApi(serviceName, contracts);
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
                    .AddAspNetCoreInstrumentation(o => o.Filter = ctx => IsTraced(ctx, ports))
                    .AddGrpcClientInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary>Requests that get a server span: gRPC calls (the gRPC port) and REST calls (<c>/v1/...</c> on the HTTP
    /// port); not the probes and scrapes (<c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>, Swagger) that would bury them.</summary>
    internal static bool IsTraced(HttpContext context, PortsOptions ports) =>
        context.Connection.LocalPort == ports.Grpc
        || (context.Connection.LocalPort == ports.Http && context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal));

    /// <summary>Whether traces are exported: only when an OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>); otherwise no tracer provider is registered and nothing is exported.</summary>
    public static bool TracingEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
        || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);

    /// <summary>Maps a gRPC service on the gRPC port, and the REST/JSON routes of its annotated methods
    /// (<c>google.api.http</c>) on the HTTP port.</summary>
    public static GrpcServiceEndpointConventionBuilder MapGrpcWithRest<TService>(this WebApplication app) where TService : class
    {
        var ports = app.Services.GetRequiredService<IOptions<PortsOptions>>().Value;
        var limits = app.Services.GetRequiredService<IOptions<GrpcLimitsOptions>>().Value;
        var endpoints = app.MapGrpcService<TService>();
        endpoints.Add(e => RestApi.PinToPort(e, ports, limits));
        return endpoints;
    }

    /// <summary>Maps health (gRPC + /healthz + /readyz), reflection, /metrics and the OpenAPI document and Swagger UI on their ports.</summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        var ports = app.Services.GetRequiredService<IOptions<PortsOptions>>().Value;
        var readiness = app.Services.GetRequiredService<ReadinessState>();
        app.Lifetime.ApplicationStopping.Register(() => readiness.MarkNotReady("stopping: draining in-flight calls"));
        app.MapGrpcHealthChecksService().RequireLocalPort(ports.Grpc);
        app.MapGrpcReflectionService().RequireLocalPort(ports.Grpc);
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResponseWriter = WriteHealthJson,
        }).RequireLocalPort(ports.Http);
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadyTag),
            ResponseWriter = WriteHealthJson,
        }).RequireLocalPort(ports.Http);
        app.MapMetrics("/metrics", app.Services.GetRequiredService<CollectorRegistry>()).RequireLocalPort(ports.Http);
        app.MapRestApi(ports.Http);
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
