namespace VideoQuality.Tests.Support;

/// <summary>
/// A frame with real compression damage: an ffmpeg lavfi source encoded as one MPEG-2 intra frame at the coarsest
/// quantiser (<c>-q:v 31</c>), decoded back by ffmpeg to raw pixels.
/// </summary>
internal static class Mpeg2Frame
{
    /// <summary>Decoded pixels in ffmpeg's <paramref name="pixFmt"/> (rgb24, bgr24, yuv420p, ...), tightly packed.</summary>
    public static byte[] Decode(int width, int height, string pixFmt, string source = "testsrc2")
    {
        var stream = Ffmpeg.Run($"-f lavfi -i {source}=size={width}x{height}:rate=25 -frames:v 1 -c:v mpeg2video -q:v 31 -f mpeg2video -");
        return Ffmpeg.Run($"-f mpegvideo -i - -frames:v 1 -pix_fmt {pixFmt} -f rawvideo -", stream);
    }

    /// <summary>
    /// ffmpeg's mandelbrot: the left <paramref name="damagedColumns"/> pixel columns through MPEG-2 at q 31 (real
    /// blocking the detector flags), the rest as rendered (clean), in <paramref name="pixFmt"/> (packed with
    /// <paramref name="lumaBytes"/> bytes per pixel in the first plane; for yuv420p the chroma planes are taken whole
    /// from the damaged frame).
    /// </summary>
    public static byte[] PartlyDamaged(int width, int height, string pixFmt, int lumaBytes, int damagedColumns)
    {
        var damaged = Decode(width, height, pixFmt, "mandelbrot");
        var clean = Ffmpeg.Run($"-f lavfi -i mandelbrot=size={width}x{height}:rate=25 -frames:v 1 -pix_fmt {pixFmt} -f rawvideo -");
        int row = width * lumaBytes, keep = damagedColumns * lumaBytes;
        for (int y = 0; y < height; y++)
        {
            Array.Copy(clean, (y * row) + keep, damaged, (y * row) + keep, row - keep);
        }

        return damaged;
    }
}
