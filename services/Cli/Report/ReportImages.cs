using System.Runtime.InteropServices;
using SkiaSharp;
using VideoQuality.Detection;
using VideoQuality.Media;

namespace VideoQuality.Cli.Report;

/// <summary>
/// The report's pictures, drawn with SkiaSharp and encoded by <see cref="ImageEncoder"/>: a frame scaled down with its
/// flagged blocks filled and outlined in the frame class's colour, and a region of a frame enlarged (nearest
/// neighbour, so blocks stay sharp) for the before/after crops. Each comes back as a data: URI, so the page needs no
/// other file.
/// </summary>
internal static class ReportImages
{
    /// <summary>Width of a worst-moment thumbnail.</summary>
    public const int ThumbnailWidth = 320;

    /// <summary>Side of a before/after crop, in blocks (96x64 pixels for 8x8 blocks).</summary>
    public const int CropCols = 12;
    public const int CropRows = 8;

    /// <summary>Enlargement of a crop.</summary>
    public const int CropZoom = 3;

    public static string DataUri(string mediaType, byte[] bytes) => $"data:{mediaType};base64,{Convert.ToBase64String(bytes)}";

    /// <summary>The frame at <see cref="ThumbnailWidth"/> with the blocks of <paramref name="mask"/> drawn over it.</summary>
    public static string Thumbnail(in RgbView frame, BlockMask mask, FrameClass cls)
    {
        var scale = (float)ThumbnailWidth / frame.Width;
        var height = Math.Max(1, (int)Math.Round(frame.Height * scale));
        return Draw(frame, SKRectI.Create(0, 0, frame.Width, frame.Height), ThumbnailWidth, height, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear),
            canvas =>
            {
                var color = SKColor.Parse(ClassColors.Of(cls));
                using var fill = new SKPaint { Color = color.WithAlpha(90), Style = SKPaintStyle.Fill };
                using var edge = new SKPaint { Color = color, Style = SKPaintStyle.Stroke, StrokeWidth = 1, IsAntialias = false };
                float side = mask.BlockSize * scale;
                for (int row = 0; row < mask.Rows; row++)
                {
                    for (int col = 0; col < mask.Cols; col++)
                    {
                        if (!mask[row, col]) continue;
                        var rect = SKRect.Create(col * side, row * side, side, side);
                        canvas.DrawRect(rect, fill);
                        canvas.DrawRect(rect, edge);
                    }
                }
            });
    }

    /// <summary><paramref name="region"/> of the frame, enlarged <see cref="CropZoom"/> times.</summary>
    public static string Crop(in RgbView frame, SKRectI region) =>
        Draw(frame, region, region.Width * CropZoom, region.Height * CropZoom, new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None), _ => { });

    /// <summary>
    /// The <see cref="CropCols"/> x <see cref="CropRows"/> block window holding the most flagged blocks of
    /// <paramref name="mask"/> (the first such window, scanning rows then columns), in pixels, clipped to the frame.
    /// </summary>
    public static SKRectI WorstRegion(BlockMask mask, int width, int height)
    {
        int rows = Math.Min(CropRows, mask.Rows), cols = Math.Min(CropCols, mask.Cols);
        // Summed-area table: sum[r, c] = flagged blocks above and left of (r, c).
        var sum = new int[mask.Rows + 1, mask.Cols + 1];
        for (int r = 0; r < mask.Rows; r++)
        {
            for (int c = 0; c < mask.Cols; c++) sum[r + 1, c + 1] = (mask[r, c] ? 1 : 0) + sum[r, c + 1] + sum[r + 1, c] - sum[r, c];
        }

        int best = -1, bestRow = 0, bestCol = 0;
        for (int r = 0; r + rows <= mask.Rows; r++)
        {
            for (int c = 0; c + cols <= mask.Cols; c++)
            {
                int n = sum[r + rows, c + cols] - sum[r, c + cols] - sum[r + rows, c] + sum[r, c];
                if (n > best) (best, bestRow, bestCol) = (n, r, c);
            }
        }

        int b = mask.BlockSize, x = bestCol * b, y = bestRow * b;
        return SKRectI.Create(x, y, Math.Min(cols * b, width - x), Math.Min(rows * b, height - y));
    }

    private static string Draw(in RgbView frame, SKRectI source, int width, int height, SKSamplingOptions sampling, Action<SKCanvas> over)
    {
        using var image = ToImage(frame);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            using var surface = SKSurface.Create(info, handle.AddrOfPinnedObject(), info.RowBytes)
                ?? throw new InvalidOperationException($"SkiaSharp could not make a {width}x{height} surface");
            surface.Canvas.DrawImage(image, SKRect.Create(source.Left, source.Top, source.Width, source.Height), SKRect.Create(0, 0, width, height), sampling);
            over(surface.Canvas);
            surface.Canvas.Flush();
        }
        finally
        {
            handle.Free();
        }

        return DataUri("image/png", ImageEncoder.Encode(new RgbView(pixels, width, height, info.RowBytes, RgbOrder.Rgba32), FramePixelFormat.Png));
    }

    private static SKImage ToImage(in RgbView rgba)
    {
        var info = new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var data = SKData.CreateCopy(rgba.Data.Span);
        return SKImage.FromPixels(info, data, rgba.Stride) ?? throw new InvalidOperationException("SkiaSharp could not wrap the frame");
    }
}
