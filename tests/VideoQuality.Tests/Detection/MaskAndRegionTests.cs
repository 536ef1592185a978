using CsCheck;
using VideoQuality.Detection;

namespace VideoQuality.Tests.Detection;

public class MaskCodecTests
{
    [Fact]
    public void Packs_msb_first_like_numpy_packbits()
    {
        // numpy: np.packbits(np.array([(i%3==0) or (i%7==5) for i in range(45)])).tobytes().hex()
        var bits = Enumerable.Range(0, 45).Select(i => i % 3 == 0 || i % 7 == 5).ToArray();
        Assert.Equal("964934b249a0", MaskCodec.ToHex(MaskCodec.Pack(bits)));

        // numpy: g = zeros((3,5)); g[0,0]=g[2,4]=g[1,2]=True; packbits(g.reshape(-1)) -> "8102"
        var grid = new bool[15];
        grid[0] = grid[(2 * 5) + 4] = grid[(1 * 5) + 2] = true;
        var mask = BlockMask.FromBools(8, 3, 5, grid);
        Assert.Equal("8102", mask.ToHex());
        Assert.Equal(3, mask.Flagged);
        Assert.True(mask[2, 4]);
        Assert.False(mask[2, 3]);
    }

    [Fact]
    public void Hex_has_two_digits_per_started_byte()
    {
        Assert.Equal(2 * (((45 * 80) + 7) / 8), MaskCodec.ToHex(MaskCodec.Pack(new bool[45 * 80])).Length);
        Assert.Equal(4, MaskCodec.ToHex(MaskCodec.Pack(new bool[9])).Length);
    }

    [Fact]
    public void Pack_and_unpack_round_trip() =>
        Gen.Bool.Array[0, 300].Sample(bits =>
        {
            var packed = MaskCodec.Pack(bits);
            Assert.Equal(bits, MaskCodec.Unpack(packed, bits.Length));
            Assert.Equal(packed, MaskCodec.FromHex(MaskCodec.ToHex(packed)));
            Assert.Equal(bits.Count(b => b), MaskCodec.PopCount(packed));
        });

    [Fact]
    public void Unpack_rejects_wrong_length() =>
        Assert.Throws<ArgumentException>(() => MaskCodec.Unpack(new byte[2], 17));
}

public class RegionMergerTests
{
    private static BlockMask Grid(int rows, int cols, params (int R, int C)[] set)
    {
        var g = new bool[rows * cols];
        foreach (var (r, c) in set)
        {
            g[(r * cols) + c] = true;
        }

        return BlockMask.FromBools(8, rows, cols, g);
    }

    [Fact]
    public void Connected_blocks_become_one_bounding_rectangle_in_pixels()
    {
        // L shape (0,0),(1,0),(1,1) and a separate block (3,4).
        var union = Grid(4, 5, (0, 0), (1, 0), (1, 1), (3, 4));
        var regions = RegionMerger.Merge(union, Grid(4, 5), [], 40, 32);
        Assert.Equal(2, regions.Count);
        Assert.Equal(new Region(0, 0, 16, 16, 3, FrameClass.Compression, 0f), regions[0]);
        Assert.Equal(new Region(32, 24, 8, 8, 1, FrameClass.Compression, 0f), regions[1]);
    }

    [Fact]
    public void Diagonal_blocks_are_not_connected()
    {
        var regions = RegionMerger.Merge(Grid(2, 2, (0, 0), (1, 1)), null, [], 16, 16);
        Assert.Equal(2, regions.Count);
    }

    [Fact]
    public void Regions_are_clipped_to_the_frame_and_classed_by_transmission_blocks()
    {
        // 21x10 frame -> 2x3 grid; last column/row of blocks are partial.
        var union = Grid(2, 3, (1, 1), (1, 2));
        var trans = Grid(2, 3, (1, 2));
        float[] probs = [0, 0, 0, 0, 0.6f, 0.2f, 0, 0, 0, 0, 0.1f, 0.8f];
        var r = Assert.Single(RegionMerger.Merge(union, trans, probs, 21, 10));
        Assert.Equal((8, 8, 13, 2, 2, FrameClass.Transmission), (r.X, r.Y, r.Width, r.Height, r.Blocks, r.Class));
        Assert.Equal(0.7f, r.Score, 5);
    }

    [Fact]
    public void Empty_mask_has_no_regions() =>
        Assert.Empty(RegionMerger.Merge(Grid(3, 3), null, [], 24, 24));
}
