namespace VideoQuality.Media;

/// <summary>Pixel layouts a <see cref="RawFrame"/> can carry (mirrors videoquality.v1.PixelFormat).</summary>
public enum FramePixelFormat
{
    /// <summary>Not set; always rejected.</summary>
    Unspecified = 0,
    /// <summary>Planar YUV 4:2:0 (Y, U, V).</summary>
    I420 = 1,
    /// <summary>Semi-planar YUV 4:2:0 (Y, interleaved UV).</summary>
    Nv12 = 2,
    /// <summary>8-bit luma only.</summary>
    Gray8 = 3,
    /// <summary>Packed R,G,B.</summary>
    Rgb24 = 4,
    /// <summary>Packed B,G,R.</summary>
    Bgr24 = 5,
    /// <summary>A JPEG file.</summary>
    Jpeg = 6,
    /// <summary>A PNG file.</summary>
    Png = 7,
}

/// <summary>Display names as the contract spells them (I420, NV12, GRAY8, RGB24, BGR24, JPEG, PNG).</summary>
public static class FramePixelFormatNames
{
    /// <summary>The contract's name, or "format N" for unknown values.</summary>
    public static string Name(this FramePixelFormat format) => format switch
    {
        FramePixelFormat.I420 => "I420",
        FramePixelFormat.Nv12 => "NV12",
        FramePixelFormat.Gray8 => "GRAY8",
        FramePixelFormat.Rgb24 => "RGB24",
        FramePixelFormat.Bgr24 => "BGR24",
        FramePixelFormat.Jpeg => "JPEG",
        FramePixelFormat.Png => "PNG",
        FramePixelFormat.Unspecified => "UNSPECIFIED",
        _ => $"format {(int)format}",
    };
}
