namespace VideoQuality.Media;

/// <summary>
/// A frame that cannot be read: wrong buffer length, bad sizes, corrupt image, unknown format.
/// The message names the problem and is safe to return to the caller (services map it to INVALID_ARGUMENT).
/// </summary>
public sealed class FrameFormatException : Exception
{
    /// <summary>Creates the exception with a caller-facing message.</summary>
    public FrameFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a caller-facing message and the underlying cause.</summary>
    public FrameFormatException(string message, Exception inner) : base(message, inner) { }
}
