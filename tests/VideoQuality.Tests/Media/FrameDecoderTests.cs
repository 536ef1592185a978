using System.Runtime.InteropServices;
using SkiaSharp;
using VideoQuality.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Media;

public class FrameDecoderTests
{
    [Fact]
    public void I420_packed_luma_is_a_view_over_the_callers_buffer()
    {
        var buf = Frames.I420(64, 48);
        var d = FrameDecoder.Decode(RawFrame.I420(64, 48, buf));
        Assert.Equal((64, 48, 64), (d.Width, d.Height, d.Luma.Stride));
        Assert.True(MemoryMarshal.TryGetArray(d.Luma.Data, out var seg));
        Assert.Same(buf, seg.Array);
        Assert.Equal(0, seg.Offset);
        Assert.True(d.TryGetChroma(out var u, out var v));
        Assert.Equal((32, 24), (u.Width, u.Height));
        Assert.Equal(128, u.Row(23)[31]);
        Assert.Equal(128, v.Row(0)[0]);
    }

    [Fact]
    public void I420_with_strides_reads_rows_at_the_stride()
    {
        int w = 16, h = 4, ys = 20, cs = 12;
        var buf = new byte[(ys * h) + (2 * cs * (h / 2))];
        for (int r = 0; r < h; r++)
        {
            for (int c = 0; c < w; c++)
            {
                buf[(r * ys) + c] = (byte)((r * 16) + c);
            }

            buf[(r * ys) + w] = 255; // padding bytes must be ignored
        }

        buf.AsSpan(ys * h, cs * (h / 2)).Fill(7);
        buf.AsSpan((ys * h) + (cs * (h / 2))).Fill(9);
        var d = FrameDecoder.Decode(new RawFrame(FramePixelFormat.I420, w, h, buf, new[] { ys, cs, cs }));
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (byte)(32 + i)).ToArray(), d.Luma.Row(2).ToArray());
        Assert.True(d.TryGetChroma(out var u, out var v));
        Assert.Equal(7, u.Row(1)[7]);
        Assert.Equal(9, v.Row(1)[7]);
        Assert.Equal(w * h, d.Luma.ToPackedArray().Length);
    }

    [Fact]
    public void I420_strided_buffer_may_omit_the_padding_after_the_last_row()
    {
        int w = 16, h = 4, ys = 20, cs = 12;
        int len = (ys * h) + (cs * (h / 2)) + (cs * ((h / 2) - 1)) + (w / 2);
        var d = FrameDecoder.Decode(new RawFrame(FramePixelFormat.I420, w, h, new byte[len], new[] { ys, cs, cs }));
        Assert.Equal(16, d.Width);
    }

    [Fact]
    public void Nv12_luma_and_interleaved_chroma()
    {
        int w = 8, h = 4;
        var buf = new byte[w * h * 3 / 2];
        buf.AsSpan(0, w * h).Fill(50);
        for (int i = w * h; i < buf.Length; i += 2)
        {
            (buf[i], buf[i + 1]) = (100, 200);
        }

        var d = FrameDecoder.Decode(new RawFrame(FramePixelFormat.Nv12, w, h, buf));
        Assert.All(d.Luma.ToPackedArray(), b => Assert.Equal(50, b));
        Assert.True(d.TryGetChroma(out var uv, out _));
        Assert.Equal((8, 2), (uv.Width, uv.Height));
        Assert.Equal(new byte[] { 100, 200 }, uv.Row(1)[..2].ToArray());
    }

    [Fact]
    public void Gray8_with_stride()
    {
        var buf = new byte[(10 * 2) + 6];
        buf[10 + 5] = 77;
        var d = FrameDecoder.Decode(new RawFrame(FramePixelFormat.Gray8, 6, 3, buf, new[] { 10 }));
        Assert.Equal(77, d.Luma.Row(1)[5]);
        Assert.False(d.TryGetChroma(out _, out _));
    }

    [Theory]
    [InlineData(FramePixelFormat.Rgb24)]
    [InlineData(FramePixelFormat.Bgr24)]
    public void Packed_rgb_converts_with_bt601_limited_range(FramePixelFormat format)
    {
        int w = 5, h = 3;
        var px = Frames.Rgb(w, h);
        var d = FrameDecoder.Decode(new RawFrame(format, w, h, px));
        for (int i = 0; i < w * h; i++)
        {
            byte r = px[i * 3], g = px[(i * 3) + 1], b = px[(i * 3) + 2];
            if (format == FramePixelFormat.Bgr24)
            {
                (r, b) = (b, r);
            }

            int expected = ((66 * r) + (129 * g) + (25 * b) + 128 >> 8) + 16;
            Assert.Equal(expected, d.Luma.Data.Span[i]);
        }

        Assert.Equal(16, Bt601.Luma(0, 0, 0));
        Assert.Equal(235, Bt601.Luma(255, 255, 255));
    }

    [Fact]
    public void Rgb24_luma_matches_ffmpeg_rgb_to_yuv420p_within_one_level()
    {
        int w = 32, h = 16;
        var px = Frames.Rgb(w, h, seed: 3);
        var ffY = Ffmpeg.Run($"-f rawvideo -pix_fmt rgb24 -s {w}x{h} -i - -pix_fmt yuv420p -f rawvideo -", px)[..(w * h)];
        var ours = FrameDecoder.Decode(new RawFrame(FramePixelFormat.Rgb24, w, h, px)).Luma.ToPackedArray();
        for (int i = 0; i < ours.Length; i++)
        {
            Assert.InRange(ours[i] - ffY[i], -1, 1);
        }
    }

    [Fact]
    public void Png_decodes_to_the_same_luma_as_its_rgb_pixels()
    {
        int w = 24, h = 10;
        var px = Frames.Rgb(w, h);
        var png = Frames.Encode(px, w, h, SKEncodedImageFormat.Png);
        var fromPng = FrameDecoder.Decode(new RawFrame(FramePixelFormat.Png, 0, 0, png));
        var fromRgb = FrameDecoder.Decode(new RawFrame(FramePixelFormat.Rgb24, w, h, px));
        Assert.Equal((w, h), (fromPng.Width, fromPng.Height));
        Assert.Equal(fromRgb.Luma.ToPackedArray(), fromPng.Luma.ToPackedArray());
    }

    [Fact]
    public void Jpeg_decodes_close_to_its_source()
    {
        int w = 32, h = 32;
        var px = new byte[w * h * 3];
        px.AsSpan().Fill(120);
        var jpg = Frames.Encode(px, w, h, SKEncodedImageFormat.Jpeg, 95);
        var d = FrameDecoder.Decode(new RawFrame(FramePixelFormat.Jpeg, w, h, jpg));
        Assert.All(d.Luma.ToPackedArray(), y => Assert.InRange((int)y, Bt601.Luma(120, 120, 120) - 2, Bt601.Luma(120, 120, 120) + 2));
    }

    public static TheoryData<FramePixelFormat, int, int, int, int[]?, string> BadFrames => new()
    {
        { FramePixelFormat.I420, 64, 48, 100, null, "I420 64x48 needs 4608 bytes of data, got 100" },
        { FramePixelFormat.I420, 63, 48, 4536, null, "width and height must be even" },
        { FramePixelFormat.Nv12, 64, 47, 4512, null, "width and height must be even" },
        { FramePixelFormat.I420, 0, 48, 0, null, "must be non-zero" },
        { FramePixelFormat.Gray8, 8, 0, 0, null, "must be non-zero" },
        { FramePixelFormat.Gray8, 7682, 2, 15364, null, "exceeds the maximum of 7680x4320" },
        { FramePixelFormat.Gray8, 2, 4322, 8644, null, "exceeds the maximum of 7680x4320" },
        { FramePixelFormat.Rgb24, 4, 4, 47, null, "needs 48 bytes of data, got 47" },
        { FramePixelFormat.Gray8, 8, 2, 16, new[] { 7 }, "stride 7 is shorter than its row of 8 bytes" },
        { FramePixelFormat.I420, 8, 2, 24, new[] { 8 }, "needs 3 stride value(s)" },
        { FramePixelFormat.Unspecified, 8, 2, 16, null, "unknown pixel format 0" },
        { (FramePixelFormat)99, 8, 2, 16, null, "unknown pixel format 99" },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public void Bad_frames_are_rejected_with_a_message_naming_the_problem(FramePixelFormat f, int w, int h, int len, int[]? strides, string message)
    {
        var ex = Assert.Throws<FrameFormatException>(() => FrameDecoder.Decode(new RawFrame(f, w, h, new byte[len], strides ?? [])));
        Assert.Contains(message, ex.Message);
    }

    [Theory]
    [InlineData(FramePixelFormat.Jpeg)]
    [InlineData(FramePixelFormat.Png)]
    public void Corrupt_images_are_rejected(FramePixelFormat f)
    {
        var garbage = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();
        var ex = Assert.Throws<FrameFormatException>(() => FrameDecoder.Decode(new RawFrame(f, 0, 0, garbage)));
        Assert.Contains($"corrupt {f.Name()} data", ex.Message);
    }

    [Fact]
    public void Truncated_jpeg_is_rejected()
    {
        var jpg = Frames.Encode(Frames.Rgb(64, 64), 64, 64, SKEncodedImageFormat.Jpeg);
        var ex = Assert.Throws<FrameFormatException>(() => FrameDecoder.Decode(new RawFrame(FramePixelFormat.Jpeg, 0, 0, jpg.AsMemory(0, jpg.Length / 2))));
        Assert.Contains("corrupt JPEG data", ex.Message);
    }

    [Fact]
    public void Oversize_png_is_rejected_from_its_header_before_decoding()
    {
        var png = Frames.PngHeaderOnly(8000, 100);
        Assert.Equal((8000, 100), FrameDecoder.ReadImageSize(FramePixelFormat.Png, png));
        var ex = Assert.Throws<FrameFormatException>(() => FrameDecoder.Decode(new RawFrame(FramePixelFormat.Png, 0, 0, png)));
        Assert.Contains("PNG image size 8000x100 exceeds the maximum of 7680x4320", ex.Message);
    }

    [Fact]
    public void Mislabelled_image_and_size_mismatch_are_rejected()
    {
        var png = Frames.Encode(Frames.Rgb(8, 8), 8, 8, SKEncodedImageFormat.Png);
        Assert.Contains("frame format is JPEG but the data is a PNG image",
            Assert.Throws<FrameFormatException>(() => FrameDecoder.Decode(new RawFrame(FramePixelFormat.Jpeg, 0, 0, png))).Message);
        Assert.Contains("PNG image is 8x8 but the frame declares 16x8",
            Assert.Throws<FrameFormatException>(() => FrameDecoder.Decode(new RawFrame(FramePixelFormat.Png, 16, 8, png))).Message);
    }
}
