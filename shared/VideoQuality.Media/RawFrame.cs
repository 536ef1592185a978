namespace VideoQuality.Media;

/// <summary>
/// Bytes of one frame as received: format, declared size, optional per-plane strides and the data.
/// Nothing is copied or validated on construction; <see cref="FrameDecoder"/> does both (lazily, once).
/// </summary>
/// <param name="Format">Pixel layout of <paramref name="Data"/>.</param>
/// <param name="Width">Width in pixels (0 allowed for JPEG/PNG: taken from the file).</param>
/// <param name="Height">Height in pixels (0 allowed for JPEG/PNG).</param>
/// <param name="Data">Planes back to back, or the encoded file.</param>
/// <param name="Strides">Bytes per row of each plane; empty = tightly packed.</param>
public readonly record struct RawFrame(
    FramePixelFormat Format,
    int Width,
    int Height,
    ReadOnlyMemory<byte> Data,
    ReadOnlyMemory<int> Strides = default)
{
    /// <summary>A tightly packed GRAY8 frame over <paramref name="luma"/>.</summary>
    public static RawFrame Gray8(int width, int height, ReadOnlyMemory<byte> luma) =>
        new(FramePixelFormat.Gray8, width, height, luma);

    /// <summary>A tightly packed I420 frame (Y, U, V planes back to back) over <paramref name="data"/>.</summary>
    public static RawFrame I420(int width, int height, ReadOnlyMemory<byte> data) =>
        new(FramePixelFormat.I420, width, height, data);
}
