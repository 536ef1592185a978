using System.Diagnostics;

namespace VideoQuality.Inference;

/// <summary>
/// The ActivitySource of the inference stages (spans "decode", "preprocess", "run", "postprocess" of the detector pipeline
/// and "repair" of the enhancer). Starting an activity costs nothing when no one listens (no tracer provider: tracing off).
/// </summary>
public static class InferenceTelemetry
{
    /// <summary>Source name (the services' tracer providers add it).</summary>
    public const string SourceName = "VideoQuality.Inference";

    /// <summary>The source.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts an internal span for one stage of one frame, tagged with the model; null when nobody listens.</summary>
    public static Activity? StartStage(string stage, string model)
    {
        var a = Source.StartActivity(stage, ActivityKind.Internal);
        a?.SetTag("vq.model", model);
        return a;
    }
}
