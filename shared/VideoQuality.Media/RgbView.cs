namespace VideoQuality.Media;

/// <summary>Byte order of packed 8-bit RGB pixels.</summary>
public enum RgbOrder
{
    /// <summary>3 bytes per pixel: R, G, B (RGB24).</summary>
    Rgb24,

    /// <summary>3 bytes per pixel: B, G, R (BGR24).</summary>
    Bgr24,

    /// <summary>4 bytes per pixel: R, G, B, A, alpha not premultiplied (what JPEG/PNG decode to, what the encoders take).</summary>
    Rgba32,
}

/// <summary>Sizes and channel positions of an <see cref="RgbOrder"/>.</summary>
public static class RgbOrders
{
    /// <summary>Bytes per pixel (3 or 4).</summary>
    public static int PixelBytes(this RgbOrder order) => order == RgbOrder.Rgba32 ? 4 : 3;

    /// <summary>Offset of red inside a pixel (blue is at 2 - this).</summary>
    public static int RedIndex(this RgbOrder order) => order == RgbOrder.Bgr24 ? 2 : 0;
}

/// <summary>
/// A read-only view of packed RGB pixels over existing memory (no copy): the caller's RGB24/BGR24 bytes with their
/// stride, or the RGBA buffer a JPEG/PNG decoded to. Row <c>y</c> starts at <c>y * Stride</c>.
/// </summary>
/// <param name="Data">Memory starting at the first row.</param>
/// <param name="Width">Pixels per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Stride">Bytes from one row to the next (at least Width * bytes per pixel).</param>
/// <param name="Order">Byte order of a pixel.</param>
/// <param name="HasAlpha">Whether the alpha bytes (<see cref="RgbOrder.Rgba32"/> only) carry transparency worth keeping.</param>
public readonly record struct RgbView(ReadOnlyMemory<byte> Data, int Width, int Height, int Stride, RgbOrder Order, bool HasAlpha = false)
{
    /// <summary>Row <paramref name="y"/> (exactly Width * bytes per pixel bytes).</summary>
    public ReadOnlySpan<byte> Row(int y) => Data.Span.Slice(y * Stride, Width * Order.PixelBytes());
}
