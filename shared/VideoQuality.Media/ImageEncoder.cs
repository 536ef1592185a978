using System.Runtime.InteropServices;
using SkiaSharp;

namespace VideoQuality.Media;

/// <summary>
/// Packed RGBA pixels -> a PNG or JPEG file with SkiaSharp (the decoding side is <see cref="FrameDecoder"/>). PNG is
/// lossless (alpha kept when the pixels have any); JPEG is written at the given quality, alpha dropped.
/// </summary>
public static class ImageEncoder
{
    /// <summary>Default JPEG quality of re-encoded frames (high: a repaired frame should not lose much elsewhere).</summary>
    public const int DefaultJpegQuality = 95;

    /// <summary>Encodes <paramref name="rgba"/> (<see cref="RgbOrder.Rgba32"/>) as <paramref name="format"/> (JPEG or PNG).</summary>
    public static byte[] Encode(in RgbView rgba, FramePixelFormat format, int jpegQuality = DefaultJpegQuality)
    {
        if (rgba.Order != RgbOrder.Rgba32)
        {
            throw new ArgumentException("the encoder takes RGBA pixels", nameof(rgba));
        }

        if (format is not (FramePixelFormat.Jpeg or FramePixelFormat.Png))
        {
            throw new ArgumentException($"{format.Name()} is not an image file format", nameof(format));
        }

        if (jpegQuality is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(jpegQuality), jpegQuality, "JPEG quality is 1..100");
        }

        // Opaque pixels go to the encoders as RGBx, so the PNG has no alpha channel and JPEG has nothing to drop.
        var info = rgba.HasAlpha
            ? new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul)
            : new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Rgb888x, SKAlphaType.Opaque);
        if (!MemoryMarshal.TryGetArray(rgba.Data, out var segment) || segment.Array is null)
        {
            segment = rgba.Data.ToArray();
        }

        var handle = GCHandle.Alloc(segment.Array, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject() + segment.Offset, rgba.Stride);
            using var data = format == FramePixelFormat.Png
                ? pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))
                : pixmap.Encode(new SKJpegEncoderOptions(jpegQuality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore));
            return data?.ToArray() ?? throw new InvalidOperationException($"SkiaSharp could not encode a {rgba.Width}x{rgba.Height} {format.Name()}");
        }
        finally
        {
            handle.Free();
        }
    }
}
