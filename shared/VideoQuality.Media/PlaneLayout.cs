namespace VideoQuality.Media;

/// <summary>Where one plane lives inside a raw frame buffer.</summary>
/// <param name="Offset">Byte offset of the plane's first row.</param>
/// <param name="Stride">Bytes from one row to the next.</param>
/// <param name="RowBytes">Meaningful bytes per row (width * bytes per pixel).</param>
/// <param name="Rows">Number of rows.</param>
public readonly record struct PlaneLayout(int Offset, int Stride, int RowBytes, int Rows)
{
    /// <summary>Bytes the plane needs: full strides for every row but the last, which only needs its row bytes.</summary>
    public long RequiredBytes => Rows == 0 ? 0 : ((long)Stride * (Rows - 1)) + RowBytes;

    /// <summary>Bytes the plane occupies in a buffer of back-to-back planes (stride * rows).</summary>
    public long FootprintBytes => (long)Stride * Rows;
}
