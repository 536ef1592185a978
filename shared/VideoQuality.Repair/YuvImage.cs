using VideoQuality.Media;

namespace VideoQuality.Repair;

/// <summary>
/// A mutable, tightly packed YUV copy of a frame that repair works on: the luma plane and, for colour input, the two
/// 4:2:0 chroma planes (<c>ceil(W/2) x ceil(H/2)</c>; NV12 is de-interleaved, RGB-based input is converted with
/// <see cref="Bt601"/>). Converts back to any <see cref="FramePixelFormat"/>.
/// <para>
/// RGB-based input (RGB24, BGR24, JPEG, PNG) keeps its original pixels and its planes as converted: on the way back
/// to RGB every pixel whose Y and co-sited U/V are unchanged keeps its original bytes exactly, so only the pixels
/// repair touched are rewritten and the YUV round trip costs nothing elsewhere. A changed pixel gets the RGB
/// equivalent of its YUV change added to its original colour (its full-resolution chroma detail survives the model's
/// luma repair), except in blocks <see cref="MarkReplaced">replaced</see> wholesale (temporal concealment), which are
/// converted from the new YUV.
/// </para>
/// </summary>
internal sealed class YuvImage
{
    private RgbSource? _source;
    private bool[]? _replaced;

    private YuvImage(int width, int height, byte[] y, byte[]? u, byte[]? v)
    {
        Width = width;
        Height = height;
        Y = y;
        U = u;
        V = v;
    }

    public int Width { get; }

    public int Height { get; }

    public int ChromaWidth => Bt601.ChromaSide(Width);

    public int ChromaHeight => Bt601.ChromaSide(Height);

    public byte[] Y { get; }

    public byte[]? U { get; }

    public byte[]? V { get; }

    public bool HasChroma => U is not null;

    /// <summary>Copies (YUV) or converts (RGB24, BGR24, JPEG, PNG) a decoded frame.</summary>
    public static YuvImage From(DecodedFrame frame)
    {
        int w = frame.Width, h = frame.Height, cw = Bt601.ChromaSide(w), ch = Bt601.ChromaSide(h);
        var y = frame.Luma.ToPackedArray();
        if (frame.Rgb is { } rgb)
        {
            // The decoder already made the luma (a buffer of its own); only chroma is converted here.
            var u = new byte[cw * ch];
            var v = new byte[cw * ch];
            Bt601.ToChroma420(rgb, u, v);
            return new YuvImage(w, h, y, u, v)
            {
                _source = new RgbSource(rgb, frame.Luma.ToPackedArray(), (byte[])u.Clone(), (byte[])v.Clone()),
            };
        }

        if (frame.Layout is not { Format: FramePixelFormat.I420 or FramePixelFormat.Nv12 or FramePixelFormat.Gray8 })
        {
            throw new FrameFormatException($"{frame.SourceFormat.Name()} frames cannot be repaired");
        }

        if (!frame.TryGetChroma(out var cu, out var cv))
        {
            return new YuvImage(w, h, y, null, null);
        }

        if (frame.Layout.Format == FramePixelFormat.I420)
        {
            return new YuvImage(w, h, y, cu.ToPackedArray(), cv.ToPackedArray());
        }

        var uu = new byte[cw * ch];
        var vv = new byte[cw * ch];
        for (int r = 0; r < ch; r++)
        {
            var row = cu.Row(r);
            for (int c = 0; c < cw; c++)
            {
                uu[(r * cw) + c] = row[2 * c];
                vv[(r * cw) + c] = row[(2 * c) + 1];
            }
        }

        return new YuvImage(w, h, y, uu, vv);
    }

    /// <summary>
    /// Marks 8x8 blocks (row-major grid of <c>ceil(H/8) x ceil(W/8)</c>) whose content was replaced rather than
    /// corrected: their changed pixels are converted from YUV on the way back to RGB.
    /// </summary>
    public void MarkReplaced(ReadOnlySpan<bool> blocks) => _replaced = blocks.ToArray();

    /// <summary>Drops the original RGB pixels (the stream history keeps only YUV, not the caller's buffers).</summary>
    public void ForgetSource()
    {
        _source = null;
        _replaced = null;
    }

    /// <summary>
    /// The frame's bytes in <paramref name="format"/>: I420/NV12/GRAY8 from the planes (chroma 128 when the source had
    /// none; I420/NV12 need an even size), RGB24/BGR24 tightly packed, PNG (lossless) or JPEG at
    /// <paramref name="jpegQuality"/> encoded with SkiaSharp.
    /// </summary>
    public RawFrame ToRawFrame(FramePixelFormat format, int jpegQuality = ImageEncoder.DefaultJpegQuality)
    {
        int n = Width * Height, cw = ChromaWidth, ch = ChromaHeight;
        switch (format)
        {
            case FramePixelFormat.Gray8:
                return RawFrame.Gray8(Width, Height, (byte[])Y.Clone());
            case FramePixelFormat.I420:
            {
                RequireEven(format, Width, Height);
                var buf = new byte[n + (2 * cw * ch)];
                Y.CopyTo(buf, 0);
                FillChroma(U, buf.AsSpan(n, cw * ch));
                FillChroma(V, buf.AsSpan(n + (cw * ch), cw * ch));
                return RawFrame.I420(Width, Height, buf);
            }

            case FramePixelFormat.Nv12:
            {
                RequireEven(format, Width, Height);
                var buf = new byte[n + (2 * cw * ch)];
                Y.CopyTo(buf, 0);
                var uv = buf.AsSpan(n);
                for (int i = 0; i < cw * ch; i++)
                {
                    uv[2 * i] = U is null ? (byte)128 : U[i];
                    uv[(2 * i) + 1] = V is null ? (byte)128 : V[i];
                }

                return new RawFrame(FramePixelFormat.Nv12, Width, Height, buf);
            }

            case FramePixelFormat.Rgb24:
                return new RawFrame(format, Width, Height, ToPacked(RgbOrder.Rgb24));
            case FramePixelFormat.Bgr24:
                return new RawFrame(format, Width, Height, ToPacked(RgbOrder.Bgr24));
            case FramePixelFormat.Jpeg:
            case FramePixelFormat.Png:
            {
                var rgba = new RgbView(ToPacked(RgbOrder.Rgba32), Width, Height, Width * 4, RgbOrder.Rgba32, _source?.Pixels.HasAlpha ?? false);
                return new RawFrame(format, Width, Height, ImageEncoder.Encode(rgba, format, jpegQuality));
            }

            default:
                throw new FrameFormatException($"unknown output format {(int)format}");
        }
    }

    /// <summary>Throws the caller-facing error for an I420/NV12 output of an odd-sized frame.</summary>
    public static void RequireEven(FramePixelFormat format, int width, int height)
    {
        if (format is FramePixelFormat.I420 or FramePixelFormat.Nv12 && (width % 2 != 0 || height % 2 != 0))
        {
            throw new FrameFormatException($"output format {format.Name()} needs an even frame size, the frame is {width}x{height}");
        }
    }

    private byte[] ToPacked(RgbOrder order)
    {
        int stride = Width * order.PixelBytes();
        var dst = new byte[stride * Height];
        if (_source is null)
        {
            Bt601.ToRgb(Y, U, V, Width, Height, dst, stride, order);
            return dst;
        }

        Bt601.Repack(_source.Pixels, dst, stride, order);
        WriteBackChanges(dst, stride, order);
        return dst;
    }

    /// <summary>Applies the YUV changes made since <see cref="From"/> to the original pixels already in <paramref name="dst"/>.</summary>
    private void WriteBackChanges(Span<byte> dst, int stride, RgbOrder order)
    {
        var s = _source!;
        int w = Width, cw = ChromaWidth, cols = (w + 7) / 8, step = order.PixelBytes(), ri = order.RedIndex(), bi = 2 - ri;
        var u = U!;
        var v = V!;
        for (int y = 0; y < Height; y++)
        {
            var yRow = Y.AsSpan(y * w, w);
            var y0Row = s.Y.AsSpan(y * w, w);
            int co = (y >> 1) * cw;
            var uRow = u.AsSpan(co, cw);
            var u0Row = s.U.AsSpan(co, cw);
            var vRow = v.AsSpan(co, cw);
            var v0Row = s.V.AsSpan(co, cw);
            if (yRow.SequenceEqual(y0Row) && uRow.SequenceEqual(u0Row) && vRow.SequenceEqual(v0Row))
            {
                continue;
            }

            var outRow = dst.Slice(y * stride, w * step);
            var replacedRow = _replaced is null ? default : _replaced.AsSpan((y >> 3) * cols, cols);
            for (int x = 0, i = 0; x < w; x++, i += step)
            {
                int c = x >> 1, dy = yRow[x] - y0Row[x], du = uRow[c] - u0Row[c], dv = vRow[c] - v0Row[c];
                if ((dy | du | dv) == 0)
                {
                    continue;
                }

                byte r, g, b;
                if (!replacedRow.IsEmpty && replacedRow[x >> 3])
                {
                    (r, g, b) = Bt601.ToRgb(yRow[x], uRow[c], vRow[c]);
                }
                else
                {
                    var (dr, dg, db) = Bt601.Delta(dy, du, dv);
                    (r, g, b) = (Add(outRow[i + ri], dr), Add(outRow[i + 1], dg), Add(outRow[i + bi], db));
                }

                outRow[i + ri] = r;
                outRow[i + 1] = g;
                outRow[i + bi] = b;
            }
        }
    }

    private static byte Add(byte value, int delta) => (byte)Math.Clamp(value + delta, 0, 255);

    private static void FillChroma(byte[]? plane, Span<byte> dst)
    {
        if (plane is null)
        {
            dst.Fill(128);
        }
        else
        {
            plane.CopyTo(dst);
        }
    }

    /// <summary>The original pixels of RGB-based input and its planes as first converted.</summary>
    private sealed record RgbSource(RgbView Pixels, byte[] Y, byte[] U, byte[] V);
}
