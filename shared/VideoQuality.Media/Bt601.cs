namespace VideoQuality.Media;

/// <summary>
/// RGB to luma with BT.601 limited-range integer weights, as ffmpeg's swscale converts rgb24 to yuv420p:
/// <c>Y = ((66 R + 129 G + 25 B + 128) &gt;&gt; 8) + 16</c>. The detector was trained on video luma as stored
/// (limited range), so RGB-based inputs (RGB24, BGR24, JPEG, PNG) are brought to the same scale.
/// </summary>
public static class Bt601
{
    /// <summary>Luma of one pixel.</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)((((66 * r) + (129 * g) + (25 * b) + 128) >> 8) + 16);

    /// <summary>Converts <paramref name="width"/> packed pixels of 3 bytes to luma; <paramref name="rgbOrder"/> false = BGR.</summary>
    public static void RowToLuma(ReadOnlySpan<byte> src, Span<byte> dst, int width, bool rgbOrder)
    {
        int ri = rgbOrder ? 0 : 2, bi = rgbOrder ? 2 : 0;
        for (int x = 0, i = 0; x < width; x++, i += 3)
        {
            dst[x] = Luma(src[i + ri], src[i + 1], src[i + bi]);
        }
    }

    /// <summary>Converts <paramref name="width"/> RGBA pixels (4 bytes each, alpha ignored) to luma.</summary>
    public static void RgbaRowToLuma(ReadOnlySpan<byte> src, Span<byte> dst, int width)
    {
        for (int x = 0, i = 0; x < width; x++, i += 4)
        {
            dst[x] = Luma(src[i], src[i + 1], src[i + 2]);
        }
    }
}
