namespace VideoQuality.Repair;

/// <summary>
/// Per-stream repair history: the previous REPAIRED frame, the source of temporal concealment. Frames of one
/// stream are repaired one at a time, in order. A size change or <see cref="Reset"/> forgets the history.
/// </summary>
public sealed class RepairStream
{
    internal RepairStream(string id) => Id = id;

    /// <summary>Caller's stream identifier.</summary>
    public string Id { get; }

    /// <summary>Frames repaired (or passed through) on this stream.</summary>
    public long Frames { get; internal set; }

    /// <summary>Whether a previous frame is held.</summary>
    public bool HasHistory => Previous is not null;

    internal YuvImage? Previous { get; private set; }

    /// <summary>Forgets the previous frame (after a seek, a cut or dropped frames).</summary>
    public void Reset() => Previous = null;

    /// <summary>The previous frame when it has the given size.</summary>
    internal YuvImage? PreviousOfSize(int width, int height) =>
        Previous is { } p && p.Width == width && p.Height == height ? p : null;

    /// <summary>Keeps <paramref name="image"/> (owned by the stream from now on) as the previous frame.</summary>
    internal void Remember(YuvImage image)
    {
        image.ForgetSource();
        Previous = image;
        Frames++;
    }
}

/// <summary>What repair did to one frame.</summary>
public sealed record RepairResult
{
    /// <summary>The repaired frame (the caller's own bytes when nothing was flagged and the format is unchanged).</summary>
    public required Media.RawFrame Frame { get; init; }

    /// <summary>True when the frame was returned untouched (nothing flagged).</summary>
    public bool Untouched { get; init; }

    /// <summary>8x8 blocks restored by the enhancer model: compression-flagged blocks and transmission blocks without usable
    /// history (the ring of <see cref="RepairOptions.DilatePixels"/> px it also restores around them is not counted).</summary>
    public int ModelBlocks { get; init; }

    /// <summary>8x8 blocks replaced by temporal concealment.</summary>
    public int TemporalBlocks { get; init; }

    /// <summary>Flagged blocks left as they were.</summary>
    public int UnrepairedBlocks { get; init; }

    /// <summary>Model tiles run.</summary>
    public int Tiles { get; init; }

    /// <summary>Pixels the model ran on (tiles with their context margins and stride padding): its cost.</summary>
    public long ModelPixels { get; init; }

    /// <summary>True when the previous frame was judged another scene (transmission blocks went to the model).</summary>
    public bool SceneCut { get; init; }

    /// <summary>Microseconds spent repairing (planning, model, concealment, blending, conversion).</summary>
    public long RepairUs { get; init; }

    /// <summary>The part of <see cref="RepairUs"/> spent writing the output frame (format conversion, PNG/JPEG encoding).</summary>
    public long EncodeUs { get; init; }
}
