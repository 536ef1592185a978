namespace VideoQuality.Media;

/// <summary>
/// A validated frame: its luma plane (a view over the caller's bytes for I420/NV12/GRAY8, a new buffer for
/// RGB24/BGR24/JPEG/PNG), for raw YUV input its chroma planes, and for RGB-based input its RGB pixels.
/// </summary>
public sealed class DecodedFrame
{
    internal DecodedFrame(FramePixelFormat sourceFormat, PlaneView luma, FrameLayout? layout, ReadOnlyMemory<byte> data, RgbView? rgb = null)
    {
        SourceFormat = sourceFormat;
        Luma = luma;
        Layout = layout;
        Data = data;
        Rgb = rgb;
    }

    /// <summary>The format the frame arrived in.</summary>
    public FramePixelFormat SourceFormat { get; }

    /// <summary>Width in pixels.</summary>
    public int Width => Luma.Width;

    /// <summary>Height in pixels.</summary>
    public int Height => Luma.Height;

    /// <summary>The 8-bit luma plane.</summary>
    public PlaneView Luma { get; }

    /// <summary>Plane layout for raw formats; null for JPEG/PNG.</summary>
    public FrameLayout? Layout { get; }

    /// <summary>The frame's original bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>
    /// RGB pixels of RGB24/BGR24 (a view over the caller's bytes, with their stride) and JPEG/PNG input (the decoded
    /// RGBA, alpha unpremultiplied); null for YUV formats.
    /// </summary>
    public RgbView? Rgb { get; }

    /// <summary>
    /// Chroma planes of I420 input (U, V). For NV12 the single interleaved UV plane is returned as
    /// <paramref name="u"/> with Width = 2 * chroma width and <paramref name="v"/> = default. False for other formats.
    /// </summary>
    public bool TryGetChroma(out PlaneView u, out PlaneView v)
    {
        u = v = default;
        if (Layout is null)
        {
            return false;
        }

        switch (Layout.Format)
        {
            case FramePixelFormat.I420:
                u = View(Layout.Planes[1]);
                v = View(Layout.Planes[2]);
                return true;
            case FramePixelFormat.Nv12:
                u = View(Layout.Planes[1]);
                return true;
            default:
                return false;
        }
    }

    private PlaneView View(PlaneLayout p) =>
        new(Data.Slice(p.Offset, (int)p.RequiredBytes), p.RowBytes, p.Rows, p.Stride);
}
