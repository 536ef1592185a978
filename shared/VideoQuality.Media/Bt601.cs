namespace VideoQuality.Media;

/// <summary>
/// The one home for colour conversion: BT.601 limited range in 8-bit integer arithmetic, the coefficients ffmpeg's
/// swscale uses between rgb24 and yuv420p.
/// <list type="bullet">
/// <item>RGB to YUV: <c>Y = ((66 R + 129 G + 25 B + 128) &gt;&gt; 8) + 16</c>,
/// <c>U = ((-38 R - 74 G + 112 B + 128) &gt;&gt; 8) + 128</c>, <c>V = ((112 R - 94 G - 18 B + 128) &gt;&gt; 8) + 128</c>.
/// The detector was trained on video luma as stored (limited range), so RGB-based inputs (RGB24, BGR24, JPEG, PNG)
/// are brought to the same scale. 4:2:0 chroma is the rounded mean of each 2x2 pixel group (one rounding, on the
/// sums); at an odd right or bottom edge the last column/row is replicated, so a chroma plane is
/// <c>ceil(width/2) x ceil(height/2)</c>.</item>
/// <item>YUV to RGB: <c>C = Y - 16, D = U - 128, E = V - 128</c>; <c>R = (298 C + 409 E + 128) &gt;&gt; 8</c>,
/// <c>G = (298 C - 100 D - 208 E + 128) &gt;&gt; 8</c>, <c>B = (298 C + 516 D + 128) &gt;&gt; 8</c>, each clamped to
/// 0..255. Chroma is upsampled by replication (each sample covers its 2x2 pixels).</item>
/// </list>
/// The round trip RGB -> YUV -> RGB loses the chroma detail inside each 2x2 group and up to about one level to
/// quantisation (pure colours: black, white and greys come back exactly, pure red as (255, 1, 0)).
/// </summary>
public static class Bt601
{
    /// <summary>Size of a 4:2:0 chroma plane's side for a luma side of <paramref name="lumaSide"/> pixels.</summary>
    public static int ChromaSide(int lumaSide) => (lumaSide + 1) / 2;

    /// <summary>Luma of one pixel.</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)((((66 * r) + (129 * g) + (25 * b) + 128) >> 8) + 16);

    /// <summary>Chroma (U, V) of one pixel.</summary>
    public static (byte U, byte V) Chroma(byte r, byte g, byte b) => ChromaOfSums(4 * r, 4 * g, 4 * b);

    /// <summary>Converts <paramref name="width"/> pixels of <paramref name="order"/> to luma.</summary>
    public static void RowToLuma(ReadOnlySpan<byte> src, Span<byte> dst, int width, RgbOrder order)
    {
        int step = order.PixelBytes(), ri = order.RedIndex(), bi = 2 - ri;
        src = src[..(width * step)];
        dst = dst[..width];
        for (int x = 0, i = 0; x < dst.Length; x++, i += step)
        {
            dst[x] = Luma(src[i + ri], src[i + 1], src[i + bi]);
        }
    }

    /// <summary>
    /// Converts <paramref name="src"/> to planar YUV 4:2:0: <paramref name="y"/> is Width x Height, <paramref name="u"/> and
    /// <paramref name="v"/> are <see cref="ChromaSide"/>(Width) x <see cref="ChromaSide"/>(Height), all tightly packed.
    /// </summary>
    public static void ToYuv420(in RgbView src, Span<byte> y, Span<byte> u, Span<byte> v)
    {
        int w = src.Width;
        if (y.Length < w * src.Height)
        {
            throw new ArgumentException($"luma plane holds {y.Length} bytes, needs {w * src.Height}", nameof(y));
        }

        for (int row = 0; row < src.Height; row++)
        {
            RowToLuma(src.Row(row), y.Slice(row * w, w), w, src.Order);
        }

        ToChroma420(src, u, v);
    }

    /// <summary>The 4:2:0 chroma planes of <paramref name="src"/> (see <see cref="ToYuv420"/>).</summary>
    public static void ToChroma420(in RgbView src, Span<byte> u, Span<byte> v)
    {
        int w = src.Width, h = src.Height, cw = ChromaSide(w), ch = ChromaSide(h);
        int step = src.Order.PixelBytes(), ri = src.Order.RedIndex(), bi = 2 - ri;
        if (u.Length < cw * ch || v.Length < cw * ch)
        {
            throw new ArgumentException($"chroma planes hold {Math.Min(u.Length, v.Length)} bytes, need {cw * ch}");
        }

        for (int cy = 0; cy < ch; cy++)
        {
            var top = src.Row(2 * cy);
            var bottom = src.Row(Math.Min((2 * cy) + 1, h - 1));
            var uRow = u.Slice(cy * cw, cw);
            var vRow = v.Slice(cy * cw, cw);
            for (int cx = 0; cx < cw; cx++)
            {
                int a = 2 * cx * step, b = Math.Min((2 * cx) + 1, w - 1) * step;
                int sr = top[a + ri] + top[b + ri] + bottom[a + ri] + bottom[b + ri];
                int sg = top[a + 1] + top[b + 1] + bottom[a + 1] + bottom[b + 1];
                int sb = top[a + bi] + top[b + bi] + bottom[a + bi] + bottom[b + bi];
                (uRow[cx], vRow[cx]) = ChromaOfSums(sr, sg, sb);
            }
        }
    }

    /// <summary>RGB of one YUV sample, clamped to 0..255.</summary>
    public static (byte R, byte G, byte B) ToRgb(int y, int u, int v)
    {
        int c = 298 * (y - 16), d = u - 128, e = v - 128;
        return (Clamp((c + (409 * e) + 128) >> 8), Clamp((c - (100 * d) - (208 * e) + 128) >> 8), Clamp((c + (516 * d) + 128) >> 8));
    }

    /// <summary>
    /// The RGB change that a change of (<paramref name="dy"/>, <paramref name="du"/>, <paramref name="dv"/>) in YUV
    /// makes (the YUV -> RGB matrix is linear, so this is exact up to rounding); all zero for no change.
    /// </summary>
    public static (int R, int G, int B) Delta(int dy, int du, int dv)
    {
        int c = 298 * dy;
        return ((c + (409 * dv) + 128) >> 8, (c - (100 * du) - (208 * dv) + 128) >> 8, (c + (516 * du) + 128) >> 8);
    }

    /// <summary>
    /// Converts planar YUV 4:2:0 (<paramref name="u"/>/<paramref name="v"/> <see cref="ChromaSide"/>-sized and packed, or
    /// both empty for grey) to packed pixels of <paramref name="order"/> in <paramref name="dst"/> rows of
    /// <paramref name="dstStride"/> bytes. Alpha, for <see cref="RgbOrder.Rgba32"/>, is set to 255.
    /// </summary>
    public static void ToRgb(ReadOnlySpan<byte> y, ReadOnlySpan<byte> u, ReadOnlySpan<byte> v, int width, int height,
        Span<byte> dst, int dstStride, RgbOrder order)
    {
        int step = order.PixelBytes(), ri = order.RedIndex(), bi = 2 - ri, cw = ChromaSide(width);
        bool grey = u.IsEmpty;
        for (int row = 0; row < height; row++)
        {
            var yRow = y.Slice(row * width, width);
            var uRow = grey ? default : u.Slice((row / 2) * cw, cw);
            var vRow = grey ? default : v.Slice((row / 2) * cw, cw);
            var outRow = dst.Slice(row * dstStride, width * step);
            for (int x = 0, i = 0; x < yRow.Length; x++, i += step)
            {
                var (r, g, b) = grey ? ToRgb(yRow[x], 128, 128) : ToRgb(yRow[x], uRow[x >> 1], vRow[x >> 1]);
                outRow[i + ri] = r;
                outRow[i + 1] = g;
                outRow[i + bi] = b;
                if (step == 4)
                {
                    outRow[i + 3] = 255;
                }
            }
        }
    }

    /// <summary>
    /// Copies packed pixels from one order to another (channel swap, alpha dropped, or alpha 255 added); rows of
    /// <paramref name="dst"/> are <paramref name="dstStride"/> bytes apart.
    /// </summary>
    public static void Repack(in RgbView src, Span<byte> dst, int dstStride, RgbOrder order)
    {
        int w = src.Width, sStep = src.Order.PixelBytes(), sr = src.Order.RedIndex();
        int dStep = order.PixelBytes(), dr = order.RedIndex();
        for (int row = 0; row < src.Height; row++)
        {
            var s = src.Row(row);
            var d = dst.Slice(row * dstStride, w * dStep);
            if (src.Order == order)
            {
                s.CopyTo(d);
                continue;
            }

            for (int x = 0, i = 0, j = 0; x < w; x++, i += sStep, j += dStep)
            {
                d[j + dr] = s[i + sr];
                d[j + 1] = s[i + 1];
                d[j + 2 - dr] = s[i + 2 - sr];
                if (dStep == 4)
                {
                    d[j + 3] = sStep == 4 ? s[i + 3] : (byte)255;
                }
            }
        }
    }

    private static (byte U, byte V) ChromaOfSums(int r4, int g4, int b4) =>
        ((byte)((((-38 * r4) - (74 * g4) + (112 * b4) + 512) >> 10) + 128),
         (byte)((((112 * r4) - (94 * g4) - (18 * b4) + 512) >> 10) + 128));

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
