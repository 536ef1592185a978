using VideoQuality.Media;

namespace VideoQuality.Detection;

/// <summary>
/// A recurrent detector's per-block state after one frame of a stream (docs/MODEL_CONTRACT.md, "Recurrent state"),
/// for callers that keep a stream's state themselves: unary Detect calls of the Detector service and the enhancer's
/// streams, so that any detector replica can answer any frame.
/// </summary>
/// <param name="ModelVersion">The model version that produced it; another version does not read it.</param>
/// <param name="Channels">State channels (the manifest's recurrent.channels).</param>
/// <param name="Rows">Block rows of the padded frame.</param>
/// <param name="Cols">Block columns of the padded frame.</param>
/// <param name="Data">Channels x rows x cols values, channel-major.</param>
public sealed record RecurrentState(string ModelVersion, int Channels, int Rows, int Cols, float[] Data)
{
    /// <summary>Throws <see cref="FrameFormatException"/> unless the shape and values fit a model with
    /// <paramref name="channels"/> state channels on a <paramref name="rows"/> x <paramref name="cols"/> grid.</summary>
    public void Check(int channels, int rows, int cols, int width, int height)
    {
        if (Channels != channels || Rows != rows || Cols != cols)
        {
            throw new FrameFormatException(
                $"state is {Channels}x{Rows}x{Cols} (channels x block rows x block columns); a {width}x{height} frame needs {channels}x{rows}x{cols}: send no state for a stream's first frame and after a size change");
        }

        if (Data.Length != channels * rows * cols)
        {
            throw new FrameFormatException($"state has {Data.Length} values, {channels}x{rows}x{cols} = {channels * rows * cols} expected");
        }

        foreach (float v in Data)
        {
            if (!float.IsFinite(v))
            {
                throw new FrameFormatException("state has a value that is not a finite number");
            }
        }
    }
}
