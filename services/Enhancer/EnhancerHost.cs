using Microsoft.Extensions.Options;
using VideoQuality.Inference;
using VideoQuality.Repair;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Streams;
using VideoQuality.ServiceDefaults.Security;

namespace VideoQuality.Enhancer;

/// <summary>Builds the Enhancer host: shared defaults, options, the detector client with resilience, the model loader and the gRPC service.</summary>
public static class EnhancerHost
{
    /// <summary>Fully qualified gRPC service name (also a gRPC health service name).</summary>
    public const string GrpcServiceName = "videoquality.v1.Enhancer";

    /// <summary>Service name for traces.</summary>
    public const string ServiceName = "videoquality-enhancer";

    private const string DetectorCredentialsKey = "detector";

    /// <summary>Creates the application. <paramref name="configure"/> lets tests adjust services before build.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(ServiceName, GrpcServiceName, typeof(Contracts.V1.Enhancer).Assembly, defaultGrpcPort: 50052, defaultHttpPort: 8082);

        var services = builder.Services;
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RepairOptions>().BindConfiguration(RepairOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StreamsOptions>().BindConfiguration(StreamsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EnhancerOptions>().BindConfiguration(EnhancerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EnhancerMetrics>();
        services.AddSingleton<ICallFailureMetrics>(sp => sp.GetRequiredService<EnhancerMetrics>());
        services.AddSingleton<EnhancerState>();
        services.AddSingleton<DetectorResilience>();
        services.AddSingleton<DetectorResilienceInterceptor>();
        services.AddSingleton<DetectionRouter>();
        services.AddSingleton<FrameEnhancer>();
        services.AddHostedService<EnhancerModelLoader>();
        services.AddKeyedSingleton(DetectorCredentialsKey, (sp, _) =>
            sp.GetRequiredService<IOptions<EnhancerOptions>>().Value.DetectorCredentials(sp.GetRequiredService<IOptions<TlsOptions>>().Value.CaPath));
        services.AddGrpcClient<Contracts.V1.Detector.DetectorClient>((sp, o) =>
            {
                var address = sp.GetRequiredService<IOptions<EnhancerOptions>>().Value.DetectorAddress;
                o.Address = new Uri(string.IsNullOrWhiteSpace(address) ? "http://127.0.0.1:50051" : address);
            })
            .ConfigureChannel(c =>
            {
                c.MaxSendMessageSize = 160 << 20; // frame + previous frame
                c.MaxReceiveMessageSize = 16 << 20;
                c.InitialReconnectBackoff = TimeSpan.FromMilliseconds(200);
                c.MaxReconnectBackoff = TimeSpan.FromSeconds(2);
            })
            .EnableCallContextPropagation(o => o.SuppressContextNotFoundErrors = true)
            .AddClientCredentials(sp => sp.GetRequiredKeyedService<ClientCredentials>(DetectorCredentialsKey))
            .AddInterceptor<DetectorResilienceInterceptor>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapGrpcWithRest<EnhancerService>();
        app.MapServiceDefaults();
        return app;
    }
}
