using CsCheck;
using Google.Protobuf;
using VideoQuality.Detection;
using VideoQuality.Detection.Grpc;
using VideoQuality.Media;

namespace VideoQuality.Tests.Fuzz;

/// <summary>
/// Property-based tests of mask encoding: a block grid of any shape packs and unpacks to itself (directly and through
/// the contract), a malformed mask message is refused with <see cref="FrameFormatException"/>, and region merging
/// reports exactly the 4-connected groups of set blocks, checked against an independent union-find labelling.
/// </summary>
public class MaskPropertyTests
{
    private static readonly Gen<(int Rows, int Cols, bool[] Grid)> AnyGrid =
        Gen.Select(Gen.Int[0, 40], Gen.Int[0, 40], Gen.Double[0, 1]).SelectMany((rows, cols, density) =>
            Gen.Double[0, 1].Array[rows * cols].Select(u => (rows, cols, u.Select(x => x < density).ToArray())));

    [Fact]
    public void Any_grid_packs_and_unpacks_to_itself_directly_and_through_the_contract() =>
        AnyGrid.Sample(g =>
        {
            var mask = BlockMask.FromBools(16, g.Rows, g.Cols, g.Grid);
            Assert.Equal(g.Grid, MaskCodec.Unpack(mask.Bits, g.Rows * g.Cols));
            Assert.Equal(g.Grid.Count(b => b), mask.Flagged);
            for (int r = 0; r < g.Rows; r++)
            {
                for (int c = 0; c < g.Cols; c++)
                {
                    Assert.Equal(g.Grid[(r * g.Cols) + c], mask[r, c]);
                }
            }

            var back = ContractMapping.ToProto(mask).ToBlockMask();
            Assert.Equal((mask.BlockSize, mask.Rows, mask.Cols, mask.Flagged), (back.BlockSize, back.Rows, back.Cols, back.Flagged));
            Assert.Equal(mask.Bits, back.Bits);
        }, iter: 1000);

    private static readonly Gen<uint> Side = Gen.Frequency(
        (2, Gen.UInt[0, 64]),
        (1, Gen.OneOf<uint>(65535u, 65536u, 65537u, 99_999u, 100_000u, 100_001u, int.MaxValue, uint.MaxValue)));

    [Fact]
    public void A_mask_message_either_matches_its_grid_or_is_refused() =>
        Gen.Select(Side, Side, Gen.Frequency((3, Gen.Byte.Array[0, 600]), (1, Gen.Const(Array.Empty<byte>())))).Sample((rows, cols, bits) =>
        {
            var message = new VideoQuality.Contracts.V1.BlockMask { BlockSize = 16, Rows = rows, Cols = cols, Bits = ByteString.CopyFrom(bits) };
            BlockMask mask;
            try
            {
                mask = message.ToBlockMask();
            }
            catch (FrameFormatException)
            {
                return;
            }

            Assert.Equal(MaskCodec.PackedLength(checked(mask.Rows * mask.Cols)), mask.Bits.Length);
            if (mask.Rows * mask.Cols > 0)
            {
                _ = mask[mask.Rows - 1, mask.Cols - 1];
            }
        }, iter: 3000);

    [Fact]
    public void A_mask_whose_cell_count_overflows_32_bits_is_refused()
    {
        // Found by the property above: 65536 x 65536 wrapped to 0 cells and passed with empty bits.
        var message = new VideoQuality.Contracts.V1.BlockMask { BlockSize = 16, Rows = 65536, Cols = 65536 };
        Assert.Throws<FrameFormatException>(() => message.ToBlockMask());
    }

    [Fact]
    public void Regions_are_exactly_the_four_connected_groups_of_set_blocks() =>
        Gen.Select(AnyGrid, Gen.Int[1, 16]).Sample((g, trim) =>
        {
            const int bs = 16;
            var mask = BlockMask.FromBools(bs, g.Rows, g.Cols, g.Grid);
            int frameW = Math.Max(1, (g.Cols * bs) - (trim % bs)), frameH = Math.Max(1, (g.Rows * bs) - (trim % bs));
            var regions = RegionMerger.Merge(mask, null, [], frameW, frameH);

            var expected = Components(g.Rows, g.Cols, g.Grid)
                .Select(c => (X: c.C0 * bs, Y: c.R0 * bs, W: Math.Min((c.C1 + 1) * bs, frameW) - (c.C0 * bs), H: Math.Min((c.R1 + 1) * bs, frameH) - (c.R0 * bs), c.Count))
                .Order().ToList();
            var actual = regions.Select(r => (r.X, r.Y, W: r.Width, H: r.Height, Count: r.Blocks)).Order().ToList();
            Assert.Equal(expected, actual);
            Assert.Equal(mask.Flagged, regions.Sum(r => r.Blocks));
        }, iter: 1000);

    /// <summary>Reference labelling: union-find over right/down neighbours, then bounding box and size per root.</summary>
    private static IEnumerable<(int R0, int C0, int R1, int C1, int Count)> Components(int rows, int cols, bool[] grid)
    {
        var parent = Enumerable.Range(0, rows * cols).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int i = (r * cols) + c;
                if (!grid[i])
                {
                    continue;
                }

                if (c + 1 < cols && grid[i + 1])
                {
                    parent[Find(i + 1)] = Find(i);
                }

                if (r + 1 < rows && grid[i + cols])
                {
                    parent[Find(i + cols)] = Find(i);
                }
            }
        }

        return Enumerable.Range(0, rows * cols).Where(i => grid[i]).GroupBy(Find).Select(grp =>
            (grp.Min(i => i / cols), grp.Min(i => i % cols), grp.Max(i => i / cols), grp.Max(i => i % cols), grp.Count()));
    }
}
