using VideoQuality.Media;

namespace VideoQuality.Repair;

/// <summary>
/// A mutable, tightly packed copy of a raw YUV frame that repair works on: the luma plane and, for 4:2:0 input,
/// the two half-resolution chroma planes (NV12 is de-interleaved into U and V). Also converts back to I420,
/// NV12 or GRAY8 bytes.
/// </summary>
internal sealed class YuvImage
{
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

    public int ChromaWidth => Width / 2;

    public int ChromaHeight => Height / 2;

    public byte[] Y { get; }

    public byte[]? U { get; }

    public byte[]? V { get; }

    public bool HasChroma => U is not null;

    /// <summary>Copies a decoded I420, NV12 or GRAY8 frame; other formats are rejected with a caller-facing message.</summary>
    public static YuvImage From(DecodedFrame frame)
    {
        if (frame.Layout is not { Format: FramePixelFormat.I420 or FramePixelFormat.Nv12 or FramePixelFormat.Gray8 })
        {
            throw new FrameFormatException(
                $"the enhancer repairs raw YUV frames (I420, NV12, GRAY8); {frame.SourceFormat.Name()} frames are not supported");
        }

        var y = frame.Luma.ToPackedArray();
        if (!frame.TryGetChroma(out var u, out var v))
        {
            return new YuvImage(frame.Width, frame.Height, y, null, null);
        }

        int cw = frame.Width / 2, ch = frame.Height / 2;
        if (frame.Layout.Format == FramePixelFormat.I420)
        {
            return new YuvImage(frame.Width, frame.Height, y, u.ToPackedArray(), v.ToPackedArray());
        }

        var uu = new byte[cw * ch];
        var vv = new byte[cw * ch];
        for (int r = 0; r < ch; r++)
        {
            var row = u.Row(r);
            for (int c = 0; c < cw; c++)
            {
                uu[(r * cw) + c] = row[2 * c];
                vv[(r * cw) + c] = row[(2 * c) + 1];
            }
        }

        return new YuvImage(frame.Width, frame.Height, y, uu, vv);
    }

    /// <summary>A deep copy (the stream history keeps one).</summary>
    public YuvImage Clone() => new(Width, Height, (byte[])Y.Clone(), (byte[]?)U?.Clone(), (byte[]?)V?.Clone());

    /// <summary>The frame's bytes in <paramref name="format"/> (I420, NV12 or GRAY8; chroma 128 when the source had none).</summary>
    public RawFrame ToRawFrame(FramePixelFormat format)
    {
        int n = Width * Height, cw = ChromaWidth, ch = ChromaHeight;
        switch (format)
        {
            case FramePixelFormat.Gray8:
                return RawFrame.Gray8(Width, Height, (byte[])Y.Clone());
            case FramePixelFormat.I420:
            {
                RequireEven(format);
                var buf = new byte[n + (2 * cw * ch)];
                Y.CopyTo(buf, 0);
                FillChroma(U, buf.AsSpan(n, cw * ch));
                FillChroma(V, buf.AsSpan(n + (cw * ch), cw * ch));
                return RawFrame.I420(Width, Height, buf);
            }

            case FramePixelFormat.Nv12:
            {
                RequireEven(format);
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

            default:
                throw new FrameFormatException(
                    $"output format {format.Name()} is not supported by the enhancer (use I420, NV12 or GRAY8)");
        }
    }

    private void RequireEven(FramePixelFormat format)
    {
        if (Width % 2 != 0 || Height % 2 != 0)
        {
            throw new FrameFormatException($"output format {format.Name()} needs an even frame size, the frame is {Width}x{Height}");
        }
    }

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
}
