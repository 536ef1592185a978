namespace VideoQuality.Repair;

/// <summary>
/// Temporal concealment of transmission damage from the stream's previous repaired frame <c>P</c>, motion-compensated
/// to sub-pixel accuracy. A motion <c>m</c> maps a pixel <c>(x, y)</c> of the current frame to <c>P</c> at
/// <c>(x + vx(x, y), y + vy(x, y))</c> with the affine field
/// <code>
///   vx = X0 + Xx * x + Xy * y,    vy = Y0 + Yx * x + Yy * y        (a translation: Xx = Xy = Yx = Yy = 0)
/// </code>
/// and <c>P</c> is read there by bilinear interpolation on a 1/16-pel grid:
/// <code>
///   P(x + fx/16, y + fy/16) = ((16-fx)(16-fy) P[x,y] + fx(16-fy) P[x+1,y] + (16-fx) fy P[x,y+1] + fx fy P[x+1,y+1] + 128) >> 8
/// </code>
/// (coordinates clamped to the frame). Chroma (4:2:0) uses the luma field at the chroma sample's luma position
/// <c>(2cx + 0.5, 2cy + 0.5)</c>, halved.
/// <para>
/// Matching cost of <c>m</c> over a set of intact pixels S: <c>SAD(m) = sum over S of |cur(x, y) - P(x + vx, y + vy)|</c>.
/// </para>
/// <list type="number">
/// <item><b>Global motion</b> (<see cref="RepairOptions.GlobalMotion"/>): 16x16 blocks on a sparse grid (at most
/// <see cref="RepairOptions.GlobalMotionBlocks"/>) whose four 8x8 blocks are all unflagged and textured (mean
/// <c>|dI/dx| + |dI/dy|</c> at least <see cref="MinTexture"/>) each get a translation by block matching (below, S = the
/// block); the affine field is the least-squares fit of their vectors at the block centres, refitted twice on the
/// vectors within <c>max(0.25 px, 3 x median residual)</c> of the previous fit. Used when at least 6 blocks and half of
/// them remain; with too little spread in x or y the field is a translation (the mean vector).</item>
/// <item><b>Per hole tile</b> (whole flagged blocks, at most <see cref="RepairOptions.ConcealTileSide"/> px), S = the
/// intact pixels (of unflagged blocks) within <see cref="RepairOptions.MatchRing"/> px of the tile's rectangle. The
/// candidates, in order, a later one replacing the best only with a strictly lower SAD (so a static scene keeps the
/// co-located copy): the zero vector; the tile's own vector (integer search within
/// <see cref="RepairOptions.SearchRadius"/>: every even vector, smallest first, then the 8 neighbours of the best; then
/// refined to half- and quarter-pel over the 8 neighbours at each step, <see cref="RepairOptions.SubpelMotion"/>); the
/// global field; the vectors of already concealed adjacent blocks (<see cref="RepairOptions.NeighbourCandidates"/>:
/// motion carried through the damaged area). A tile with fewer than 8 intact pixels around it takes the global field,
/// else an adjacent tile's vector, else zero.</item>
/// <item>Only the tile's flagged blocks are written: luma and chroma warped by the chosen motion.</item>
/// <item>Cost: the integer search compares about <see cref="CoarsePixels"/> of S and the other comparisons about
/// <see cref="FinePixels"/> (larger sets are subsampled evenly).</item>
/// </list>
/// Scene cuts are detected by the mean absolute luma difference of the unflagged blocks (<see cref="UnflaggedMad"/>).
/// </summary>
internal static class TemporalConcealer
{
    /// <summary>Least mean <c>|dI/dx| + |dI/dy|</c> of a global-motion block (flat blocks give arbitrary vectors).</summary>
    private const int MinTexture = 4;

    /// <summary>Most pixels (about) the integer search compares per tile, and the sub-pixel and candidate comparisons:
    /// larger rings are subsampled evenly, which bounds the cost per tile. 256 / 512 against 384 / 1024: +2.35 against
    /// +2.38 dB on calib_vqbench with ground-truth masks, 3.2 against 3.4 ms a 640x360 frame with 10% flagged.</summary>
    private const int CoarsePixels = 256, FinePixels = 512;

    /// <summary>Pixels of a 16x16 global-motion block that compare sub-pixel vectors (every third): the fit averages
    /// over many blocks.</summary>
    private const int GlobalBlockFinePixels = 86;

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
        var global = o.GlobalMotion ? EstimateGlobal(cur, prev, flagged, rows, cols, o) : null;
        var tiles = TilePlanner.Plan(flagged, rows, cols, Math.Max(1, o.ConcealTileSide / 8), mergeGap: 0);
        var ring = new PixelSet(w);
        var concealed = new Motion?[rows * cols];
        var neighbours = new List<Motion>(8);
        foreach (var t in tiles)
        {
            int x0 = t.Col * 8, y0 = t.Row * 8, x1 = Math.Min(w, t.EndCol * 8), y1 = Math.Min(h, t.EndRow * 8);
            CollectIntact(flagged, cols, w, h, x0 - o.MatchRing, y0 - o.MatchRing, x1 + o.MatchRing, y1 + o.MatchRing, ring);
            CollectNeighbours(concealed, rows, cols, t, o.NeighbourCandidates ? 8 : 0, neighbours);
            var m = Choose(cur, prev, ring, global, neighbours, o);
            var at = m.At(x0 + ((x1 - x0) / 2.0), y0 + ((y1 - y0) / 2.0));
            for (int r = t.Row; r < t.EndRow; r++)
            {
                for (int c = t.Col; c < t.EndCol; c++)
                {
                    if (!flagged[(r * cols) + c])
                    {
                        continue;
                    }

                    int bx0 = c * 8, by0 = r * 8, bx1 = Math.Min(w, bx0 + 8), by1 = Math.Min(h, by0 + 8);
                    Warp(cur.Y, prev.Y, w, h, bx0, by0, bx1, by1, m, 1);
                    if (cur.U is not null && prev.U is not null)
                    {
                        int cw = cur.ChromaWidth, ch = cur.ChromaHeight, cx1 = Math.Min(cw, (bx1 + 1) / 2), cy1 = Math.Min(ch, (by1 + 1) / 2);
                        Warp(cur.U, prev.U, cw, ch, bx0 / 2, by0 / 2, cx1, cy1, m, 2);
                        Warp(cur.V!, prev.V!, cw, ch, bx0 / 2, by0 / 2, cx1, cy1, m, 2);
                    }

                    concealed[(r * cols) + c] = Motion.Shift(at.Vx, at.Vy);
                    blocks++;
                }
            }
        }

        return blocks;
    }

    /// <summary>The global affine field from intact textured blocks (class summary, step 1); null when too few agree.</summary>
    internal static Motion? EstimateGlobal(YuvImage cur, YuvImage prev, ReadOnlySpan<bool> flagged, int rows, int cols, RepairOptions o)
    {
        int w = cur.Width, h = cur.Height;
        int step = Math.Max(2, (int)Math.Ceiling(Math.Sqrt((double)rows * cols / Math.Max(1, o.GlobalMotionBlocks))));
        var pixels = new PixelSet(w);
        var samples = new List<(double X, double Y, double Vx, double Vy)>();
        for (int r = 1; r + 2 < rows; r += step)
        {
            for (int c = 1; c + 2 < cols; c += step)
            {
                int i = (r * cols) + c;
                if (flagged[i] || flagged[i + 1] || flagged[i + cols] || flagged[i + cols + 1] || (r + 2) * 8 > h || (c + 2) * 8 > w)
                {
                    continue;
                }

                long texture = 0;
                for (int y = r * 8; y < (r + 2) * 8; y++)
                {
                    for (int x = c * 8; x < (c + 2) * 8; x++)
                    {
                        int k = (y * w) + x;
                        texture += Math.Abs(cur.Y[k + 1] - cur.Y[k]) + Math.Abs(cur.Y[k + w] - cur.Y[k]);
                    }
                }

                if (texture < MinTexture * 256)
                {
                    continue;
                }

                pixels.Begin(256, GlobalBlockFinePixels);
                pixels.Add(c * 8, r * 8, (c + 2) * 8, (r + 2) * 8);

                var (vx16, vy16, _) = BestShift(cur, prev, pixels, o.SearchRadius, o.SubpelMotion);
                samples.Add(((c * 8) + 8, (r * 8) + 8, vx16 / 16.0, vy16 / 16.0));
            }
        }

        return Fit(samples);
    }

    /// <summary>Least-squares affine fit with two rounds of outlier rejection (class summary, step 1).</summary>
    internal static Motion? Fit(List<(double X, double Y, double Vx, double Vy)> samples)
    {
        int n = samples.Count;
        if (n < 6)
        {
            return null;
        }

        var inlier = new bool[n];
        Array.Fill(inlier, true);
        var residual = new double[n];
        Motion m = default;
        for (int round = 0; round < 3; round++)
        {
            double sx = 0, sy = 0, svx = 0, svy = 0;
            int k = 0;
            for (int i = 0; i < n; i++)
            {
                if (inlier[i])
                {
                    var s = samples[i];
                    (sx, sy, svx, svy, k) = (sx + s.X, sy + s.Y, svx + s.Vx, svy + s.Vy, k + 1);
                }
            }

            if (k < 6 || 2 * k < n)
            {
                return null;
            }

            // Centred normal equations: [suu suv; suv svv] [a1; a2] = [su*v; sv*v] for each component.
            double mx = sx / k, my = sy / k, mvx = svx / k, mvy = svy / k;
            double suu = 0, suv = 0, svv = 0, sux = 0, svx2 = 0, suy = 0, svy2 = 0;
            for (int i = 0; i < n; i++)
            {
                if (inlier[i])
                {
                    var s = samples[i];
                    double u = s.X - mx, v = s.Y - my, dx = s.Vx - mvx, dy = s.Vy - mvy;
                    suu += u * u;
                    suv += u * v;
                    svv += v * v;
                    sux += u * dx;
                    svx2 += v * dx;
                    suy += u * dy;
                    svy2 += v * dy;
                }
            }

            double det = (suu * svv) - (suv * suv);
            double xx = 0, xy = 0, yx = 0, yy = 0;
            if (det > 1e-6 * Math.Max(1, suu * svv) && suu > 0 && svv > 0)
            {
                xx = ((sux * svv) - (svx2 * suv)) / det;
                xy = ((svx2 * suu) - (sux * suv)) / det;
                yx = ((suy * svv) - (svy2 * suv)) / det;
                yy = ((svy2 * suu) - (suy * suv)) / det;
            }

            m = new Motion(mvx - (xx * mx) - (xy * my), xx, xy, mvy - (yx * mx) - (yy * my), yx, yy);
            if (round == 2)
            {
                break;
            }

            var kept = new List<double>(k);
            for (int i = 0; i < n; i++)
            {
                var s = samples[i];
                var (vx, vy) = m.At(s.X, s.Y);
                residual[i] = Math.Sqrt(((s.Vx - vx) * (s.Vx - vx)) + ((s.Vy - vy) * (s.Vy - vy)));
                if (inlier[i])
                {
                    kept.Add(residual[i]);
                }
            }

            kept.Sort();
            double limit = Math.Max(0.25, 3 * kept[kept.Count / 2]);
            for (int i = 0; i < n; i++)
            {
                inlier[i] = residual[i] <= limit;
            }
        }

        return m;
    }

    /// <summary>The tile's motion among the candidates (class summary, step 2).</summary>
    private static Motion Choose(YuvImage cur, YuvImage prev, PixelSet ring, Motion? global, List<Motion> neighbours, RepairOptions o)
    {
        if (ring.Count < 8)
        {
            return global ?? (neighbours.Count > 0 ? neighbours[0] : default);
        }

        var (vx16, vy16, best) = BestShift(cur, prev, ring, o.SearchRadius, o.SubpelMotion);
        var m = Motion.Shift(vx16 / 16.0, vy16 / 16.0);
        if (global is { } g)
        {
            long sad = Sad(cur, prev, ring, g, best);
            (m, best) = sad < best ? (g, sad) : (m, best);
        }

        foreach (var n in neighbours)
        {
            long sad = Sad(cur, prev, ring, n, best);
            (m, best) = sad < best ? (n, sad) : (m, best);
        }

        return m;
    }

    /// <summary>
    /// Best translation of <paramref name="pixels"/>: integer search within <paramref name="radius"/> on
    /// <see cref="PixelSet.Coarse"/>, first over the even vectors (zero first, then by increasing |dx| + |dy|), then the
    /// 8 neighbours of the best; then, with <paramref name="subpel"/>, the 8 neighbours at 1/2 and then 1/4 pel on
    /// <see cref="PixelSet.Fine"/>. Returns the vector in 1/16 pel and its SAD (on <see cref="PixelSet.Fine"/>).
    /// </summary>
    private static (int Vx16, int Vy16, long Sad) BestShift(YuvImage cur, YuvImage prev, PixelSet pixels, int radius, bool subpel)
    {
        long best = long.MaxValue;
        int bx = 0, by = 0, even = radius / 2;
        for (int d = 0; d <= 2 * even; d++)
        {
            for (int dy = -Math.Min(d, even); dy <= Math.Min(d, even); dy++)
            {
                int rest = d - Math.Abs(dy);
                for (int dx = -rest; rest <= even && dx <= rest; dx += Math.Max(1, 2 * rest))
                {
                    long sad = ShiftSad(cur, prev, pixels, pixels.Coarse, dx * 32, dy * 32, best);
                    if (sad < best)
                    {
                        (best, bx, by) = (sad, 2 * dx, 2 * dy);
                    }
                }
            }
        }

        (int vx16, int vy16, best) = Refine(cur, prev, pixels, pixels.Coarse, bx * 16, by * 16, 16, best, radius);
        best = ShiftSad(cur, prev, pixels, pixels.Fine, vx16, vy16, long.MaxValue);
        for (int step = 8; subpel && step >= 4; step /= 2)
        {
            (vx16, vy16, best) = Refine(cur, prev, pixels, pixels.Fine, vx16, vy16, step, best, radius);
        }

        return (vx16, vy16, best);
    }

    /// <summary>The best of (vx16, vy16) (SAD <paramref name="sad"/>) and its 8 neighbours <paramref name="step"/> / 16 px away within <paramref name="radius"/>.</summary>
    private static (int Vx16, int Vy16, long Sad) Refine(YuvImage cur, YuvImage prev, PixelSet pixels, List<int> subset, int vx16, int vy16, int step, long sad, int radius)
    {
        int cx = vx16, cy = vy16;
        for (int sy = -1; sy <= 1; sy++)
        {
            for (int sx = -1; sx <= 1; sx++)
            {
                int x = cx + (sx * step), y = cy + (sy * step);
                if ((sx == 0 && sy == 0) || Math.Abs(x) > radius * 16 || Math.Abs(y) > radius * 16)
                {
                    continue;
                }

                long s = ShiftSad(cur, prev, pixels, subset, x, y, sad);
                if (s < sad)
                {
                    (sad, vx16, vy16) = (s, x, y);
                }
            }
        }

        return (vx16, vy16, sad);
    }

    /// <summary>SAD of <paramref name="m"/> over <paramref name="pixels"/>, stopping once it reaches <paramref name="limit"/>.</summary>
    private static long Sad(YuvImage cur, YuvImage prev, PixelSet pixels, Motion m, long limit)
    {
        if (m.IsShift)
        {
            return ShiftSad(cur, prev, pixels, pixels.Fine, Fixed(m.X0), Fixed(m.Y0), limit);
        }

        int w = cur.Width, h = cur.Height;
        var c = cur.Y;
        var p = prev.Y;
        long sad = 0;
        foreach (int i in pixels.Fine)
        {
            int y = i / w, x = i - (y * w);
            var (vx, vy) = m.At(x, y);
            sad += Math.Abs(c[i] - Sample(p, w, h, Fixed(x + vx), Fixed(y + vy)));
            if (sad >= limit)
            {
                break;
            }
        }

        return sad;
    }

    /// <summary>SAD of the translation (<paramref name="vx16"/>, <paramref name="vy16"/>) / 16 px (bilinear) over <paramref name="subset"/> of
    /// <paramref name="pixels"/>, stopping at <paramref name="limit"/>.</summary>
    private static long ShiftSad(YuvImage cur, YuvImage prev, PixelSet pixels, List<int> subset, int vx16, int vy16, long limit)
    {
        int w = cur.Width, h = cur.Height;
        var c = cur.Y;
        var p = prev.Y;
        var index = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(subset);
        long sad = 0;
        int ix = vx16 >> 4, iy = vy16 >> 4, fx = vx16 & 15, fy = vy16 & 15;
        if (!pixels.Inside(ix, iy, w, h))
        {
            foreach (int i in index)
            {
                int y = i / w, x = i - (y * w);
                sad += Math.Abs(c[i] - Sample(p, w, h, (x * 16) + vx16, (y * 16) + vy16));
                if (sad >= limit)
                {
                    break;
                }
            }

            return sad;
        }

        // The same weights everywhere and no clamping: Sample's formula on offsets from the pixel's own index (a whole-pixel
        // shift reads one pixel).
        int off = (iy * w) + ix, w00 = (16 - fx) * (16 - fy), w01 = fx * (16 - fy), w10 = (16 - fx) * fy, w11 = fx * fy;
        if ((fx | fy) == 0)
        {
            for (int k = 0; k < index.Length; k++)
            {
                int i = index[k];
                sad += Math.Abs(c[i] - p[i + off]);
                if ((k & 15) == 15 && sad >= limit)
                {
                    break;
                }
            }

            return sad;
        }

        for (int k = 0; k < index.Length; k++)
        {
            int i = index[k], j = i + off;
            sad += Math.Abs(c[i] - (((w00 * p[j]) + (w01 * p[j + 1]) + (w10 * p[j + w]) + (w11 * p[j + w + 1]) + 128) >> 8));
            if ((k & 15) == 15 && sad >= limit)
            {
                break;
            }
        }

        return sad;
    }

    /// <summary>Writes <c>dst[x, y] = src(x + v, y + v)</c> over a rectangle of a plane subsampled by <paramref name="scale"/> (1 luma, 2 chroma).</summary>
    private static void Warp(byte[] dst, byte[] src, int w, int h, int x0, int y0, int x1, int y1, Motion m, int scale)
    {
        double half = (scale - 1) * 0.5;
        if (m.IsShift)
        {
            int vx16 = Fixed(m.X0 / scale), vy16 = Fixed(m.Y0 / scale);
            for (int y = y0; y < y1; y++)
            {
                for (int x = x0; x < x1; x++)
                {
                    dst[(y * w) + x] = (byte)Sample(src, w, h, (x * 16) + vx16, (y * 16) + vy16);
                }
            }

            return;
        }

        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                var (vx, vy) = m.At((scale * x) + half, (scale * y) + half);
                dst[(y * w) + x] = (byte)Sample(src, w, h, Fixed(x + (vx / scale)), Fixed(y + (vy / scale)));
            }
        }
    }

    /// <summary>Bilinear sample at (x16 / 16, y16 / 16), coordinates clamped to the plane (class summary).</summary>
    private static int Sample(byte[] p, int w, int h, int x16, int y16)
    {
        int ix = x16 >> 4, iy = y16 >> 4, fx = x16 & 15, fy = y16 & 15;
        int xa = Math.Clamp(ix, 0, w - 1), xb = Math.Clamp(ix + 1, 0, w - 1);
        int ra = Math.Clamp(iy, 0, h - 1) * w, rb = Math.Clamp(iy + 1, 0, h - 1) * w;
        return (((16 - fx) * (16 - fy) * p[ra + xa]) + (fx * (16 - fy) * p[ra + xb]) + ((16 - fx) * fy * p[rb + xa]) + (fx * fy * p[rb + xb]) + 128) >> 8;
    }

    private static int Fixed(double v) => (int)Math.Floor((v * 16) + 0.5);

    /// <summary>The luma pixels of unflagged blocks in the rectangle [x0, x1) x [y0, y1) (clipped to the frame).</summary>
    private static void CollectIntact(ReadOnlySpan<bool> flagged, int cols, int w, int h, int x0, int y0, int x1, int y1, PixelSet pixels)
    {
        (x0, y0, x1, y1) = (Math.Max(0, x0), Math.Max(0, y0), Math.Min(w, x1), Math.Min(h, y1));
        for (int pass = 0, count = 0; pass < 2; pass++)
        {
            pixels.Begin(count); // pass 0 counts, pass 1 adds
            for (int by = y0 / 8 * 8; by < y1; by += 8)
            {
                for (int bx = x0 / 8 * 8; bx < x1; bx += 8)
                {
                    if (!flagged[((by / 8) * cols) + (bx / 8)])
                    {
                        int ax0 = Math.Max(x0, bx), ay0 = Math.Max(y0, by), ax1 = Math.Min(x1, bx + 8), ay1 = Math.Min(y1, by + 8);
                        if (pass == 0)
                        {
                            count += (ax1 - ax0) * (ay1 - ay0);
                        }
                        else
                        {
                            pixels.Add(ax0, ay0, ax1, ay1);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The distinct motions of concealed blocks next to the tile (above, below, left, right), at most <paramref name="max"/>.</summary>
    private static void CollectNeighbours(Motion?[] concealed, int rows, int cols, BlockRect t, int max, List<Motion> found)
    {
        found.Clear();
        for (int r = t.Row - 1; r <= t.EndRow && found.Count < max; r++)
        {
            for (int c = t.Col - 1; c <= t.EndCol && found.Count < max; c++)
            {
                bool edge = (r == t.Row - 1 || r == t.EndRow) != (c == t.Col - 1 || c == t.EndCol);
                if (edge && r >= 0 && r < rows && c >= 0 && c < cols && concealed[(r * cols) + c] is { } m && !found.Contains(m))
                {
                    found.Add(m);
                }
            }
        }
    }

    /// <summary>Luma pixel indices with their bounding box (shifts that keep the box inside the frame need no clamping).</summary>
    private sealed class PixelSet(int width)
    {
        private int _coarseStep, _fineStep, _toCoarse, _toFine;

        /// <summary>About <see cref="CoarsePixels"/> of the pixels, evenly spread (every k-th in the order added, k odd and
        /// at least 3): the integer search's pixels.</summary>
        public List<int> Coarse { get; } = new(CoarsePixels + 64);

        /// <summary>About <see cref="FinePixels"/> of the pixels (every k-th, k odd): the pixels that compare sub-pixel and
        /// candidate motions.</summary>
        public List<int> Fine { get; } = new(FinePixels + 64);

        /// <summary>Pixels added (all of them, not only those kept).</summary>
        public int Count { get; private set; }

        public int MinX { get; private set; }

        public int MinY { get; private set; }

        public int MaxX { get; private set; }

        public int MaxY { get; private set; }

        /// <summary>Starts a set of <paramref name="expected"/> pixels (which sets the subsampling steps); <see cref="Fine"/>
        /// keeps about <paramref name="fine"/> of them.</summary>
        public void Begin(int expected, int fine = FinePixels)
        {
            Coarse.Clear();
            Fine.Clear();
            Count = 0;
            (_coarseStep, _fineStep) = (Math.Max(3, (expected / CoarsePixels) | 1), (expected / fine) | 1);
            (_toCoarse, _toFine) = (1, 1);
            (MinX, MinY, MaxX, MaxY) = (int.MaxValue, int.MaxValue, int.MinValue, int.MinValue);
        }

        /// <summary>Adds the pixels of the rectangle [x0, x1) x [y0, y1).</summary>
        public void Add(int x0, int y0, int x1, int y1)
        {
            for (int y = y0; y < y1; y++)
            {
                for (int x = x0; x < x1; x++)
                {
                    if (--_toCoarse == 0)
                    {
                        Coarse.Add((y * width) + x);
                        _toCoarse = _coarseStep;
                    }

                    if (--_toFine == 0)
                    {
                        Fine.Add((y * width) + x);
                        _toFine = _fineStep;
                    }
                }
            }

            Count += (x1 - x0) * (y1 - y0);
            (MinX, MinY, MaxX, MaxY) = (Math.Min(MinX, x0), Math.Min(MinY, y0), Math.Max(MaxX, x1 - 1), Math.Max(MaxY, y1 - 1));
        }

        /// <summary>Whether every pixel shifted by (dx, dy) and (dx + 1, dy + 1) lies inside a w x h plane.</summary>
        public bool Inside(int dx, int dy, int w, int h) => MinX + dx >= 0 && MaxX + dx + 1 < w && MinY + dy >= 0 && MaxY + dy + 1 < h;
    }

    /// <summary>An affine motion field in pixels: <c>vx = X0 + Xx x + Xy y</c>, <c>vy = Y0 + Yx x + Yy y</c> (class summary).</summary>
    internal readonly record struct Motion(double X0, double Xx, double Xy, double Y0, double Yx, double Yy)
    {
        public bool IsShift => Xx == 0 && Xy == 0 && Yx == 0 && Yy == 0;

        public static Motion Shift(double vx, double vy) => new(vx, 0, 0, vy, 0, 0);

        public (double Vx, double Vy) At(double x, double y) => (X0 + (Xx * x) + (Xy * y), Y0 + (Yx * x) + (Yy * y));
    }
}
