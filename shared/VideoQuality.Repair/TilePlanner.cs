namespace VideoQuality.Repair;

/// <summary>A rectangle of whole blocks: block column/row of its top-left corner and its size in blocks.</summary>
/// <param name="Col">First block column.</param>
/// <param name="Row">First block row.</param>
/// <param name="Cols">Width in blocks.</param>
/// <param name="Rows">Height in blocks.</param>
public readonly record struct BlockRect(int Col, int Row, int Cols, int Rows)
{
    /// <summary>One past the last column.</summary>
    public int EndCol => Col + Cols;

    /// <summary>One past the last row.</summary>
    public int EndRow => Row + Rows;
}

/// <summary>
/// Tile planning: flagged blocks -> rectangles of whole blocks (so every tile lies on the 8-px grid the models
/// were trained on). Blocks are grouped into connected areas where blocks up to <c>mergeGap</c> blocks apart count
/// as neighbours (nearby damage shares one model run), each area's bounding box is cut into pieces of at most
/// <c>maxSideBlocks</c>, and each piece is shrunk to the flagged blocks it holds (pieces without any are dropped).
/// </summary>
public static class TilePlanner
{
    /// <summary>Plans tiles over a row-major block grid. With <paramref name="contextPixels"/> &gt; 0 (model tiles, whose
    /// input extends that many pixels beyond their blocks on every side) each piece is further cut wherever two smaller tiles, margins included,
    /// cover fewer pixels than one: the model's cost is its input area, and the bounding box of an L-shaped or sparse
    /// area is mostly unflagged blocks. The model's output on a flagged block does not depend on the cut (its receptive
    /// field stays inside the margin).</summary>
    public static List<BlockRect> Plan(ReadOnlySpan<bool> grid, int rows, int cols, int maxSideBlocks, int mergeGap, int contextPixels = 0)
    {
        var tiles = new List<BlockRect>();
        var label = new int[rows * cols];
        var stack = new Stack<int>();
        int next = 0;
        for (int start = 0; start < grid.Length; start++)
        {
            if (!grid[start] || label[start] != 0)
            {
                continue;
            }

            // Flood fill with a (2*mergeGap+1)^2 neighbourhood, tracking the bounding box.
            next++;
            int r0 = start / cols, c0 = start % cols, r1 = r0, c1 = c0;
            label[start] = next;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop(), r = i / cols, c = i % cols;
                (r0, r1, c0, c1) = (Math.Min(r0, r), Math.Max(r1, r), Math.Min(c0, c), Math.Max(c1, c));
                for (int rr = Math.Max(0, r - mergeGap - 1); rr <= Math.Min(rows - 1, r + mergeGap + 1); rr++)
                {
                    for (int cc = Math.Max(0, c - mergeGap - 1); cc <= Math.Min(cols - 1, c + mergeGap + 1); cc++)
                    {
                        int j = (rr * cols) + cc;
                        if (grid[j] && label[j] == 0)
                        {
                            label[j] = next;
                            stack.Push(j);
                        }
                    }
                }
            }

            Split(grid, cols, new BlockRect(c0, r0, c1 - c0 + 1, r1 - r0 + 1), maxSideBlocks, tiles);
        }

        if (contextPixels <= 0)
        {
            return tiles;
        }

        var refined = new List<BlockRect>(tiles.Count);
        foreach (var t in tiles)
        {
            Refine(grid, cols, t, contextPixels, refined);
        }

        return refined;
    }

    /// <summary>Cuts a bounding box into pieces of at most <paramref name="maxSide"/> blocks, each shrunk to its flagged blocks.</summary>
    private static void Split(ReadOnlySpan<bool> grid, int cols, BlockRect box, int maxSide, List<BlockRect> tiles)
    {
        int nx = (box.Cols + maxSide - 1) / maxSide, ny = (box.Rows + maxSide - 1) / maxSide;
        for (int ty = 0; ty < ny; ty++)
        {
            for (int tx = 0; tx < nx; tx++)
            {
                // Even pieces: the box is divided into nx x ny nearly equal parts.
                int cs = box.Col + (tx * box.Cols / nx), ce = box.Col + ((tx + 1) * box.Cols / nx);
                int rs = box.Row + (ty * box.Rows / ny), re = box.Row + ((ty + 1) * box.Rows / ny);
                var piece = Shrink(grid, cols, new BlockRect(cs, rs, ce - cs, re - rs));
                if (piece.Cols > 0)
                {
                    tiles.Add(piece);
                }
            }
        }
    }

    /// <summary>Input area of a model tile in pixels, its context included.</summary>
    private static int Cost(BlockRect r, int context) => r.Cols == 0 ? 0 : ((r.Cols * 8) + (2 * context)) * ((r.Rows * 8) + (2 * context));

    /// <summary>Recursively applies the cheapest single cut (vertical or horizontal) while it lowers the total input area.</summary>
    private static void Refine(ReadOnlySpan<bool> grid, int cols, BlockRect box, int margin, List<BlockRect> tiles)
    {
        int best = Cost(box, margin);
        BlockRect a = default, b = default;
        for (int k = 1; k < box.Cols; k++)
        {
            var l = Shrink(grid, cols, box with { Cols = k });
            var r = Shrink(grid, cols, box with { Col = box.Col + k, Cols = box.Cols - k });
            if (Cost(l, margin) + Cost(r, margin) < best)
            {
                (best, a, b) = (Cost(l, margin) + Cost(r, margin), l, r);
            }
        }

        for (int k = 1; k < box.Rows; k++)
        {
            var u = Shrink(grid, cols, box with { Rows = k });
            var d = Shrink(grid, cols, box with { Row = box.Row + k, Rows = box.Rows - k });
            if (Cost(u, margin) + Cost(d, margin) < best)
            {
                (best, a, b) = (Cost(u, margin) + Cost(d, margin), u, d);
            }
        }

        if (a.Cols == 0 && b.Cols == 0)
        {
            tiles.Add(box);
            return;
        }

        if (a.Cols > 0)
        {
            Refine(grid, cols, a, margin, tiles);
        }

        if (b.Cols > 0)
        {
            Refine(grid, cols, b, margin, tiles);
        }
    }

    /// <summary>The bounding box of the flagged blocks inside <paramref name="box"/> (Cols = 0 when there are none).</summary>
    private static BlockRect Shrink(ReadOnlySpan<bool> grid, int cols, BlockRect box)
    {
        int r0 = int.MaxValue, r1 = -1, c0 = int.MaxValue, c1 = -1;
        for (int r = box.Row; r < box.EndRow; r++)
        {
            for (int c = box.Col; c < box.EndCol; c++)
            {
                if (grid[(r * cols) + c])
                {
                    (r0, r1, c0, c1) = (Math.Min(r0, r), Math.Max(r1, r), Math.Min(c0, c), Math.Max(c1, c));
                }
            }
        }

        return r1 < 0 ? default : new BlockRect(c0, r0, c1 - c0 + 1, r1 - r0 + 1);
    }

    /// <summary>Grid dilated by <paramref name="blocks"/> blocks in every direction (a square structuring element, as max_pool2d).</summary>
    public static bool[] Dilate(ReadOnlySpan<bool> grid, int rows, int cols, int blocks)
    {
        var outGrid = grid.ToArray();
        if (blocks <= 0)
        {
            return outGrid;
        }

        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                if (!grid[(r * cols) + c])
                {
                    continue;
                }

                for (int rr = Math.Max(0, r - blocks); rr <= Math.Min(rows - 1, r + blocks); rr++)
                {
                    for (int cc = Math.Max(0, c - blocks); cc <= Math.Min(cols - 1, c + blocks); cc++)
                    {
                        outGrid[(rr * cols) + cc] = true;
                    }
                }
            }
        }

        return outGrid;
    }
}
