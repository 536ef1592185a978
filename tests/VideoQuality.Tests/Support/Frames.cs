using SkiaSharp;

namespace VideoQuality.Tests.Support;

/// <summary>Deterministic test images.</summary>
internal static class Frames
{
    /// <summary>A luma plane with 8x8 blocks of flat values plus a gradient (blocky content).</summary>
    public static byte[] BlockyLuma(int width, int height, int seed = 0)
    {
        var y = new byte[width * height];
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                y[(r * width) + c] = (byte)((((c / 8) * 37) + ((r / 8) * 91) + (seed * 13) + (c % 8)) % 256);
            }
        }

        return y;
    }

    /// <summary>I420 bytes: the given luma plus flat chroma (128).</summary>
    public static byte[] I420(int width, int height, int seed = 0)
    {
        var luma = BlockyLuma(width, height, seed);
        var buf = new byte[(width * height) + (2 * (width / 2) * (height / 2))];
        luma.CopyTo(buf, 0);
        buf.AsSpan(width * height).Fill(128);
        return buf;
    }

    /// <summary>Pseudo-random RGB pixels.</summary>
    public static byte[] Rgb(int width, int height, int seed = 1)
    {
        var rng = new Random(seed);
        var px = new byte[width * height * 3];
        rng.NextBytes(px);
        return px;
    }

    /// <summary>Encodes RGB pixels as PNG or JPEG with SkiaSharp.</summary>
    public static byte[] Encode(byte[] rgb, int width, int height, SKEncodedImageFormat format, int quality = 95)
    {
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var px = bmp.GetPixelSpan();
        var dst = new byte[px.Length];
        for (int i = 0, j = 0; i < width * height; i++, j += 4)
        {
            dst[j] = rgb[i * 3];
            dst[j + 1] = rgb[(i * 3) + 1];
            dst[j + 2] = rgb[(i * 3) + 2];
            dst[j + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(dst, 0, bmp.GetPixels(), dst.Length);
        using var data = bmp.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>A syntactically valid PNG header (signature + IHDR with CRC) declaring the given size, and almost no pixel data.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(ms, "IHDR", ihdr);
        WriteChunk(ms, "IDAT", [0x78, 0x9C, 0x00, 0x00, 0x00, 0x00]); // zlib header, far too little data for the image
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typed));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
