using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using VideoQuality.Media;

namespace VideoQuality.Detection;

/// <summary>
/// The detector's fixed block statistics ("blockstats/1", the manifest's <c>features</c>): the same values as
/// <c>block_features</c> in training/vqtrain/models.py, computed in one pass over the 8-bit planes instead of a
/// dozen full-resolution tensor operations in the ONNX graph. Input: the frame and its previous frame (the frame
/// itself when there is no history), padded right and bottom to <c>paddedWidth x paddedHeight</c> by edge
/// replication. Output, channel-major <c>[50, H/8, W/8]</c>, for every 8x8 block (x = Y on the 0-255 scale):
/// <list type="table">
/// <item><term>0-7</term><description>log1p of the mean over the block's 8 rows of |x[i,j+1]-x[i,j]|, per column j (0 past the right edge)</description></item>
/// <item><term>8-15</term><description>log1p of the mean over the block's 8 columns of |x[i+1,j]-x[i,j]|, per row i (0 past the bottom edge)</description></item>
/// <item><term>16-31</term><description>the same two profiles of the previous frame</description></item>
/// <item><term>32-39, 40-47</term><description>log1p of the row and column profiles of |x - previous|</description></item>
/// <item><term>48</term><description>log1p(sqrt(max(var, 0) + 1e-6)) of the block's pixels</description></item>
/// <item><term>49</term><description>the block mean / 255</description></item>
/// </list>
/// Sums are exact integers here; the training side computes in float32, so values agree to about 1e-5.
/// </summary>
public static class BlockFeatures
{
    /// <summary>Channels of the feature tensor.</summary>
    public const int Channels = 50;

    /// <summary>Block size in pixels.</summary>
    public const int Block = 8;

    /// <summary>The manifest's name for this definition.</summary>
    public const string Definition = "blockstats/1";

    // log1p(sum / 8) for every sum of 8 absolute differences (0..8*255).
    private static readonly float[] Log1pOfEighths = Enumerable.Range(0, (8 * 255) + 1).Select(s => (float)Math.Log(1.0 + (s / 8.0))).ToArray();

    /// <summary>Number of floats <see cref="Compute"/> writes for a padded frame.</summary>
    public static int Length(int paddedWidth, int paddedHeight) => Channels * (paddedWidth / Block) * (paddedHeight / Block);

    /// <summary>Computes the features of <paramref name="current"/> with temporal context <paramref name="previous"/>
    /// (same size) into <paramref name="dest"/>, for the frame padded to <paramref name="paddedWidth"/> x
    /// <paramref name="paddedHeight"/> (multiples of 8, at least the plane's size).</summary>
    public static void Compute(in PlaneView current, in PlaneView previous, int paddedWidth, int paddedHeight, Span<float> dest) =>
        Compute(current, previous, paddedWidth, paddedHeight, dest, Sse2.IsSupported);

    /// <summary>As <see cref="Compute(in PlaneView, in PlaneView, int, int, Span{float})"/>; <paramref name="vectorized"/>
    /// false forces the portable scalar path (tests compare the two).</summary>
    internal static void Compute(in PlaneView current, in PlaneView previous, int paddedWidth, int paddedHeight, Span<float> dest, bool vectorized)
    {
        int w = current.Width, h = current.Height, pw = paddedWidth, ph = paddedHeight;
        if (previous.Width != w || previous.Height != h)
        {
            throw new ArgumentException($"previous frame is {previous.Width}x{previous.Height}, the frame {w}x{h}");
        }

        if (pw % Block != 0 || ph % Block != 0 || pw < w || ph < h || w <= 0 || h <= 0)
        {
            throw new ArgumentException($"padded size {pw}x{ph} must be multiples of {Block} covering {w}x{h}");
        }

        int rows = ph / Block, cols = pw / Block, plane = rows * cols;
        if (dest.Length < Channels * plane)
        {
            throw new ArgumentException("destination is smaller than the feature tensor");
        }

        // Row buffers hold one padded row plus the replicated column past the edge (so the difference there is 0)
        // and slack for 16-byte loads.
        int rowLen = pw + 1 + 16;
        var pool = ArrayPool<byte>.Shared;
        byte[] cA = pool.Rent(rowLen), cB = pool.Rent(rowLen), pA = pool.Rent(rowLen), pB = pool.Rent(rowLen);
        ushort[] acc = ArrayPool<ushort>.Shared.Rent(3 * pw);
        int[] rowSums = ArrayPool<int>.Shared.Rent((3 * Block * cols) + (2 * cols));
        try
        {
            var cur = current;
            var prev = previous;
            for (int r = 0; r < rows; r++)
            {
                var colDx = acc.AsSpan(0, pw);
                var colPdx = acc.AsSpan(pw, pw);
                var colDt = acc.AsSpan(2 * pw, pw);
                acc.AsSpan(0, 3 * pw).Clear();
                var sums = rowSums.AsSpan(0, (3 * Block * cols) + (2 * cols));
                sums.Clear();

                byte[] c = cA, n = cB, p = pA, pn = pB;
                LoadRow(cur, Math.Min(r * Block, h - 1), pw, c);
                LoadRow(prev, Math.Min(r * Block, h - 1), pw, p);
                for (int i = 0; i < Block; i++)
                {
                    int y = (r * Block) + i;
                    bool hasNext = y + 1 < ph;
                    if (hasNext)
                    {
                        LoadRow(cur, Math.Min(y + 1, h - 1), pw, n);
                        LoadRow(prev, Math.Min(y + 1, h - 1), pw, pn);
                    }

                    var rowDy = sums.Slice(i * cols, cols);
                    var rowPdy = sums.Slice((Block + i) * cols, cols);
                    var rowDt = sums.Slice(((2 * Block) + i) * cols, cols);
                    var blockSum = sums.Slice(3 * Block * cols, cols);
                    var blockSq = sums.Slice((3 * Block * cols) + cols, cols);
                    // Past the bottom edge the vertical difference is 0: compare the row with itself.
                    var nn = hasNext ? n : c;
                    var ppn = hasNext ? pn : p;
                    if (vectorized)
                    {
                        RowVector(c, nn, p, ppn, pw, colDx, colPdx, colDt, rowDy, rowPdy, rowDt, blockSum, blockSq);
                    }
                    else
                    {
                        RowScalar(c, nn, p, ppn, 0, pw, colDx, colPdx, colDt, rowDy, rowPdy, rowDt, blockSum, blockSq);
                    }

                    (c, n) = (n, c);
                    (p, pn) = (pn, p);
                }

                WriteBlockRow(r, rows, cols, colDx, colPdx, colDt, sums, dest);
            }
        }
        finally
        {
            pool.Return(cA);
            pool.Return(cB);
            pool.Return(pA);
            pool.Return(pB);
            ArrayPool<ushort>.Shared.Return(acc);
            ArrayPool<int>.Shared.Return(rowSums);
        }
    }

    /// <summary>Copies row <paramref name="y"/> and replicates its last pixel up to <c>paddedWidth + 1</c> and the slack.</summary>
    private static void LoadRow(in PlaneView plane, int y, int paddedWidth, byte[] dest)
    {
        var src = plane.Row(y);
        src.CopyTo(dest);
        dest.AsSpan(plane.Width, dest.Length - plane.Width).Fill(src[^1]);
    }

    /// <summary>One row's sums over columns <paramref name="from"/> to <paramref name="pw"/> (the portable path, and
    /// the vectorised path's last block when the block count is odd).</summary>
    private static void RowScalar(byte[] c, byte[] n, byte[] p, byte[] pn, int from, int pw,
        Span<ushort> colDx, Span<ushort> colPdx, Span<ushort> colDt,
        Span<int> rowDy, Span<int> rowPdy, Span<int> rowDt, Span<int> blockSum, Span<int> blockSq)
    {
        for (int j = from; j < pw; j++)
        {
            int x = c[j], q = p[j];
            colDx[j] += (ushort)Math.Abs(c[j + 1] - x);
            colPdx[j] += (ushort)Math.Abs(p[j + 1] - q);
            colDt[j] += (ushort)Math.Abs(x - q);
            int b = j / Block;
            rowDy[b] += Math.Abs(n[j] - x);
            rowPdy[b] += Math.Abs(pn[j] - q);
            rowDt[b] += Math.Abs(x - q);
            blockSum[b] += x;
            blockSq[b] += x * x;
        }
    }

    private static void RowVector(byte[] c, byte[] n, byte[] p, byte[] pn, int pw,
        Span<ushort> colDx, Span<ushort> colPdx, Span<ushort> colDt,
        Span<int> rowDy, Span<int> rowPdy, Span<int> rowDt, Span<int> blockSum, Span<int> blockSq)
    {
        ref byte rc = ref c[0], rn = ref n[0], rp = ref p[0], rpn = ref pn[0];
        ref ushort ax = ref colDx[0], apx = ref colPdx[0], at = ref colDt[0];
        var zero = Vector128<byte>.Zero;
        // pw is a multiple of 8: 16 pixels (two blocks) at a time, then one block of 8 if left.
        int j = 0;
        for (; j + 16 <= pw; j += 16)
        {
            var vc = Vector128.LoadUnsafe(ref rc, (nuint)j);
            var vc1 = Vector128.LoadUnsafe(ref rc, (nuint)(j + 1));
            var vp = Vector128.LoadUnsafe(ref rp, (nuint)j);
            var vp1 = Vector128.LoadUnsafe(ref rp, (nuint)(j + 1));
            var vn = Vector128.LoadUnsafe(ref rn, (nuint)j);
            var vpn = Vector128.LoadUnsafe(ref rpn, (nuint)j);
            Accumulate(ref ax, j, AbsDiff(vc1, vc));
            Accumulate(ref apx, j, AbsDiff(vp1, vp));
            Accumulate(ref at, j, AbsDiff(vc, vp));

            int b = j / Block;
            var dy = Sse2.SumAbsoluteDifferences(vn, vc);
            var pdy = Sse2.SumAbsoluteDifferences(vpn, vp);
            var dt = Sse2.SumAbsoluteDifferences(vc, vp);
            var sum = Sse2.SumAbsoluteDifferences(vc, zero);
            rowDy[b] += dy.GetElement(0);
            rowDy[b + 1] += dy.GetElement(4);
            rowPdy[b] += pdy.GetElement(0);
            rowPdy[b + 1] += pdy.GetElement(4);
            rowDt[b] += dt.GetElement(0);
            rowDt[b + 1] += dt.GetElement(4);
            blockSum[b] += sum.GetElement(0);
            blockSum[b + 1] += sum.GetElement(4);
            var lo = Vector128.WidenLower(vc).AsInt16();
            var hi = Vector128.WidenUpper(vc).AsInt16();
            blockSq[b] += Vector128.Sum(Sse2.MultiplyAddAdjacent(lo, lo));
            blockSq[b + 1] += Vector128.Sum(Sse2.MultiplyAddAdjacent(hi, hi));
        }

        // The last block of an odd number of blocks: the scalar path on its 8 columns.
        RowScalar(c, n, p, pn, j, pw, colDx, colPdx, colDt, rowDy, rowPdy, rowDt, blockSum, blockSq);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> AbsDiff(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a, b) - Vector128.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref ushort acc, int j, Vector128<byte> d)
    {
        var lo = Vector128.LoadUnsafe(ref acc, (nuint)j) + Vector128.WidenLower(d);
        var hi = Vector128.LoadUnsafe(ref acc, (nuint)(j + 8)) + Vector128.WidenUpper(d);
        lo.StoreUnsafe(ref acc, (nuint)j);
        hi.StoreUnsafe(ref acc, (nuint)(j + 8));
    }

    /// <summary>Turns one block row's sums into the 50 feature values of each of its blocks.</summary>
    private static void WriteBlockRow(int r, int rows, int cols, ReadOnlySpan<ushort> colDx, ReadOnlySpan<ushort> colPdx,
        ReadOnlySpan<ushort> colDt, ReadOnlySpan<int> sums, Span<float> dest)
    {
        int plane = rows * cols, rowOffset = r * cols;
        var log = Log1pOfEighths;
        for (int k = 0; k < Block; k++)
        {
            var dx = dest.Slice((k * plane) + rowOffset, cols);
            var dy = dest.Slice(((Block + k) * plane) + rowOffset, cols);
            var pdx = dest.Slice(((2 * Block) + k) * plane + rowOffset, cols);
            var pdy = dest.Slice(((3 * Block) + k) * plane + rowOffset, cols);
            var dtRow = dest.Slice(((4 * Block) + k) * plane + rowOffset, cols);
            var dtCol = dest.Slice(((5 * Block) + k) * plane + rowOffset, cols);
            var sDy = sums.Slice(k * cols, cols);
            var sPdy = sums.Slice((Block + k) * cols, cols);
            var sDt = sums.Slice(((2 * Block) + k) * cols, cols);
            for (int b = 0; b < cols; b++)
            {
                int j = (b * Block) + k;
                dx[b] = log[colDx[j]];
                pdx[b] = log[colPdx[j]];
                dtCol[b] = log[colDt[j]];
                dy[b] = log[sDy[b]];
                pdy[b] = log[sPdy[b]];
                dtRow[b] = log[sDt[b]];
            }
        }

        var blockSum = sums.Slice(3 * Block * cols, cols);
        var blockSq = sums.Slice((3 * Block * cols) + cols, cols);
        var std = dest.Slice((48 * plane) + rowOffset, cols);
        var mean = dest.Slice((49 * plane) + rowOffset, cols);
        for (int b = 0; b < cols; b++)
        {
            long s = blockSum[b];
            double variance = ((64.0 * blockSq[b]) - ((double)s * s)) / 4096.0;
            std[b] = (float)Math.Log(1.0 + Math.Sqrt(Math.Max(variance, 0.0) + 1e-6));
            mean[b] = (float)(s / 64.0 / 255.0);
        }
    }
}
