using VideoQuality.Media;

namespace VideoQuality.Detection;

/// <summary>
/// Luma plane -> model input: value = Y/255, padded right and bottom to the model stride by edge replication
/// (the last column/row is repeated). One pass, written straight into the model's input buffer.
/// </summary>
public static class LumaTensor
{
    // value = Y/255 exactly as the training side computes it (uint8 / 255.0, then float32).
    private static readonly float[] Scaled = Enumerable.Range(0, 256).Select(i => (float)(i / 255.0)).ToArray();

    /// <summary><paramref name="size"/> rounded up to a multiple of <paramref name="stride"/>.</summary>
    public static int PadTo(int size, int stride) => (size + stride - 1) / stride * stride;

    /// <summary>Writes <paramref name="luma"/> into <paramref name="dest"/> (paddedHeight x paddedWidth, row-major).</summary>
    public static void Write(in PlaneView luma, Span<float> dest, int paddedWidth, int paddedHeight)
    {
        int w = luma.Width, h = luma.Height;
        if (paddedWidth < w || paddedHeight < h || dest.Length < paddedWidth * paddedHeight)
        {
            throw new ArgumentException("destination is smaller than the plane");
        }

        var src = luma.Data.Span;
        for (int y = 0; y < h; y++)
        {
            var row = src.Slice(y * luma.Stride, w);
            var d = dest.Slice(y * paddedWidth, paddedWidth);
            for (int x = 0; x < row.Length; x++)
            {
                d[x] = Scaled[row[x]];
            }

            d[w..].Fill(d[w - 1]);
        }

        var last = dest.Slice((h - 1) * paddedWidth, paddedWidth);
        for (int y = h; y < paddedHeight; y++)
        {
            last.CopyTo(dest.Slice(y * paddedWidth, paddedWidth));
        }
    }
}
