using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VideoQuality.Media;

namespace VideoQuality.Detection;

/// <summary>
/// Luma plane -> model input: value = Y/255, padded right and bottom to the model stride by edge replication
/// (the last column/row is repeated). One pass, 16 pixels at a time, written straight into the model's input buffer.
/// Y/255 in float32 (correctly rounded, as the training side's uint8 / 255.0 rounded to float32: the two agree for
/// all 256 values, which the tests check).
/// </summary>
public static class LumaTensor
{
    /// <summary><paramref name="size"/> rounded up to a multiple of <paramref name="stride"/>.</summary>
    public static int PadTo(int size, int stride) => (size + stride - 1) / stride * stride;

    /// <summary>Writes <paramref name="luma"/> into <paramref name="dest"/> (paddedHeight x paddedWidth, row-major).</summary>
    public static void Write(in PlaneView luma, Span<float> dest, int paddedWidth, int paddedHeight)
    {
        int w = luma.Width, h = luma.Height;
        if (paddedWidth < w || paddedHeight < h || dest.Length < paddedWidth * paddedHeight)
        {
            throw new ArgumentException("destination is smaller than the plane");
        }

        var src = luma.Data.Span;
        for (int y = 0; y < h; y++)
        {
            var row = src.Slice(y * luma.Stride, w);
            var d = dest.Slice(y * paddedWidth, paddedWidth);
            int x = Vector128.IsHardwareAccelerated ? WriteVectorized(row, d) : 0;
            for (; x < row.Length; x++)
            {
                d[x] = row[x] / 255f;
            }

            d[w..].Fill(d[w - 1]);
        }

        var last = dest.Slice((h - 1) * paddedWidth, paddedWidth);
        for (int y = h; y < paddedHeight; y++)
        {
            last.CopyTo(dest.Slice(y * paddedWidth, paddedWidth));
        }
    }

    /// <summary>Converts whole groups of 16 pixels; returns how many were written.</summary>
    private static int WriteVectorized(ReadOnlySpan<byte> row, Span<float> dest)
    {
        var scale = Vector128.Create(255f);
        ref byte s = ref MemoryMarshal.GetReference(row);
        ref float d = ref MemoryMarshal.GetReference(dest);
        int x = 0;
        for (; x + 16 <= row.Length; x += 16)
        {
            var bytes = Vector128.LoadUnsafe(ref s, (nuint)x);
            var lo = Vector128.WidenLower(bytes);
            var hi = Vector128.WidenUpper(bytes);
            Store(Vector128.WidenLower(lo), scale, ref Unsafe.Add(ref d, x));
            Store(Vector128.WidenUpper(lo), scale, ref Unsafe.Add(ref d, x + 4));
            Store(Vector128.WidenLower(hi), scale, ref Unsafe.Add(ref d, x + 8));
            Store(Vector128.WidenUpper(hi), scale, ref Unsafe.Add(ref d, x + 12));
        }

        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<uint> values, Vector128<float> scale, ref float dest) =>
        (Vector128.ConvertToSingle(values.AsInt32()) / scale).StoreUnsafe(ref dest);
}
