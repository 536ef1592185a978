using VideoQuality.Detection;

namespace VideoQuality.Repair;

/// <summary>
/// Which masks repair acts on, given the detector's frame class (one place, used by the service and the CLI):
/// <list type="bullet">
/// <item>a frame the detector classes clean is passed through untouched (<see cref="RepairOptions.SkipCleanFrames"/>):
/// isolated false-positive blocks on clean frames are where repair can only lose;</item>
/// <item>in a frame classed transmission, every flagged block is treated as transmission damage
/// (<see cref="RepairOptions.ConcealAllInTransmissionFrames"/>): blocks the detector calls compression there are mostly
/// smeared or missing data that the deblocking model cannot restore but the previous frame can;</item>
/// <item>unless its transmission mask covers more than <see cref="RepairOptions.MaxConcealFraction"/> of the frame:
/// then it is repaired as compression (no concealment), because copying most of a frame from the previous one loses
/// badly whenever the mask is wrong (dense texture that the detector marks whole).</item>
/// <item>in a frame classed compression, with <see cref="RepairOptions.WholeCompressionFrames"/>, every block that is not
/// flagged as transmission is repaired by the model (the detector's frame class decides, not its block mask).</item>
/// </list>
/// </summary>
public static class RepairPolicy
{
    /// <summary>The (compression, transmission) masks to repair for a frame of class <paramref name="frameClass"/>.</summary>
    public static (BlockMask Compression, BlockMask Transmission) Select(RepairOptions options, FrameClass frameClass, BlockMask compression, BlockMask transmission)
    {
        if (options.SkipCleanFrames && frameClass == FrameClass.Clean)
        {
            var empty = EmptyLike(compression);
            return (empty, empty);
        }

        if (frameClass == FrameClass.Transmission && transmission.FlaggedFraction > options.MaxConcealFraction)
        {
            return (compression, EmptyLike(transmission));
        }

        if (options.ConcealAllInTransmissionFrames && frameClass == FrameClass.Transmission
            && compression.Rows == transmission.Rows && compression.Cols == transmission.Cols)
        {
            var union = new byte[transmission.Bits.Length];
            for (int i = 0; i < union.Length; i++)
            {
                union[i] = (byte)(compression.Bits[i] | transmission.Bits[i]);
            }

            return (EmptyLike(compression), new BlockMask(transmission.BlockSize, transmission.Rows, transmission.Cols, union));
        }

        if (options.WholeCompressionFrames && frameClass == FrameClass.Compression
            && compression.Rows == transmission.Rows && compression.Cols == transmission.Cols)
        {
            var all = new bool[compression.Rows * compression.Cols];
            for (int i = 0; i < all.Length; i++)
            {
                all[i] = !MaskCodec.Get(transmission.Bits, i);
            }

            return (BlockMask.FromBools(compression.BlockSize, compression.Rows, compression.Cols, all), transmission);
        }

        return (compression, transmission);
    }

    /// <summary>A mask of the same grid with nothing flagged.</summary>
    public static BlockMask EmptyLike(BlockMask m) => new(m.BlockSize, m.Rows, m.Cols, new byte[m.Bits.Length]);
}
