namespace VideoQuality.Inference;

/// <summary>A model that cannot be used: missing, malformed manifest, sha256 mismatch, or no usable execution provider.</summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ModelLoadException(string message, Exception inner) : base(message, inner) { }
}
