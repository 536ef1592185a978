namespace VideoQuality.Detection;

/// <summary>
/// Per-stream history: the previous frame's model input (already padded and scaled, so it is not converted
/// twice). Frames of one stream must be detected one at a time, in order. A size change resets the history.
/// </summary>
public sealed class DetectionStream
{
    private float[] _previous = [];
    private int _prevWidth, _prevHeight, _prevLength;

    internal DetectionStream(string id) => Id = id;

    /// <summary>Caller's stream identifier.</summary>
    public string Id { get; }

    /// <summary>Frames detected on this stream.</summary>
    public long FramesDetected { get; internal set; }

    /// <summary>Whether a previous frame is held.</summary>
    public bool HasHistory => _prevLength > 0;

    /// <summary>Forgets the previous frame (e.g. after a seek or a cut).</summary>
    public void Reset() => _prevLength = 0;

    internal bool TryCopyPrevious(int width, int height, Span<float> dest)
    {
        if (_prevLength == 0 || width != _prevWidth || height != _prevHeight || dest.Length != _prevLength)
        {
            return false;
        }

        _previous.AsSpan(0, _prevLength).CopyTo(dest);
        return true;
    }

    internal void Remember(int width, int height, ReadOnlySpan<float> tensor)
    {
        if (_previous.Length < tensor.Length)
        {
            _previous = GC.AllocateUninitializedArray<float>(tensor.Length);
        }

        tensor.CopyTo(_previous);
        (_prevWidth, _prevHeight, _prevLength) = (width, height, tensor.Length);
    }
}
