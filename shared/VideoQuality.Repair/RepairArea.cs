using System.Buffers;

namespace VideoQuality.Repair;

/// <summary>
/// The pixels the enhancer model writes: its blocks grown by a ring of pixels (both sides of each flagged block
/// edge), minus blocks that keep what they have (concealed ones), and the fade-in at the edge of that area, where
/// model output is blended with the frame over <c>ramp</c> pixels so no new edge appears. Frame borders do not count
/// as an edge.
/// </summary>
internal static class RepairArea
{
    /// <summary>Marks (1) every pixel of <paramref name="blocks"/> grown by <paramref name="ring"/> px, then unmarks
    /// the pixels of <paramref name="keep"/> blocks. <paramref name="mask"/> holds at least <c>width * height</c> bytes.</summary>
    public static void Fill(Span<byte> mask, int width, int height, ReadOnlySpan<bool> blocks, ReadOnlySpan<bool> keep, int rows, int cols, int ring)
    {
        mask[..(width * height)].Clear();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int i = (r * cols) + c;
                if (blocks[i] && (keep.IsEmpty || !keep[i]))
                {
                    Set(mask, width, height, (c * 8) - ring, (r * 8) - ring, (c * 8) + 8 + ring, (r * 8) + 8 + ring, 1);
                }
            }
        }

        for (int i = 0; i < keep.Length; i++)
        {
            if (keep[i])
            {
                int r = i / cols, c = i % cols;
                Set(mask, width, height, c * 8, r * 8, (c * 8) + 8, (r * 8) + 8, 0);
            }
        }
    }

    /// <summary>
    /// Writes the model output <paramref name="restored"/> (a tile whose top-left pixel is <c>(x0, y0)</c>, row length
    /// <paramref name="tileStride"/>) into <paramref name="luma"/> on the marked pixels of the rectangle
    /// <c>[wx0, wx1) x [wy0, wy1)</c>: fully where the nearest unmarked pixel (Chebyshev distance) is more than
    /// <paramref name="ramp"/> px away, blended in proportion to that distance closer to it.
    /// </summary>
    public static void Write(Span<byte> luma, int width, int height, ReadOnlySpan<byte> mask, ReadOnlySpan<float> restored, int tileStride,
        int x0, int y0, int wx0, int wy0, int wx1, int wy1, int ramp)
    {
        int reach = ramp + 1;
        // Horizontal distance to the nearest unmarked pixel (capped at reach), over the rectangle grown by reach.
        int hx0 = Math.Max(0, wx0 - reach), hx1 = Math.Min(width, wx1 + reach);
        int hy0 = Math.Max(0, wy0 - reach), hy1 = Math.Min(height, wy1 + reach);
        int hw = hx1 - hx0;
        var hd = ArrayPool<byte>.Shared.Rent(hw * (hy1 - hy0));
        try
        {
            if (ramp > 0)
            {
                for (int y = hy0; y < hy1; y++)
                {
                    RowDistance(mask.Slice((y * width) + hx0, hw), hd.AsSpan((y - hy0) * hw, hw), reach);
                }
            }

            for (int y = wy0; y < wy1; y++)
            {
                var outRow = restored.Slice((y - y0) * tileStride);
                for (int x = wx0; x < wx1; x++)
                {
                    int i = (y * width) + x;
                    if (mask[i] == 0)
                    {
                        continue;
                    }

                    int d = reach;
                    for (int dy = 1 - reach; ramp > 0 && dy < reach && d > 1; dy++)
                    {
                        int yy = y + dy;
                        if (yy >= hy0 && yy < hy1)
                        {
                            d = Math.Min(d, Math.Max(Math.Abs(dy), hd[((yy - hy0) * hw) + x - hx0]));
                        }
                    }

                    byte value = (byte)Math.Clamp(MathF.Round(outRow[x - x0] * 255f), 0f, 255f);
                    int e = d - 1; // 0 = next to an unmarked pixel
                    if (e >= ramp)
                    {
                        luma[i] = value;
                    }
                    else
                    {
                        int orig = luma[i];
                        luma[i] = (byte)(orig + ((((value - orig) * (e + 1)) + (Math.Sign(value - orig) * (ramp + 1) / 2)) / (ramp + 1)));
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(hd);
        }
    }

    /// <summary>Per pixel of a mask row: distance to the nearest unmarked pixel of the row (0 on one), capped at <paramref name="cap"/>.</summary>
    private static void RowDistance(ReadOnlySpan<byte> row, Span<byte> dist, int cap)
    {
        int last = -cap;
        for (int x = 0; x < row.Length; x++)
        {
            if (row[x] == 0)
            {
                last = x;
            }

            dist[x] = (byte)Math.Min(cap, x - last);
        }

        last = row.Length + cap;
        for (int x = row.Length - 1; x >= 0; x--)
        {
            if (row[x] == 0)
            {
                last = x;
            }

            dist[x] = (byte)Math.Min(dist[x], Math.Min(cap, last - x));
        }
    }

    private static void Set(Span<byte> mask, int width, int height, int x0, int y0, int x1, int y1, byte value)
    {
        x0 = Math.Max(0, x0);
        y0 = Math.Max(0, y0);
        x1 = Math.Min(width, x1);
        y1 = Math.Min(height, y1);
        for (int y = y0; y < y1; y++)
        {
            mask.Slice((y * width) + x0, x1 - x0).Fill(value);
        }
    }
}
