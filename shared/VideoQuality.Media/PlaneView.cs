namespace VideoQuality.Media;

/// <summary>
/// A read-only view of one 8-bit image plane (luma or one chroma plane) over existing memory: no copy.
/// Row <c>y</c> starts at <c>y * Stride</c> and holds <see cref="Width"/> meaningful bytes.
/// </summary>
/// <param name="Data">Memory starting at the plane's first row.</param>
/// <param name="Width">Samples per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Stride">Bytes from one row to the next (at least <paramref name="Width"/>).</param>
public readonly record struct PlaneView(ReadOnlyMemory<byte> Data, int Width, int Height, int Stride)
{
    /// <summary>A tightly packed plane (stride = width).</summary>
    public static PlaneView Packed(ReadOnlyMemory<byte> data, int width, int height) => new(data, width, height, width);

    /// <summary>Row <paramref name="y"/> (exactly <see cref="Width"/> bytes).</summary>
    public ReadOnlySpan<byte> Row(int y) => Data.Span.Slice(y * Stride, Width);

    /// <summary>Whether rows are back to back (stride = width).</summary>
    public bool IsPacked => Stride == Width;

    /// <summary>Copies the plane into a new tightly packed array.</summary>
    public byte[] ToPackedArray()
    {
        var dst = new byte[Width * Height];
        CopyTo(dst);
        return dst;
    }

    /// <summary>Copies the plane tightly packed into <paramref name="destination"/> (Width*Height bytes).</summary>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Width * Height)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes, needs {Width * Height}", nameof(destination));
        }

        if (IsPacked)
        {
            Data.Span[..(Width * Height)].CopyTo(destination);
            return;
        }

        var src = Data.Span;
        for (int y = 0; y < Height; y++)
        {
            src.Slice(y * Stride, Width).CopyTo(destination.Slice(y * Width, Width));
        }
    }
}
