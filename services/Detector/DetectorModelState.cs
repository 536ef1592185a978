using VideoQuality.Detection;
using VideoQuality.ServiceDefaults;

namespace VideoQuality.Detector;

/// <summary>The loaded detector (null until the loader finishes) and the outcome of loading.</summary>
internal sealed class DetectorModelState : IDisposable
{
    private volatile DetectorPipeline? _pipeline;

    /// <summary>The pipeline, or null while loading / after a failure.</summary>
    public DetectorPipeline? Pipeline => _pipeline;

    /// <summary>Why loading failed, if it did.</summary>
    public string? LoadError { get; private set; }

    /// <summary>Process exit code: 1 when the model could not be loaded.</summary>
    public int ExitCode => LoadError is null ? 0 : 1;

    /// <summary>The pipeline; UNAVAILABLE while the model is not loaded.</summary>
    public DetectorPipeline GetReadyPipeline()
    {
        var p = _pipeline;
        if (p is null)
        {
            RpcErrors.Unavailable(LoadError is null ? "model is loading; retry shortly" : $"model failed to load: {LoadError}");
        }

        return p;
    }

    internal void SetLoaded(DetectorPipeline pipeline) => _pipeline = pipeline;

    internal void SetFailed(string error) => LoadError = error;

    /// <inheritdoc />
    public void Dispose() => _pipeline?.Dispose();
}

/// <summary>
/// Lets the loader wait before loading. Open by default; tests hold it closed to observe NOT_SERVING
/// before the model is ready.
/// </summary>
internal class ModelLoadGate
{
    /// <summary>Completes when loading may start.</summary>
    public virtual Task WaitAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
