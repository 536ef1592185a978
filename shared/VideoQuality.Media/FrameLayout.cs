namespace VideoQuality.Media;

/// <summary>
/// The plane layout of a raw (non-encoded) frame, computed and checked against the buffer length.
/// Plane order: I420 Y,U,V; NV12 Y,UV; GRAY8/RGB24/BGR24 one plane.
/// </summary>
public sealed class FrameLayout
{
    private FrameLayout(FramePixelFormat format, int width, int height, PlaneLayout[] planes)
    {
        Format = format;
        Width = width;
        Height = height;
        Planes = planes;
    }

    /// <summary>The frame's pixel format.</summary>
    public FramePixelFormat Format { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Planes in order.</summary>
    public IReadOnlyList<PlaneLayout> Planes { get; }

    /// <summary>Number of planes the format has (0 for encoded formats).</summary>
    public static int PlaneCount(FramePixelFormat format) => format switch
    {
        FramePixelFormat.I420 => 3,
        FramePixelFormat.Nv12 => 2,
        FramePixelFormat.Gray8 or FramePixelFormat.Rgb24 or FramePixelFormat.Bgr24 => 1,
        _ => 0,
    };

    /// <summary>
    /// Computes and validates the layout of a raw frame. Throws <see cref="FrameFormatException"/> naming the
    /// problem: unknown/encoded format, zero or oversize dimensions, odd I420/NV12 sizes, wrong stride count,
    /// strides shorter than a row, or a buffer whose length does not match.
    /// </summary>
    public static FrameLayout Compute(FramePixelFormat format, int width, int height, ReadOnlySpan<int> strides, int dataLength)
    {
        int planes = PlaneCount(format);
        if (planes == 0)
        {
            throw new FrameFormatException(format is FramePixelFormat.Jpeg or FramePixelFormat.Png
                ? $"{format.Name()} is an encoded format and has no plane layout"
                : $"unknown pixel format {(int)format}");
        }

        FrameLimits.CheckSize(width, height);
        if (format is FramePixelFormat.I420 or FramePixelFormat.Nv12 && (width % 2 != 0 || height % 2 != 0))
        {
            throw new FrameFormatException($"{format.Name()} frame size {width}x{height} is invalid: width and height must be even");
        }

        var rowBytes = new int[planes];
        var rows = new int[planes];
        switch (format)
        {
            case FramePixelFormat.I420:
                (rowBytes[0], rows[0]) = (width, height);
                (rowBytes[1], rows[1]) = (width / 2, height / 2);
                (rowBytes[2], rows[2]) = (width / 2, height / 2);
                break;
            case FramePixelFormat.Nv12:
                (rowBytes[0], rows[0]) = (width, height);
                (rowBytes[1], rows[1]) = (width, height / 2);
                break;
            case FramePixelFormat.Gray8:
                (rowBytes[0], rows[0]) = (width, height);
                break;
            default:
                (rowBytes[0], rows[0]) = (width * 3, height);
                break;
        }

        if (!strides.IsEmpty && strides.Length != planes)
        {
            throw new FrameFormatException(
                $"{format.Name()} needs {planes} stride value(s) (one per plane) or none, got {strides.Length}");
        }

        var layout = new PlaneLayout[planes];
        long offset = 0;
        for (int i = 0; i < planes; i++)
        {
            int stride = strides.IsEmpty ? rowBytes[i] : strides[i];
            if (stride < rowBytes[i])
            {
                throw new FrameFormatException(
                    $"{format.Name()} plane {i} stride {stride} is shorter than its row of {rowBytes[i]} bytes");
            }

            layout[i] = new PlaneLayout((int)offset, stride, rowBytes[i], rows[i]);
            offset += i == planes - 1 ? layout[i].RequiredBytes : layout[i].FootprintBytes;
            if (offset > int.MaxValue)
            {
                throw new FrameFormatException($"{format.Name()} frame {width}x{height} with the given strides is too large");
            }
        }

        long packed = offset;
        long full = offset - layout[^1].RequiredBytes + layout[^1].FootprintBytes;
        if (dataLength != packed && dataLength != full)
        {
            string expect = packed == full ? $"{packed}" : $"{packed} or {full}";
            throw new FrameFormatException(
                $"{format.Name()} {width}x{height} needs {expect} bytes of data, got {dataLength}");
        }

        return new FrameLayout(format, width, height, layout);
    }
}
