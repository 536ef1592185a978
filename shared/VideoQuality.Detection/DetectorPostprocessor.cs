using VideoQuality.Inference;

namespace VideoQuality.Detection;

/// <summary>
/// The post-processing of docs/MODEL_CONTRACT.md (identical to training/vqtrain/postprocess.py):
/// comp = p0 &gt;= t0, trans = p1 &gt;= t1, mask = comp | trans; class clean if severity &lt; ts, else
/// transmission if mean(trans) &gt;= transmission_min_fraction, else compression.
/// </summary>
public sealed class DetectorPostprocessor(PostprocessSpec spec, int blockSize)
{
    /// <summary>The thresholds in use.</summary>
    public PostprocessSpec Spec { get; } = spec;

    /// <summary>Mask block size.</summary>
    public int BlockSize { get; } = blockSize;

    /// <summary>
    /// Crops the model's block grid (<paramref name="gridRows"/> x <paramref name="gridCols"/>, channel-major, two
    /// channels) to <paramref name="rows"/> x <paramref name="cols"/> and applies the rules.
    /// </summary>
    public (FrameClass Class, BlockMask Union, BlockMask Compression, BlockMask Transmission, float[] Probabilities) Apply(
        float severity, ReadOnlySpan<float> blockProbs, int gridRows, int gridCols, int rows, int cols)
    {
        int n = rows * cols, plane = gridRows * gridCols;
        if (blockProbs.Length < 2 * plane || rows > gridRows || cols > gridCols)
        {
            throw new ArgumentException($"block_probs grid {gridRows}x{gridCols} cannot hold a {rows}x{cols} mask");
        }

        var probs = new float[2 * n];
        var comp = new bool[n];
        var trans = new bool[n];
        var union = new bool[n];
        float t0 = Spec.MaskThreshold.Count > 0 ? Spec.MaskThreshold[0] : 0.5f;
        float t1 = Spec.MaskThreshold.Count > 1 ? Spec.MaskThreshold[1] : t0;
        int transCount = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int i = (r * cols) + c, g = (r * gridCols) + c;
                float p0 = blockProbs[g], p1 = blockProbs[plane + g];
                probs[i] = p0;
                probs[n + i] = p1;
                comp[i] = p0 >= t0;
                trans[i] = p1 >= t1;
                union[i] = comp[i] | trans[i];
                transCount += trans[i] ? 1 : 0;
            }
        }

        FrameClass cls = severity < Spec.SeverityThreshold
            ? FrameClass.Clean
            : (n > 0 && (double)transCount / n >= Spec.TransmissionMinFraction ? FrameClass.Transmission : FrameClass.Compression);
        return (cls,
            BlockMask.FromBools(BlockSize, rows, cols, union),
            BlockMask.FromBools(BlockSize, rows, cols, comp),
            BlockMask.FromBools(BlockSize, rows, cols, trans),
            probs);
    }
}
