namespace VideoQuality.Detection;

/// <summary>A packed grid of blocks, one bit per block (see <see cref="MaskCodec"/>).</summary>
public sealed class BlockMask
{
    /// <summary>Wraps packed bits.</summary>
    public BlockMask(int blockSize, int rows, int cols, byte[] bits)
    {
        if (rows < 0 || cols < 0 || (long)rows * cols > int.MaxValue - 7)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"{rows}x{cols} is not a valid mask grid");
        }

        if (bits.Length != MaskCodec.PackedLength(rows * cols))
        {
            throw new ArgumentException($"{rows}x{cols} mask needs {MaskCodec.PackedLength(rows * cols)} bytes, got {bits.Length}", nameof(bits));
        }

        BlockSize = blockSize;
        Rows = rows;
        Cols = cols;
        Bits = bits;
        Flagged = MaskCodec.PopCount(bits);
    }

    /// <summary>Block side in pixels.</summary>
    public int BlockSize { get; }

    /// <summary>Block rows.</summary>
    public int Rows { get; }

    /// <summary>Block columns.</summary>
    public int Cols { get; }

    /// <summary>Packed bits, MSB-first, row-major.</summary>
    public byte[] Bits { get; }

    /// <summary>Set bits.</summary>
    public int Flagged { get; }

    /// <summary>Share of set bits.</summary>
    public double FlaggedFraction => Rows * Cols == 0 ? 0 : (double)Flagged / (Rows * Cols);

    /// <summary>Whether block (row, col) is set.</summary>
    public bool this[int row, int col] => MaskCodec.Get(Bits, (row * Cols) + col);

    /// <summary>Lowercase hex of <see cref="Bits"/> (vqbench form).</summary>
    public string ToHex() => MaskCodec.ToHex(Bits);

    /// <summary>Packs a boolean grid.</summary>
    public static BlockMask FromBools(int blockSize, int rows, int cols, ReadOnlySpan<bool> grid) =>
        new(blockSize, rows, cols, MaskCodec.Pack(grid));
}
