namespace VideoQuality.Detection;

/// <summary>
/// Block masks as bytes: the row-major boolean grid packed MSB-first (numpy.packbits), zero-padded to a whole
/// byte; as text, lowercase hex with 2 * ceil(n/8) digits (the vqbench <c>mask.bits</c> form).
/// </summary>
public static class MaskCodec
{
    /// <summary>Bytes needed for <paramref name="bits"/> bits.</summary>
    public static int PackedLength(int bits) => (bits + 7) / 8;

    /// <summary>Packs a boolean grid MSB-first.</summary>
    public static byte[] Pack(ReadOnlySpan<bool> bits)
    {
        var packed = new byte[PackedLength(bits.Length)];
        for (int i = 0; i < bits.Length; i++)
        {
            if (bits[i])
            {
                packed[i >> 3] |= (byte)(0x80 >> (i & 7));
            }
        }

        return packed;
    }

    /// <summary>Unpacks <paramref name="count"/> bits (MSB-first).</summary>
    public static bool[] Unpack(ReadOnlySpan<byte> packed, int count)
    {
        if (packed.Length != PackedLength(count))
        {
            throw new ArgumentException($"{count} bits need {PackedLength(count)} bytes, got {packed.Length}", nameof(packed));
        }

        var bits = new bool[count];
        for (int i = 0; i < count; i++)
        {
            bits[i] = (packed[i >> 3] & (0x80 >> (i & 7))) != 0;
        }

        return bits;
    }

    /// <summary>Whether bit <paramref name="index"/> is set.</summary>
    public static bool Get(ReadOnlySpan<byte> packed, int index) => (packed[index >> 3] & (0x80 >> (index & 7))) != 0;

    /// <summary>Lowercase hex.</summary>
    public static string ToHex(ReadOnlySpan<byte> packed) => Convert.ToHexStringLower(packed);

    /// <summary>Bytes from hex (either case).</summary>
    public static byte[] FromHex(string hex) => Convert.FromHexString(hex);

    /// <summary>Number of set bits.</summary>
    public static int PopCount(ReadOnlySpan<byte> packed)
    {
        int n = 0;
        foreach (var b in packed)
        {
            n += System.Numerics.BitOperations.PopCount(b);
        }

        return n;
    }
}
