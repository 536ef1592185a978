using VideoQuality.Media;
using VideoQuality.Repair;

namespace VideoQuality.Tests.Repair;

/// <summary>
/// <see cref="TemporalConcealer"/> on synthetic smooth motion like vqbench's pan/zoom clips: sub-pixel translations,
/// a slow zoom (an affine field) and static content.
/// </summary>
public class ConcealmentTests
{
    private const int W = 320, H = 192, Rows = H / 8, Cols = W / 8;

    /// <summary>Smooth texture, sampled anywhere (no aliasing at 1 px).</summary>
    private static double Texture(double x, double y) =>
        110 + (45 * Math.Sin(x / 5.3)) + (35 * Math.Cos(y / 4.1)) + (20 * Math.Sin((x + y) / 7.7));

    /// <summary>An I420 frame whose pixel (x, y) shows the texture at <paramref name="map"/>(x, y); flat chroma.</summary>
    private static YuvImage Frame(Func<double, double, (double X, double Y)> map)
    {
        var buf = new byte[(W * H) + (2 * (W / 2) * (H / 2))];
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                var (sx, sy) = map(x, y);
                buf[(y * W) + x] = (byte)Math.Clamp(Math.Round(Texture(sx, sy)), 0, 255);
            }
        }

        buf.AsSpan(W * H).Fill(128);
        return YuvImage.From(FrameDecoder.Decode(RawFrame.I420(W, H, buf)));
    }

    private static bool[] Grid(Func<int, int, bool> flagged)
    {
        var grid = new bool[Rows * Cols];
        for (int i = 0; i < grid.Length; i++)
        {
            grid[i] = flagged(i / Cols, i % Cols);
        }

        return grid;
    }

    /// <summary>Conceals the flagged blocks of <paramref name="truth"/> (garbage there) from <paramref name="prev"/>; mean
    /// absolute luma error in those blocks.</summary>
    private static double ConcealError(YuvImage prev, Func<YuvImage> truth, bool[] flagged, RepairOptions o)
    {
        var expected = truth();
        var cur = truth();
        for (int i = 0; i < W * H; i++)
        {
            if (flagged[((i / W / 8) * Cols) + (i % W / 8)])
            {
                cur.Y[i] = (byte)((i * 37) & 255);
            }
        }

        int blocks = TemporalConcealer.Conceal(cur, prev, flagged, Rows, Cols, o);
        Assert.Equal(flagged.Count(f => f), blocks);
        double err = 0;
        int n = 0;
        for (int i = 0; i < W * H; i++)
        {
            if (flagged[((i / W / 8) * Cols) + (i % W / 8)])
            {
                err += Math.Abs(cur.Y[i] - expected.Y[i]);
                n++;
            }
            else
            {
                Assert.Equal(expected.Y[i], cur.Y[i]); // intact pixels are never written
            }
        }

        return err / n;
    }

    private static readonly RepairOptions IntegerPel = new() { SubpelMotion = false, GlobalMotion = false, NeighbourCandidates = false };

    [Fact]
    public void A_sub_pixel_shift_is_concealed_with_quarter_pel_accuracy()
    {
        var prev = Frame((x, y) => (x, y));
        YuvImage Cur() => Frame((x, y) => (x + 0.5, y - 0.25)); // cur(x, y) = prev(x + 0.5, y - 0.25)
        var hole = Grid((r, c) => r is >= 8 and < 12 && c is >= 16 and < 20);

        double subpel = ConcealError(prev, Cur, hole, new RepairOptions());
        double integer = ConcealError(prev, Cur, hole, IntegerPel);
        Assert.True(subpel < 1.0 && subpel < 0.4 * integer, $"sub-pel {subpel:0.00}, integer-pel {integer:0.00}");
    }

    [Fact]
    public void Zoom_and_pan_are_followed_by_the_global_field_inside_a_hole_with_no_intact_ring()
    {
        // A slow zoom about the centre plus a sub-pixel pan, as vqbench's zoompan clips: an affine motion field.
        var prev = Frame((x, y) => (x, y));
        static (double, double) Zoom(double x, double y) => (160 + ((x - 160) * 0.99) + 0.6, 96 + ((y - 96) * 0.99) - 0.3);
        YuvImage Cur() => Frame(Zoom);
        var band = Grid((r, _) => r is >= 8 and < 16); // a lost slice: 64 full-width rows, most tiles far from any intact pixel

        double global = ConcealError(prev, Cur, band, new RepairOptions());
        double local = ConcealError(prev, Cur, band, new RepairOptions { GlobalMotion = false });
        Assert.True(global < 1.5 && global < 0.5 * local, $"global field {global:0.00}, local vectors only {local:0.00}");
    }

    [Fact]
    public void The_global_field_is_the_affine_motion_of_the_intact_blocks()
    {
        var prev = Frame((x, y) => (x, y));
        var cur = Frame((x, y) => (160 + ((x - 160) * 0.99) + 0.6, 96 + ((y - 96) * 0.99) - 0.3));
        var flagged = Grid((r, _) => r is >= 8 and < 12);
        var m = TemporalConcealer.EstimateGlobal(cur, prev, flagged, Rows, Cols, new RepairOptions());
        Assert.NotNull(m);
        foreach (var (x, y) in new[] { (0.0, 0.0), (319.0, 0.0), (160.0, 96.0), (0.0, 191.0), (319.0, 191.0) })
        {
            var (vx, vy) = m.Value.At(x, y);
            Assert.InRange(vx, (-0.01 * (x - 160)) + 0.6 - 0.15, (-0.01 * (x - 160)) + 0.6 + 0.15);
            Assert.InRange(vy, (-0.01 * (y - 96)) - 0.3 - 0.15, (-0.01 * (y - 96)) - 0.3 + 0.15);
        }
    }

    [Fact]
    public void Static_content_gets_the_co_located_copy_exactly()
    {
        var prev = Frame((x, y) => (x, y));
        var hole = Grid((r, c) => (r is >= 4 and < 8 && c is >= 4 and < 8) || (r is >= 12 and < 20 && c is >= 20 and < 40));
        Assert.Equal(0, ConcealError(prev, () => Frame((x, y) => (x, y)), hole, new RepairOptions()));
    }
}
