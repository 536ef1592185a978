using SkiaSharp;
using VideoQuality.Detection;
using VideoQuality.Media;
using VideoQuality.Repair;
using VideoQuality.Tests.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Repair;

/// <summary>
/// Repair of RGB-based frames (RGB24, BGR24, PNG, JPEG) and output in any format: untouched pixels keep their exact
/// original bytes, repaired ones change, conversions agree with <see cref="Bt601"/>.
/// </summary>
public class FormatRepairTests
{
    private const int W = 320, H = 192, Rows = H / 8, Cols = W / 8;

    private static FrameRepairer Repairer => RepairTests.Repairer;

    private static readonly BlockMask None = RepairTests.Mask((_, _) => false);

    private static bool Damaged(int r, int c) => r is >= 6 and < 12 && c is >= 10 and < 22;

    /// <summary>Smooth RGB content with strong 8x8 blocking (each block flattened to its mean colour) in <see cref="Damaged"/>.</summary>
    internal static byte[] BlockyRgb()
    {
        var px = ColourConversionTests.SmoothRgb(W, H);
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                if (!Damaged(r, c))
                {
                    continue;
                }

                for (int k = 0; k < 3; k++)
                {
                    int sum = 0;
                    for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) sum += px[(((((r * 8) + y) * W) + (c * 8) + x) * 3) + k];
                    for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) px[(((((r * 8) + y) * W) + (c * 8) + x) * 3) + k] = (byte)(sum / 64);
                }
            }
        }

        return px;
    }

    /// <summary>
    /// Blocks repair may touch for a mask: the model region (mask dilated by one block) and the chroma filter's
    /// reach across the region's edge (one more block).
    /// </summary>
    internal static bool[] Reach(BlockMask mask)
    {
        var grid = new bool[mask.Rows * mask.Cols];
        for (int i = 0; i < grid.Length; i++)
        {
            grid[i] = mask[i / mask.Cols, i % mask.Cols];
        }

        return TilePlanner.Dilate(grid, mask.Rows, mask.Cols, 2);
    }

    /// <summary>
    /// Compares two packed images of <paramref name="pixelBytes"/> bytes per pixel: every pixel outside
    /// <paramref name="reach"/> must be identical; returns how many pixels inside it differ and how many lie outside.
    /// </summary>
    internal static (int ChangedInside, int Outside) CompareOutside(byte[] before, byte[] after, int w, int h, int pixelBytes, bool[] reach)
    {
        Assert.Equal(before.Length, after.Length);
        int cols = (w + 7) / 8, changed = 0, outside = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = ((y * w) + x) * pixelBytes;
                bool same = before.AsSpan(i, pixelBytes).SequenceEqual(after.AsSpan(i, pixelBytes));
                if (reach[((y / 8) * cols) + (x / 8)])
                {
                    changed += same ? 0 : 1;
                }
                else
                {
                    outside++;
                    Assert.True(same, $"pixel ({x},{y}) outside the repair region changed");
                }
            }
        }

        return (changed, outside);
    }

    [Theory]
    [InlineData(FramePixelFormat.Rgb24)]
    [InlineData(FramePixelFormat.Png)]
    public void Clean_rgb_based_frame_comes_back_as_the_callers_own_bytes(FramePixelFormat format)
    {
        var px = BlockyRgb();
        var frame = format == FramePixelFormat.Png
            ? new RawFrame(format, 0, 0, Frames.Encode(px, W, H, SKEncodedImageFormat.Png))
            : new RawFrame(format, W, H, px);
        var r = Repairer.Repair(Repairer.CreateStream(), frame, None, None);
        Assert.True(r.Untouched);
        Assert.True(r.Frame.Data.Equals(frame.Data), "the caller's buffer itself comes back");
        Assert.Equal(format, r.Frame.Format);
    }

    [Fact]
    public void Rgb24_blocks_are_repaired_and_every_other_pixel_keeps_its_exact_bytes()
    {
        var px = BlockyRgb();
        var mask = RepairTests.Mask(Damaged);
        var r = Repairer.Repair(null, new RawFrame(FramePixelFormat.Rgb24, W, H, px), mask, None);
        Assert.Equal(6 * 12, r.ModelBlocks); // the flagged blocks (the ring around them is not counted)
        Assert.Equal((FramePixelFormat.Rgb24, W, H), (r.Frame.Format, r.Frame.Width, r.Frame.Height));
        var (changed, outside) = CompareOutside(px, r.Frame.Data.ToArray(), W, H, 3, Reach(mask));
        Assert.True(outside > W * H / 2, $"only {outside} pixels outside the repair region");
        Assert.True(changed > 12 * 6 * 64 / 2, $"only {changed} pixels of the repair region changed");
    }

    [Fact]
    public void Strided_rgb24_and_bgr24_input_give_the_same_repair()
    {
        var px = BlockyRgb();
        var mask = RepairTests.Mask(Damaged);
        var packed = Repairer.Repair(null, new RawFrame(FramePixelFormat.Rgb24, W, H, px), mask, None).Frame.Data.ToArray();

        int stride = (W * 3) + 16;
        var strided = new byte[stride * H];
        Array.Fill(strided, (byte)0x5A);
        for (int y = 0; y < H; y++)
        {
            px.AsSpan(y * W * 3, W * 3).CopyTo(strided.AsSpan(y * stride));
        }

        var fromStrided = Repairer.Repair(null, new RawFrame(FramePixelFormat.Rgb24, W, H, strided, new[] { stride }), mask, None).Frame;
        Assert.True(fromStrided.Strides.IsEmpty, "output is tightly packed");
        Assert.Equal(packed, fromStrided.Data.ToArray());

        var bgr = Repairer.Repair(null, new RawFrame(FramePixelFormat.Bgr24, W, H, ColourConversionTests.Swap(px)), mask, None);
        Assert.Equal(FramePixelFormat.Bgr24, bgr.Frame.Format);
        Assert.Equal(packed, ColourConversionTests.Swap(bgr.Frame.Data.ToArray()));
    }

    [Fact]
    public void Png_repair_is_lossless_outside_the_repaired_blocks_and_jpeg_stays_close()
    {
        var px = BlockyRgb();
        var mask = RepairTests.Mask(Damaged);
        var reach = Reach(mask);
        var png = Frames.Encode(px, W, H, SKEncodedImageFormat.Png);
        var r = Repairer.Repair(null, new RawFrame(FramePixelFormat.Png, 0, 0, png), mask, None);
        Assert.Equal(FramePixelFormat.Png, r.Frame.Format);
        var before = Rgba(FrameDecoder.Decode(new RawFrame(FramePixelFormat.Png, 0, 0, png)));
        var after = FrameDecoder.Decode(r.Frame);
        Assert.Equal((W, H), (after.Width, after.Height));
        var (changed, _) = CompareOutside(before, Rgba(after), W, H, 4, reach);
        Assert.True(changed > 12 * 6 * 64 / 2, $"only {changed} pixels of the repair region changed");

        // JPEG: the whole frame is re-encoded (quality Repair:JpegQuality), so outside the repair it stays close, not exact.
        var jpeg = Frames.Encode(px, W, H, SKEncodedImageFormat.Jpeg, 95);
        var rj = Repairer.Repair(null, new RawFrame(FramePixelFormat.Jpeg, W, H, jpeg), mask, None);
        Assert.Equal(FramePixelFormat.Jpeg, rj.Frame.Format);
        Assert.Equal(6 * 12, rj.ModelBlocks);
        var jb = Rgba(FrameDecoder.Decode(new RawFrame(FramePixelFormat.Jpeg, 0, 0, jpeg)));
        var ja = Rgba(FrameDecoder.Decode(rj.Frame));
        var (outsideMean, insideMean) = MeanDiff(jb, ja, W, H, reach);
        Assert.True(outsideMean < 1.5, $"JPEG re-encoding moved untouched pixels by {outsideMean:0.00} on average");
        Assert.True(insideMean > 2 * outsideMean, $"repaired region changed by {insideMean:0.00} on average, the rest by {outsideMean:0.00}");
    }

    [Fact]
    public void Transmission_hole_in_rgb_is_concealed_from_the_previous_frame_and_nothing_else_changes()
    {
        var truth = ColourConversionTests.SmoothRgb(W, H);
        var stream = Repairer.CreateStream("rgb");
        Assert.True(Repairer.Repair(stream, new RawFrame(FramePixelFormat.Rgb24, W, H, truth), None, None).Untouched);

        bool Hole(int r, int c) => r is >= 8 and < 12 && c is >= 12 and < 20;
        var damaged = (byte[])truth.Clone();
        var rng = new Random(11);
        for (int y = 64; y < 96; y++)
        {
            rng.NextBytes(damaged.AsSpan(((y * W) + 96) * 3, 64 * 3));
        }

        var mask = RepairTests.Mask(Hole);
        var r = Repairer.Repair(stream, new RawFrame(FramePixelFormat.Rgb24, W, H, damaged), None, mask);
        Assert.Equal(32, r.TemporalBlocks);
        var outPx = r.Frame.Data.ToArray();
        double err = 0;
        for (int y = 64; y < 96; y++)
        {
            for (int x = 96 * 3; x < 160 * 3; x++)
            {
                err += Math.Abs(outPx[(y * W * 3) + x] - truth[(y * W * 3) + x]);
            }
        }

        // The hole holds the previous frame converted back from YUV (round-trip error only, no trace of the garbage).
        Assert.True(err / (32 * 64 * 3) < 2.0, $"mean error in the concealed hole {err / (32 * 64 * 3):0.00}");
        var holeOnly = new bool[Rows * Cols];
        for (int i = 0; i < holeOnly.Length; i++) holeOnly[i] = Hole(i / Cols, i % Cols);
        CompareOutside(damaged, outPx, W, H, 3, holeOnly);
    }

    [Fact]
    public void Any_output_format_can_be_asked_for()
    {
        var px = BlockyRgb();
        var mask = RepairTests.Mask(Damaged);
        var reach = Reach(mask);

        // RGB in, I420 out: luma outside the repair is the input's BT.601 luma.
        var i420 = Repairer.Repair(null, new RawFrame(FramePixelFormat.Rgb24, W, H, px), mask, None, FramePixelFormat.I420).Frame;
        Assert.Equal((FramePixelFormat.I420, W * H * 3 / 2), (i420.Format, i420.Data.Length));
        var luma = FrameDecoder.Decode(new RawFrame(FramePixelFormat.Rgb24, W, H, px)).Luma.ToPackedArray();
        CompareOutside(luma, i420.Data[..(W * H)].ToArray(), W, H, 1, reach);

        // I420 in, RGB24/PNG out: a clean frame converts exactly as Bt601 does.
        var yuv = RepairTests.Natural(W, H);
        var expected = ColourConversionTests.I420ToRgb(yuv, W, H);
        var rgb = Repairer.Repair(null, RawFrame.I420(W, H, yuv), None, None, FramePixelFormat.Rgb24);
        Assert.True(rgb.Untouched);
        Assert.Equal(expected, rgb.Frame.Data.ToArray());
        var png = Repairer.Repair(null, RawFrame.I420(W, H, yuv), None, None, FramePixelFormat.Png).Frame;
        Assert.Equal(expected, Rgb(FrameDecoder.Decode(png)));

        // GRAY8 in, PNG out: grey pixels.
        var gray = Repairer.Repair(null, RawFrame.Gray8(W, H, yuv.AsMemory(0, W * H)), None, None, FramePixelFormat.Png).Frame;
        var g = Rgb(FrameDecoder.Decode(gray));
        for (int i = 0; i < g.Length; i += 3)
        {
            Assert.True(g[i] == g[i + 1] && g[i] == g[i + 2], $"pixel {i / 3} is not grey");
        }

        // A clean PNG asked for as BGR24: the decoded pixels exactly, channels swapped (no YUV round trip).
        var pngIn = Frames.Encode(px, W, H, SKEncodedImageFormat.Png);
        var bgr = Repairer.Repair(null, new RawFrame(FramePixelFormat.Png, 0, 0, pngIn), None, None, FramePixelFormat.Bgr24).Frame;
        Assert.Equal(px, ColourConversionTests.Swap(bgr.Data.ToArray()));
    }

    [Fact]
    public void Odd_sized_rgb_is_repaired_but_cannot_become_i420()
    {
        int w = 69, h = 45;
        var px = ColourConversionTests.SmoothRgb(w, h);
        var mask = RepairTests.Mask((r, c) => r == 1 && c == 2, (h + 7) / 8, (w + 7) / 8);
        var none = RepairTests.Mask((_, _) => false, (h + 7) / 8, (w + 7) / 8);
        var r = Repairer.Repair(null, new RawFrame(FramePixelFormat.Rgb24, w, h, px), mask, none);
        Assert.Equal((FramePixelFormat.Rgb24, w, h, w * h * 3), (r.Frame.Format, r.Frame.Width, r.Frame.Height, r.Frame.Data.Length));
        Assert.True(r.ModelBlocks > 0);
        var (changed, outside) = CompareOutside(px, r.Frame.Data.ToArray(), w, h, 3, Reach(mask));
        Assert.True(changed > 0 && outside > w * h / 3, $"{changed} pixels changed, {outside} outside the repair region");
        var e = Assert.Throws<FrameFormatException>(() => Repairer.Repair(null, new RawFrame(FramePixelFormat.Rgb24, w, h, px), mask, none, FramePixelFormat.I420));
        Assert.Contains("needs an even frame size, the frame is 69x45", e.Message);
        Assert.Equal(w * h, Repairer.Repair(null, new RawFrame(FramePixelFormat.Rgb24, w, h, px), mask, none, FramePixelFormat.Gray8).Frame.Data.Length);
    }

    private static byte[] Rgba(DecodedFrame d)
    {
        var v = d.Rgb!.Value;
        var o = new byte[v.Width * v.Height * 4];
        Bt601.Repack(v, o, v.Width * 4, RgbOrder.Rgba32);
        return o;
    }

    /// <summary>The RGB pixels of a decoded RGB24/BGR24/JPEG/PNG frame as packed RGB24.</summary>
    internal static byte[] Rgb(DecodedFrame d)
    {
        var v = d.Rgb ?? throw new InvalidOperationException($"{d.SourceFormat} has no RGB pixels");
        var o = new byte[v.Width * v.Height * 3];
        Bt601.Repack(v, o, v.Width * 3, RgbOrder.Rgb24);
        return o;
    }

    internal static (double Outside, double Inside) MeanDiff(byte[] before, byte[] after, int w, int h, bool[] reach)
    {
        int cols = (w + 7) / 8, pb = before.Length / (w * h);
        double o = 0, i = 0;
        int no = 0, ni = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int d = 0;
                for (int k = 0; k < 3; k++) d += Math.Abs(before[(((y * w) + x) * pb) + k] - after[(((y * w) + x) * pb) + k]);
                if (reach[((y / 8) * cols) + (x / 8)]) { i += d / 3.0; ni++; } else { o += d / 3.0; no++; }
            }
        }

        return (o / Math.Max(1, no), i / Math.Max(1, ni));
    }
}
