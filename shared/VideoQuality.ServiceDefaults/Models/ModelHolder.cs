namespace VideoQuality.ServiceDefaults.Models;

/// <summary>
/// A service's loaded model(s) (null until its <see cref="ModelLoader{T}"/> finishes) and the outcome of loading.
/// Calls get the model from <see cref="GetReady"/>, which answers UNAVAILABLE while it is loading or after it failed.
/// </summary>
/// <param name="noun">What the messages call the model(s): "model" or "models" ("models are loading; retry shortly").</param>
public class ModelHolder<T>(string noun = "model") : IDisposable
    where T : class, IDisposable
{
    private volatile T? _model;
    private volatile string? _loadError;

    /// <summary>What the messages call the model(s).</summary>
    public string Noun => noun;

    /// <summary>The model, or null while loading / after a failure.</summary>
    public T? Model => _model;

    /// <summary>Why loading failed, if it did.</summary>
    public string? LoadError => _loadError;

    /// <summary>Process exit code: 1 when the model could not be loaded.</summary>
    public int ExitCode => LoadError is null ? 0 : 1;

    /// <summary>The model; UNAVAILABLE while it is not loaded.</summary>
    public T GetReady()
    {
        var model = _model;
        if (model is null)
        {
            string verb = noun.EndsWith('s') ? "are" : "is";
            RpcErrors.Unavailable(LoadError is null ? $"{noun} {verb} loading; retry shortly" : $"{noun} failed to load: {LoadError}");
        }

        return model;
    }

    internal void SetLoaded(T model) => _model = model;

    internal void SetFailed(string error) => _loadError = error;

    /// <inheritdoc />
    public void Dispose()
    {
        _model?.Dispose();
        GC.SuppressFinalize(this);
    }
}
