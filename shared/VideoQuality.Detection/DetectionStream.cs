using VideoQuality.Media;

namespace VideoQuality.Detection;

/// <summary>
/// Per-stream history: a copy of the previous frame's luma plane, the temporal context of the next frame.
/// Frames of one stream must be detected one at a time, in order. A size change resets the history.
/// </summary>
public sealed class DetectionStream
{
    private byte[] _previous = [];
    private int _prevWidth, _prevHeight;
    private bool _has;

    internal DetectionStream(string id) => Id = id;

    /// <summary>Caller's stream identifier.</summary>
    public string Id { get; }

    /// <summary>Frames detected on this stream.</summary>
    public long FramesDetected { get; internal set; }

    /// <summary>Whether a previous frame is held.</summary>
    public bool HasHistory => _has;

    /// <summary>Forgets the previous frame (e.g. after a seek or a cut).</summary>
    public void Reset() => _has = false;

    /// <summary>The previous frame's luma when it has this size (valid until the next <see cref="Remember"/>).</summary>
    internal bool TryGetPrevious(int width, int height, out PlaneView previous)
    {
        if (!_has || width != _prevWidth || height != _prevHeight)
        {
            previous = default;
            return false;
        }

        previous = PlaneView.Packed(_previous, width, height);
        return true;
    }

    internal void Remember(in PlaneView luma)
    {
        int w = luma.Width, h = luma.Height;
        if (_previous.Length < w * h)
        {
            _previous = GC.AllocateUninitializedArray<byte>(w * h);
        }

        luma.CopyTo(_previous);
        (_prevWidth, _prevHeight, _has) = (w, h, true);
    }
}
