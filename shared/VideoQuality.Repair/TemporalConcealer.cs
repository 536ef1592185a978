namespace VideoQuality.Repair;

/// <summary>
/// Temporal concealment of transmission damage from the stream's previous repaired frame. Each hole tile (whole
/// flagged blocks, at most <see cref="RepairOptions.ConcealTileSide"/> px) gets one motion vector, found by block
/// matching: the ring of intact pixels around the hole (<see cref="RepairOptions.MatchRing"/> px wide, only pixels
/// of unflagged blocks) is compared (sum of absolute differences) with the previous frame shifted by every
/// (dx, dy) within <see cref="RepairOptions.SearchRadius"/>; the best shift (ties go to the smallest one, so a
/// static scene gets the co-located copy) is used to copy luma, and the halved shift to copy chroma.
/// Scene cuts are detected by the mean absolute luma difference of the unflagged blocks.
/// </summary>
internal static class TemporalConcealer
{
    /// <summary>Mean absolute luma difference over unflagged blocks (every second pixel of every second row).</summary>
    public static double UnflaggedMad(YuvImage cur, YuvImage prev, ReadOnlySpan<bool> flagged, int cols)
    {
        long sum = 0, n = 0;
        int w = cur.Width, h = cur.Height;
        for (int y = 0; y < h; y += 2)
        {
            int row = (y / 8) * cols;
            for (int x = 0; x < w; x += 2)
            {
                if (!flagged[row + (x / 8)])
                {
                    sum += Math.Abs(cur.Y[(y * w) + x] - prev.Y[(y * w) + x]);
                    n++;
                }
            }
        }

        return n == 0 ? double.PositiveInfinity : (double)sum / n;
    }

    /// <summary>Conceals every flagged block; returns the number of blocks replaced.</summary>
    public static int Conceal(YuvImage cur, YuvImage prev, ReadOnlySpan<bool> flagged, int rows, int cols, RepairOptions o)
    {
        int w = cur.Width, h = cur.Height, blocks = 0;
        var tiles = TilePlanner.Plan(flagged, rows, cols, Math.Max(1, o.ConcealTileSide / 8), mergeGap: 0);
        var ring = new List<int>(1024);
        foreach (var t in tiles)
        {
            int x0 = t.Col * 8, y0 = t.Row * 8, x1 = Math.Min(w, t.EndCol * 8), y1 = Math.Min(h, t.EndRow * 8);
            CollectRing(flagged, cols, w, h, x0, y0, x1, y1, o.MatchRing, ring);
            var (dx, dy) = ring.Count >= 8 ? Search(cur, prev, ring, o.SearchRadius) : (0, 0);
            CopyShifted(cur.Y, prev.Y, w, h, x0, y0, x1, y1, dx, dy);
            if (cur.U is not null && prev.U is not null)
            {
                int cw = cur.ChromaWidth, ch = cur.ChromaHeight;
                int cdx = (int)Math.Round(dx / 2.0, MidpointRounding.AwayFromZero), cdy = (int)Math.Round(dy / 2.0, MidpointRounding.AwayFromZero);
                int cx1 = Math.Min(cw, (x1 + 1) / 2), cy1 = Math.Min(ch, (y1 + 1) / 2);
                CopyShifted(cur.U, prev.U, cw, ch, x0 / 2, y0 / 2, cx1, cy1, cdx, cdy);
                CopyShifted(cur.V!, prev.V!, cw, ch, x0 / 2, y0 / 2, cx1, cy1, cdx, cdy);
            }

            for (int r = t.Row; r < t.EndRow; r++)
            {
                for (int c = t.Col; c < t.EndCol; c++)
                {
                    blocks += flagged[(r * cols) + c] ? 1 : 0;
                }
            }
        }

        return blocks;
    }

    private static void CollectRing(ReadOnlySpan<bool> flagged, int cols, int w, int h, int x0, int y0, int x1, int y1, int width, List<int> ring)
    {
        ring.Clear();
        for (int y = Math.Max(0, y0 - width); y < Math.Min(h, y1 + width); y++)
        {
            bool insideRows = y >= y0 && y < y1;
            for (int x = Math.Max(0, x0 - width); x < Math.Min(w, x1 + width); x++)
            {
                if (insideRows && x >= x0 && x < x1)
                {
                    x = x1 - 1; // skip the hole itself
                    continue;
                }

                if (!flagged[((y / 8) * cols) + (x / 8)])
                {
                    ring.Add((y * w) + x);
                }
            }
        }
    }

    private static (int Dx, int Dy) Search(YuvImage cur, YuvImage prev, List<int> ring, int radius)
    {
        int w = cur.Width, h = cur.Height;
        var c = cur.Y;
        var p = prev.Y;
        long best = long.MaxValue;
        (int, int) mv = (0, 0);
        // Candidates in order of increasing |dx|+|dy| so that, with strict improvement, ties keep the smaller shift.
        for (int d = 0; d <= 2 * radius; d++)
        {
            for (int dy = -Math.Min(d, radius); dy <= Math.Min(d, radius); dy++)
            {
                int rest = d - Math.Abs(dy);
                if (rest > radius)
                {
                    continue;
                }

                int[] dxs = rest == 0 ? [0] : [-rest, rest];
                foreach (int dx in dxs)
                {
                    long sad = 0;
                    foreach (int i in ring)
                    {
                        int y = i / w, x = i - (y * w);
                        int sy = Math.Clamp(y + dy, 0, h - 1), sx = Math.Clamp(x + dx, 0, w - 1);
                        sad += Math.Abs(c[i] - p[(sy * w) + sx]);
                        if (sad >= best)
                        {
                            break;
                        }
                    }

                    if (sad < best)
                    {
                        (best, mv) = (sad, (dx, dy));
                    }
                }
            }
        }

        return mv;
    }

    private static void CopyShifted(byte[] dst, byte[] src, int w, int h, int x0, int y0, int x1, int y1, int dx, int dy)
    {
        for (int y = y0; y < y1; y++)
        {
            int sy = Math.Clamp(y + dy, 0, h - 1);
            for (int x = x0; x < x1; x++)
            {
                dst[(y * w) + x] = src[(sy * w) + Math.Clamp(x + dx, 0, w - 1)];
            }
        }
    }
}
