using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Models;
using VideoQuality.ServiceDefaults.Streams;

namespace VideoQuality.Detector;

/// <summary>Builds the Detector host: shared defaults, options, the model loader and the gRPC service.</summary>
public static class DetectorHost
{
    /// <summary>Fully qualified gRPC service name (also a gRPC health service name).</summary>
    public const string GrpcServiceName = "videoquality.v1.Detector";

    /// <summary>Service name for traces.</summary>
    public const string ServiceName = "videoquality-detector";

    /// <summary>Creates the application. <paramref name="configure"/> lets tests adjust services before build.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(ServiceName, GrpcServiceName, typeof(Contracts.V1.Detector).Assembly, defaultGrpcPort: 50051, defaultHttpPort: 8081);

        var services = builder.Services;
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StreamsOptions>().BindConfiguration(StreamsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(_ => new ModelHolder<DetectorPipeline>("model"));
        services.AddSingleton<DetectorMetrics>();
        services.AddSingleton<ICallFailureMetrics>(sp => sp.GetRequiredService<DetectorMetrics>());
        services.AddSingleton<ModelLoadGate>();
        DetectorAlarms.AddTo(services);
        services.AddHostedService<DetectorModelLoader>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapGrpcWithRest<DetectorService>();
        app.MapServiceDefaults();
        return app;
    }
}
