namespace VideoQuality.Repair;

/// <summary>
/// <see cref="ChromaRepair.Deblock"/>: a weak deblocking filter on the 8x8 block edges of the half-resolution
/// chroma planes, applied only where the co-located luma block is in the model's repair region. For an edge
/// p1 p0 | q0 q1 with a small step (|p0-q0| &lt; T, |p1-p0| and |q1-q0| &lt; T/2) the H.264 chroma delta
/// ((q0-p0)*4 + (p1-q1) + 4) >> 3, clipped to T/2, moves p0 and q0 towards each other; a larger step is a real
/// colour edge and stays.
/// </summary>
internal static class ChromaDeblock
{
    public static void Apply(YuvImage img, ReadOnlySpan<bool> region, int cols, int threshold)
    {
        if (img.U is null)
        {
            return;
        }

        Filter(img.U, img.ChromaWidth, img.ChromaHeight, region, cols, threshold);
        Filter(img.V!, img.ChromaWidth, img.ChromaHeight, region, cols, threshold);
    }

    private static void Filter(byte[] plane, int w, int h, ReadOnlySpan<bool> region, int cols, int t)
    {
        // Chroma sample (x, y) lies in luma block (y*2/8, x*2/8) = (y/4, x/4).
        for (int y = 0; y < h; y++)
        {
            int row = (y / 4) * cols;
            for (int x = 8; x + 1 < w; x += 8)
            {
                if (region[row + ((x - 1) / 4)] || region[row + (x / 4)])
                {
                    Edge(plane, (y * w) + x, 1, t);
                }
            }
        }

        for (int y = 8; y + 1 < h; y += 8)
        {
            int rowAbove = ((y - 1) / 4) * cols, rowBelow = (y / 4) * cols;
            for (int x = 0; x < w; x++)
            {
                if (region[rowAbove + (x / 4)] || region[rowBelow + (x / 4)])
                {
                    Edge(plane, (y * w) + x, w, t);
                }
            }
        }
    }

    private static void Edge(byte[] p, int q0Index, int step, int t)
    {
        int p1 = p[q0Index - (2 * step)], p0 = p[q0Index - step], q0 = p[q0Index], q1 = p[q0Index + step];
        if (Math.Abs(p0 - q0) >= t || Math.Abs(p1 - p0) >= t / 2 || Math.Abs(q1 - q0) >= t / 2)
        {
            return;
        }

        int tc = Math.Max(1, t / 2);
        int delta = Math.Clamp((((q0 - p0) * 4) + (p1 - q1) + 4) >> 3, -tc, tc);
        p[q0Index - step] = (byte)Math.Clamp(p0 + delta, 0, 255);
        p[q0Index] = (byte)Math.Clamp(q0 - delta, 0, 255);
    }
}
