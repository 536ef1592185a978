using VideoQuality.Media;

namespace VideoQuality.Detection;

/// <summary>
/// Per-stream history: a copy of the previous frame's luma plane (the temporal context of the next frame) and, for
/// recurrent detectors (2.x), the model's state after the previous frame (the next frame's state input). Frames of
/// one stream are prepared one at a time, in order; their model runs may be started on any thread, and a recurrent
/// run waits for its predecessor's state (<see cref="ChainNext"/>). A size change resets the history.
/// </summary>
public sealed class DetectionStream
{
    private readonly object _gate = new();
    private byte[] _previous = [];
    private int _prevWidth, _prevHeight;
    private bool _has;
    private float[] _state = [];
    private int _stateLength;
    private Task _last = Task.CompletedTask;

    internal DetectionStream(string id) => Id = id;

    /// <summary>Caller's stream identifier.</summary>
    public string Id { get; }

    /// <summary>Frames detected on this stream.</summary>
    public long FramesDetected { get; internal set; }

    /// <summary>Whether a previous frame is held.</summary>
    public bool HasHistory => _has;

    /// <summary>Forgets the previous frame and the recurrent state (e.g. after a seek or a cut).</summary>
    public void Reset()
    {
        _has = false;
        lock (_gate)
        {
            _stateLength = 0;
        }
    }

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
        if (_has && (w != _prevWidth || h != _prevHeight))
        {
            lock (_gate)
            {
                _stateLength = 0;   // a new size: the state grid no longer matches
            }
        }

        if (_previous.Length < w * h)
        {
            _previous = GC.AllocateUninitializedArray<byte>(w * h);
        }

        luma.CopyTo(_previous);
        (_prevWidth, _prevHeight, _has) = (w, h, true);
    }

    /// <summary>
    /// Called in frame order when a recurrent frame is prepared: returns the task that completes when the previous
    /// frame's state is stored, and the completion this frame must signal (<see cref="StoreState"/> or on failure).
    /// </summary>
    internal Task ChainNext(out TaskCompletionSource done)
    {
        done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var previous = _last;
            _last = done.Task;
            return previous;
        }
    }

    /// <summary>Copies the state into <paramref name="dest"/> when one of that length is held; else fills zeros.</summary>
    internal bool ReadState(Span<float> dest)
    {
        lock (_gate)
        {
            if (_stateLength == dest.Length)
            {
                _state.AsSpan(0, _stateLength).CopyTo(dest);
                return true;
            }
        }

        dest.Clear();
        return false;
    }

    /// <summary>Stores the model's next state (the next frame's state input).</summary>
    internal void StoreState(ReadOnlySpan<float> state)
    {
        lock (_gate)
        {
            if (_state.Length < state.Length)
            {
                _state = new float[state.Length];
            }

            state.CopyTo(_state);
            _stateLength = state.Length;
        }
    }
}
