using SkiaSharp;

namespace VideoQuality.Media;

/// <summary>
/// The one place where frame bytes become a validated luma plane. Raw planar formats are read in place
/// (no copy); RGB24/BGR24 are converted with <see cref="Bt601"/>; JPEG/PNG are decoded with SkiaSharp (to
/// unpremultiplied RGBA, kept in <see cref="DecodedFrame.Rgb"/> for the enhancer) after their header (size, format)
/// is checked, so an oversize or mislabelled image is rejected before any pixel is decoded. Every problem is a
/// <see cref="FrameFormatException"/> with a caller-facing message.
/// </summary>
public static class FrameDecoder
{
    /// <summary>Validates and decodes <paramref name="frame"/>.</summary>
    public static DecodedFrame Decode(in RawFrame frame)
    {
        switch (frame.Format)
        {
            case FramePixelFormat.I420:
            case FramePixelFormat.Nv12:
            case FramePixelFormat.Gray8:
            {
                var layout = FrameLayout.Compute(frame.Format, frame.Width, frame.Height, frame.Strides.Span, frame.Data.Length);
                var y = layout.Planes[0];
                var luma = new PlaneView(frame.Data.Slice(0, (int)y.RequiredBytes), frame.Width, frame.Height, y.Stride);
                return new DecodedFrame(frame.Format, luma, layout, frame.Data);
            }

            case FramePixelFormat.Rgb24:
            case FramePixelFormat.Bgr24:
            {
                var layout = FrameLayout.Compute(frame.Format, frame.Width, frame.Height, frame.Strides.Span, frame.Data.Length);
                var p = layout.Planes[0];
                var rgb = new RgbView(frame.Data[..(int)p.RequiredBytes], frame.Width, frame.Height, p.Stride,
                    frame.Format == FramePixelFormat.Rgb24 ? RgbOrder.Rgb24 : RgbOrder.Bgr24);
                return new DecodedFrame(frame.Format, LumaOf(rgb), layout, frame.Data, rgb);
            }

            case FramePixelFormat.Jpeg:
            case FramePixelFormat.Png:
                return DecodeImage(frame);

            default:
                throw new FrameFormatException($"unknown pixel format {(int)frame.Format}");
        }
    }

    /// <summary>Reads the size of a JPEG/PNG from its header without decoding pixels.</summary>
    public static (int Width, int Height) ReadImageSize(FramePixelFormat format, ReadOnlySpan<byte> data)
    {
        using var skData = SKData.CreateCopy(data);
        using var codec = OpenCodec(format, skData);
        return (codec.Info.Width, codec.Info.Height);
    }

    private static DecodedFrame DecodeImage(in RawFrame frame)
    {
        if (frame.Data.IsEmpty)
        {
            throw new FrameFormatException($"{frame.Format.Name()} frame has no data");
        }

        using var skData = SKData.CreateCopy(frame.Data.Span);
        using var codec = OpenCodec(frame.Format, skData);
        int w = codec.Info.Width, h = codec.Info.Height;
        FrameLimits.CheckSize(w, h, $"{frame.Format.Name()} image");
        if ((frame.Width != 0 && frame.Width != w) || (frame.Height != 0 && frame.Height != h))
        {
            throw new FrameFormatException(
                $"{frame.Format.Name()} image is {w}x{h} but the frame declares {frame.Width}x{frame.Height}");
        }

        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        var result = codec.GetPixels(info, rgba);
        if (result != SKCodecResult.Success)
        {
            throw new FrameFormatException($"corrupt {frame.Format.Name()} data: decoding failed ({result})");
        }

        var rgb = new RgbView(rgba, w, h, info.RowBytes, RgbOrder.Rgba32, HasAlpha: codec.Info.AlphaType != SKAlphaType.Opaque);
        return new DecodedFrame(frame.Format, LumaOf(rgb), null, frame.Data, rgb);
    }

    private static PlaneView LumaOf(in RgbView rgb)
    {
        var luma = new byte[rgb.Width * rgb.Height];
        for (int y = 0; y < rgb.Height; y++)
        {
            Bt601.RowToLuma(rgb.Row(y), luma.AsSpan(y * rgb.Width, rgb.Width), rgb.Width, rgb.Order);
        }

        return PlaneView.Packed(luma, rgb.Width, rgb.Height);
    }

    private static SKCodec OpenCodec(FramePixelFormat format, SKData data)
    {
        // SKCodec.Create(SKData) manages the native stream's ownership itself (Skia frees it on failure).
        var codec = SKCodec.Create(data);
        if (codec is null)
        {
            throw new FrameFormatException($"corrupt {format.Name()} data: not a readable image");
        }

        var expected = format == FramePixelFormat.Jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;
        var actual = codec.EncodedFormat;
        if (actual != expected)
        {
            codec.Dispose();
            throw new FrameFormatException($"frame format is {format.Name()} but the data is a {actual.ToString().ToUpperInvariant()} image");
        }

        return codec;
    }
}
