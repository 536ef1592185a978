namespace VideoQuality.Detection;

/// <summary>A flagged area in pixels of the original frame.</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width (clipped to the frame).</param>
/// <param name="Height">Height (clipped to the frame).</param>
/// <param name="Blocks">Flagged blocks in the group.</param>
/// <param name="Class">Transmission if any block of the group is a transmission block, else compression.</param>
/// <param name="Score">Mean of max(compression, transmission) probability over the group's blocks.</param>
public readonly record struct Region(int X, int Y, int Width, int Height, int Blocks, FrameClass Class, float Score);

/// <summary>
/// Merges flagged blocks into rectangles: each 4-connected group of flagged blocks becomes its bounding box
/// in pixels, clipped to the frame. Groups are reported in raster order of their first block.
/// </summary>
public static class RegionMerger
{
    /// <summary>
    /// Merges <paramref name="union"/> into regions. <paramref name="transmission"/> (same grid) decides each
    /// region's class; <paramref name="probabilities"/> (2*rows*cols: compression plane then transmission
    /// plane, may be empty) gives the score.
    /// </summary>
    public static List<Region> Merge(BlockMask union, BlockMask? transmission, ReadOnlySpan<float> probabilities, int frameWidth, int frameHeight)
    {
        int rows = union.Rows, cols = union.Cols, n = rows * cols, bs = union.BlockSize;
        var regions = new List<Region>();
        if (union.Flagged == 0)
        {
            return regions;
        }

        var seen = new bool[n];
        var queue = new int[n];
        for (int start = 0; start < n; start++)
        {
            if (seen[start] || !MaskCodec.Get(union.Bits, start))
            {
                continue;
            }

            int head = 0, tail = 0, r0 = int.MaxValue, r1 = -1, c0 = int.MaxValue, c1 = -1, count = 0;
            bool trans = false;
            double score = 0;
            queue[tail++] = start;
            seen[start] = true;
            while (head < tail)
            {
                int i = queue[head++];
                int r = i / cols, c = i % cols;
                count++;
                (r0, r1, c0, c1) = (Math.Min(r0, r), Math.Max(r1, r), Math.Min(c0, c), Math.Max(c1, c));
                trans |= transmission is not null && MaskCodec.Get(transmission.Bits, i);
                if (probabilities.Length >= 2 * n)
                {
                    score += Math.Max(probabilities[i], probabilities[n + i]);
                }

                Visit(r - 1, c);
                Visit(r + 1, c);
                Visit(r, c - 1);
                Visit(r, c + 1);
            }

            int x = c0 * bs, y = r0 * bs;
            regions.Add(new Region(
                x, y,
                Math.Min((c1 + 1) * bs, frameWidth) - x,
                Math.Min((r1 + 1) * bs, frameHeight) - y,
                count,
                trans ? FrameClass.Transmission : FrameClass.Compression,
                probabilities.Length >= 2 * n ? (float)(score / count) : 0f));

            void Visit(int r, int c)
            {
                if (r < 0 || c < 0 || r >= rows || c >= cols)
                {
                    return;
                }

                int j = (r * cols) + c;
                if (!seen[j] && MaskCodec.Get(union.Bits, j))
                {
                    seen[j] = true;
                    queue[tail++] = j;
                }
            }
        }

        return regions;
    }
}
