using VideoQuality.Inference;

namespace VideoQuality.Detection;

/// <summary>
/// The post-processing of docs/MODEL_CONTRACT.md (identical to training/vqtrain/postprocess.py):
/// comp = p0 &gt;= t0, trans = p1 &gt;= t1, mask = comp | trans; with <c>block_fraction_alarm</c> f0 the frame severity
/// is max(model severity, q), q = 0.5 * frac / f0 below f0 and 0.5 + 0.5 * (frac - f0) / (1 - f0) from f0 on, where
/// frac is the share of the frame's blocks in the mask (a frame whose mask covers f0 of its blocks is flagged even
/// when the frame head scores it lower); class clean if severity &lt; ts, else transmission if mean(trans) &gt;=
/// transmission_min_fraction, else compression.
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
    public PostprocessResult Apply(
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
        int transCount = 0, unionCount = 0;
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
                unionCount += union[i] ? 1 : 0;
            }
        }

        severity = Fuse(severity, n > 0 ? (double)unionCount / n : 0, Spec.BlockFractionAlarm);
        FrameClass cls = severity < Spec.SeverityThreshold
            ? FrameClass.Clean
            : (n > 0 && (double)transCount / n >= Spec.TransmissionMinFraction ? FrameClass.Transmission : FrameClass.Compression);
        return new PostprocessResult(severity, cls,
            BlockMask.FromBools(BlockSize, rows, cols, union),
            BlockMask.FromBools(BlockSize, rows, cols, comp),
            BlockMask.FromBools(BlockSize, rows, cols, trans),
            probs);
    }

    /// <summary>The frame severity from the model's severity and the mask's share of blocks (see the class summary);
    /// the model's severity when <paramref name="alarmFraction"/> is null.</summary>
    public static float Fuse(float severity, double fraction, double? alarmFraction)
    {
        if (alarmFraction is not { } f0)
        {
            return severity;
        }

        double q = fraction < f0 ? 0.5 * fraction / f0 : 0.5 + (0.5 * (fraction - f0) / Math.Max(1e-9, 1 - f0));
        return Math.Max(severity, (float)Math.Min(1.0, q));
    }
}

/// <summary>What <see cref="DetectorPostprocessor.Apply"/> makes of one frame's model outputs.</summary>
/// <param name="Severity">The frame severity (the model's, fused with the mask's share of blocks).</param>
/// <param name="Class">The frame class.</param>
/// <param name="Mask">Compression OR transmission blocks.</param>
/// <param name="CompressionMask">Compression blocks.</param>
/// <param name="TransmissionMask">Transmission blocks.</param>
/// <param name="BlockProbabilities">The cropped block probabilities: compression plane then transmission plane.</param>
public readonly record struct PostprocessResult(float Severity, FrameClass Class, BlockMask Mask, BlockMask CompressionMask,
    BlockMask TransmissionMask, float[] BlockProbabilities);
