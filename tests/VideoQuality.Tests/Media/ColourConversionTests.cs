using VideoQuality.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Media;

/// <summary>Bt601: RGB to YUV 4:2:0 and back (exact values, odd sizes, strides, round-trip error, ffmpeg parity).</summary>
public class ColourConversionTests
{
    /// <summary>Smooth RGB content: slow gradients in every channel (at most ~2 levels per pixel).</summary>
    internal static byte[] SmoothRgb(int w, int h)
    {
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = ((y * w) + x) * 3;
                px[i] = (byte)(128 + (100 * Math.Sin((x + (2 * y)) / 40.0)));
                px[i + 1] = (byte)(128 + (90 * Math.Cos((x - y) / 50.0)));
                px[i + 2] = (byte)(40 + ((x + y) * 170 / (w + h)));
            }
        }

        return px;
    }

    /// <summary>Tightly packed I420 bytes converted to RGB24 by <see cref="Bt601.ToRgb(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, int, int, Span{byte}, int, RgbOrder)"/>.</summary>
    internal static byte[] I420ToRgb(byte[] yuv, int w, int h)
    {
        int n = w * h, c = n / 4;
        var rgb = new byte[n * 3];
        Bt601.ToRgb(yuv.AsSpan(0, n), yuv.AsSpan(n, c), yuv.AsSpan(n + c, c), w, h, rgb, w * 3, RgbOrder.Rgb24);
        return rgb;
    }

    /// <summary>Packed 3-byte pixels with the first and third channel swapped (RGB24 &lt;-&gt; BGR24).</summary>
    internal static byte[] Swap(byte[] px)
    {
        var o = (byte[])px.Clone();
        for (int i = 0; i < o.Length; i += 3)
        {
            (o[i], o[i + 2]) = (o[i + 2], o[i]);
        }

        return o;
    }

    private static (byte[] Y, byte[] U, byte[] V) ToYuv(byte[] px, int w, int h, int stride = 0, RgbOrder order = RgbOrder.Rgb24)
    {
        int cw = Bt601.ChromaSide(w), ch = Bt601.ChromaSide(h);
        var (y, u, v) = (new byte[w * h], new byte[cw * ch], new byte[cw * ch]);
        Bt601.ToYuv420(new RgbView(px, w, h, stride == 0 ? w * order.PixelBytes() : stride, order), y, u, v);
        return (y, u, v);
    }

    private static byte[] ToRgb(byte[] y, byte[] u, byte[] v, int w, int h, RgbOrder order = RgbOrder.Rgb24)
    {
        var dst = new byte[w * h * order.PixelBytes()];
        Bt601.ToRgb(y, u, v, w, h, dst, w * order.PixelBytes(), order);
        return dst;
    }

    [Theory]
    [InlineData(0, 0, 0, 16, 128, 128, 0, 0, 0)]
    [InlineData(255, 255, 255, 235, 128, 128, 255, 255, 255)]
    [InlineData(128, 128, 128, 126, 128, 128, 128, 128, 128)]
    [InlineData(255, 0, 0, 82, 90, 240, 255, 1, 0)]
    [InlineData(0, 255, 0, 144, 54, 34, 0, 254, 0)]
    [InlineData(0, 0, 255, 41, 240, 110, 0, 0, 255)]
    public void Pure_colours_convert_to_known_values_and_back(int r, int g, int b, int ey, int eu, int ev, int br, int bg, int bb)
    {
        int w = 4, h = 2;
        var px = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++)
        {
            (px[i * 3], px[(i * 3) + 1], px[(i * 3) + 2]) = ((byte)r, (byte)g, (byte)b);
        }

        var (y, u, v) = ToYuv(px, w, h);
        Assert.All(y, s => Assert.Equal(ey, s));
        Assert.All(u, s => Assert.Equal(eu, s));
        Assert.All(v, s => Assert.Equal(ev, s));
        Assert.Equal(((byte)eu, (byte)ev), Bt601.Chroma((byte)r, (byte)g, (byte)b));
        var back = ToRgb(y, u, v, w, h);
        for (int i = 0; i < w * h; i++)
        {
            Assert.Equal((br, bg, bb), (back[i * 3], back[(i * 3) + 1], back[(i * 3) + 2]));
        }
    }

    [Fact]
    public void Pure_colours_match_ffmpeg_rgb24_to_yuv420p_within_one_level()
    {
        int w = 16, h = 2;
        byte[][] colours = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 120, 40], [30, 60, 220], [128, 128, 128]];
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                colours[x / 2].CopyTo(px, ((y * w) + x) * 3);
            }
        }

        var ff = Ffmpeg.Run($"-f rawvideo -pix_fmt rgb24 -s {w}x{h} -i - -sws_flags neighbor -pix_fmt yuv420p -f rawvideo -", px);
        var (yy, u, v) = ToYuv(px, w, h);
        var ours = yy.Concat(u).Concat(v).ToArray();
        Assert.Equal(ff.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
        {
            Assert.True(Math.Abs(ours[i] - ff[i]) <= 1, $"sample {i}: ours {ours[i]}, ffmpeg {ff[i]}");
        }
    }

    [Fact]
    public void Round_trip_of_smooth_content_stays_within_a_few_levels()
    {
        int w = 96, h = 64;
        var px = SmoothRgb(w, h);
        var (y, u, v) = ToYuv(px, w, h);
        var back = ToRgb(y, u, v, w, h);
        int max = 0;
        double sum = 0;
        for (int i = 0; i < px.Length; i++)
        {
            int d = Math.Abs(back[i] - px[i]);
            max = Math.Max(max, d);
            sum += d;
        }

        // 8-bit limited range quantises Y in steps of 255/219 and chroma in steps of up to 2.0 RGB levels, and
        // the 2x2 chroma mean differs from each pixel's own chroma by the local gradient.
        Assert.True(max <= 4, $"max round-trip error {max} (mean {sum / px.Length:0.00})");
        Assert.True(sum / px.Length < 1.5, $"mean round-trip error {sum / px.Length:0.00} (max {max})");
    }

    [Fact]
    public void Odd_sizes_replicate_the_last_column_and_row_into_the_chroma_average()
    {
        int w = 5, h = 3;
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // Last column blue, last row red, the rest grey.
                byte[] c = x == w - 1 ? [0, 0, 255] : y == h - 1 ? [255, 0, 0] : [128, 128, 128];
                c.CopyTo(px, ((y * w) + x) * 3);
            }
        }

        var (yy, u, v) = ToYuv(px, w, h);
        Assert.Equal((3 * 2, 3 * 2), (u.Length, v.Length));
        Assert.Equal(Bt601.Chroma(0, 0, 255), (u[2], v[2]));          // chroma (2,0): the blue column alone
        Assert.Equal(Bt601.Chroma(255, 0, 0), (u[3 + 0], v[3 + 0]));  // chroma (0,1): the red row alone
        Assert.Equal(Bt601.Chroma(128, 128, 128), (u[0], v[0]));
        var back = ToRgb(yy, u, v, w, h);
        Assert.Equal(new byte[] { 0, 0, 255 }, back.AsSpan(((0 * w) + 4) * 3, 3).ToArray());
        Assert.Equal(w * h * 3, back.Length);
    }

    [Fact]
    public void Strides_and_channel_orders_give_the_same_planes()
    {
        int w = 9, h = 5, stride = (w * 3) + 7;
        var px = Frames.Rgb(w, h, seed: 4);
        var strided = new byte[(stride * (h - 1)) + (w * 3)];
        var bgr = new byte[px.Length];
        var rgba = new byte[w * h * 4];
        Array.Fill(strided, (byte)0xEE); // padding must be ignored
        for (int y = 0; y < h; y++)
        {
            px.AsSpan(y * w * 3, w * 3).CopyTo(strided.AsSpan(y * stride));
        }

        for (int i = 0; i < w * h; i++)
        {
            (bgr[i * 3], bgr[(i * 3) + 1], bgr[(i * 3) + 2]) = (px[(i * 3) + 2], px[(i * 3) + 1], px[i * 3]);
            (rgba[i * 4], rgba[(i * 4) + 1], rgba[(i * 4) + 2], rgba[(i * 4) + 3]) = (px[i * 3], px[(i * 3) + 1], px[(i * 3) + 2], 77);
        }

        static byte[] All((byte[] Y, byte[] U, byte[] V) p) => [.. p.Y, .. p.U, .. p.V];
        var packed = ToYuv(px, w, h);
        Assert.Equal(All(packed), All(ToYuv(strided, w, h, stride)));
        Assert.Equal(All(packed), All(ToYuv(bgr, w, h, order: RgbOrder.Bgr24)));
        Assert.Equal(All(packed), All(ToYuv(rgba, w, h, order: RgbOrder.Rgba32)));
        var backBgr = ToRgb(packed.Y, packed.U, packed.V, w, h, RgbOrder.Bgr24);
        var backRgb = ToRgb(packed.Y, packed.U, packed.V, w, h);
        for (int i = 0; i < w * h; i++)
        {
            Assert.Equal((backRgb[i * 3], backRgb[(i * 3) + 2]), (backBgr[(i * 3) + 2], backBgr[i * 3]));
        }

        var repacked = new byte[w * h * 4];
        Bt601.Repack(new RgbView(strided, w, h, stride, RgbOrder.Rgb24), repacked, w * 4, RgbOrder.Rgba32);
        Assert.Equal(rgba.Select((b, i) => i % 4 == 3 ? (byte)255 : b).ToArray(), repacked);
    }

    [Fact]
    public void Delta_is_zero_for_no_change_and_matches_the_conversion_of_a_change()
    {
        Assert.Equal((0, 0, 0), Bt601.Delta(0, 0, 0));
        var rng = new Random(9);
        for (int n = 0; n < 2000; n++)
        {
            int y = rng.Next(40, 200), u = rng.Next(90, 170), v = rng.Next(90, 170);
            int dy = rng.Next(-20, 21), du = rng.Next(-10, 11), dv = rng.Next(-10, 11);
            var a = Bt601.ToRgb(y, u, v);
            var b = Bt601.ToRgb(y + dy, u + du, v + dv);
            var d = Bt601.Delta(dy, du, dv);
            if (new[] { a.R, a.G, a.B, b.R, b.G, b.B }.Any(c => c is 0 or 255))
            {
                continue; // clamped: the change is not linear there
            }

            Assert.InRange(b.R - a.R - d.R, -1, 1);
            Assert.InRange(b.G - a.G - d.G, -1, 1);
            Assert.InRange(b.B - a.B - d.B, -1, 1);
        }
    }
}
