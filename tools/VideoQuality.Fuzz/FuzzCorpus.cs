using Google.Protobuf;
using SkiaSharp;
using VideoQuality.Contracts.V1;

namespace VideoQuality.Fuzz;

/// <summary>Kinds of malformed input the fuzz run sends.</summary>
internal enum FuzzKind
{
    RandomBytes,
    TruncatedJpeg,
    CorruptJpeg,
    TruncatedPng,
    CorruptPng,
    LyingDimensions,
    LyingStrides,
    HugeSize,
    UnknownFormat,
    MissingFrame,
    MismatchedPrevious,
    Oversize,
}

/// <summary>One fuzz input: the request and how it was made.</summary>
internal sealed record FuzzInput(int Index, FuzzKind Kind, DetectRequest Request)
{
    public int Bytes => Request.CalculateSize();
}

/// <summary>
/// Deterministic (per seed) malformed Detect requests, from real JPEG/PNG encodes (SkiaSharp) and raw layouts of
/// valid frames that are then broken. <see cref="Valid"/> makes the healthy frames the run checks alongside.
/// </summary>
internal sealed class FuzzCorpus
{
    private static readonly (int W, int H)[] Sizes = [(64, 48), (320, 192), (640, 360)];
    private readonly Random _rng;
    private readonly byte[][] _jpegs;
    private readonly byte[][] _pngs;
    private readonly int _oversizeBytes;
    private readonly int _oversizeEvery;

    /// <param name="oversizeBytes">Size of oversize messages: above the server's Grpc:MaxReceiveMessageBytes.</param>
    /// <param name="oversizeEvery">One input in this many is oversize (they are large; 0 = none).</param>
    public FuzzCorpus(int seed, int oversizeBytes, int oversizeEvery)
    {
        _rng = new Random(seed);
        _oversizeBytes = oversizeBytes;
        _oversizeEvery = oversizeEvery;
        _jpegs = [.. Sizes.Select(s => Encode(s.W, s.H, SKEncodedImageFormat.Jpeg, seed))];
        _pngs = [.. Sizes.Select(s => Encode(s.W, s.H, SKEncodedImageFormat.Png, seed))];
    }

    /// <summary>The <paramref name="index"/>-th input.</summary>
    public FuzzInput Next(int index)
    {
        if (_oversizeEvery > 0 && index % _oversizeEvery == _oversizeEvery - 1)
        {
            return new FuzzInput(index, FuzzKind.Oversize, Raw(PixelFormat.Gray8, 4096, (uint)(_oversizeBytes / 4096) + 1, new byte[_oversizeBytes + 4096]));
        }

        var kind = (FuzzKind)_rng.Next((int)FuzzKind.Oversize);
        var request = kind switch
        {
            FuzzKind.RandomBytes => Raw((PixelFormat)_rng.Next(0, 8), Dim(), Dim(), Bytes(_rng.Next(0, 64 * 1024)), Strides()),
            FuzzKind.TruncatedJpeg => Image(PixelFormat.Jpeg, Truncate(Pick(_jpegs))),
            FuzzKind.CorruptJpeg => Image(PixelFormat.Jpeg, Corrupt(Pick(_jpegs))),
            FuzzKind.TruncatedPng => Image(PixelFormat.Png, Truncate(Pick(_pngs))),
            FuzzKind.CorruptPng => Image(PixelFormat.Png, Corrupt(Pick(_pngs))),
            FuzzKind.LyingDimensions => LyingDimensions(),
            FuzzKind.LyingStrides => LyingStrides(),
            FuzzKind.HugeSize => Raw(Pick([PixelFormat.I420, PixelFormat.Nv12, PixelFormat.Gray8, PixelFormat.Rgb24, PixelFormat.Jpeg]),
                Pick<uint>([7681u, 65536u, int.MaxValue, uint.MaxValue, 100_000u]), Pick([4321u, 65536u, uint.MaxValue, 1u, 2u]), Bytes(_rng.Next(0, 4096))),
            FuzzKind.UnknownFormat => Raw((PixelFormat)Pick([0, 8, 9, 100, int.MaxValue, -1]), 64, 48, Bytes(64 * 48 * 3 / 2)),
            FuzzKind.MissingFrame => new DetectRequest(),
            _ => MismatchedPrevious(),
        };
        return new FuzzInput(index, kind, request);
    }

    /// <summary>A valid I420 frame of a healthy stream.</summary>
    public static Frame Valid(string streamId, ulong sequence, int width = 160, int height = 96)
    {
        var data = new byte[(width * height) + (2 * (width / 2) * (height / 2))];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                data[(y * width) + x] = (byte)((((x / 8) * 37) + ((y / 8) * 91) + (int)sequence + (x % 8)) % 256);
            }
        }

        data.AsSpan(width * height).Fill(128);
        return new Frame
        {
            Format = PixelFormat.I420, Width = (uint)width, Height = (uint)height, Data = ByteString.CopyFrom(data),
            StreamId = streamId, Sequence = sequence, TimestampUs = (long)sequence * 33_333,
        };
    }

    private DetectRequest LyingDimensions()
    {
        var (w, h) = Pick(Sizes);
        return _rng.Next(3) switch
        {
            // Raw I420 bytes of one size declared as another.
            0 => Raw(PixelFormat.I420, (uint)(w + (2 * _rng.Next(1, 8))), (uint)h, Bytes((w * h) + (2 * (w / 2) * (h / 2)))),
            // Odd sizes for a 4:2:0 format.
            1 => Raw(PixelFormat.Nv12, (uint)(w + 1), (uint)(h + 1), Bytes((w + 1) * (h + 1) * 3 / 2)),
            // A JPEG/PNG whose declared size differs from its header.
            _ => Raw(_rng.Next(2) == 0 ? PixelFormat.Jpeg : PixelFormat.Png, (uint)(w * 2), (uint)h,
                _rng.Next(2) == 0 ? _jpegs[Array.IndexOf(Sizes, (w, h))] : _pngs[Array.IndexOf(Sizes, (w, h))]),
        };
    }

    private DetectRequest LyingStrides()
    {
        var (w, h) = Pick(Sizes);
        var data = Bytes((w * h) + (2 * (w / 2) * (h / 2)));
        uint[] strides = _rng.Next(4) switch
        {
            0 => [(uint)(w - 1), (uint)(w / 2), (uint)(w / 2)], // shorter than a row
            1 => [(uint)w], // wrong count
            2 => [(uint)w * 4, (uint)w * 4, (uint)w * 4], // longer than the data holds
            _ => [uint.MaxValue, 1, 1],
        };
        return Raw(PixelFormat.I420, (uint)w, (uint)h, data, strides);
    }

    private DetectRequest MismatchedPrevious()
    {
        var frame = Valid("fuzz", 1);
        var previous = Next(0).Request.Frame ?? new Frame();
        return new DetectRequest { Frame = frame, PreviousFrame = previous };
    }

    private DetectRequest Image(PixelFormat format, byte[] data) => Raw(format, 0, 0, data);

    private static DetectRequest Raw(PixelFormat format, uint w, uint h, byte[] data, uint[]? strides = null)
    {
        var frame = new Frame { Format = format, Width = w, Height = h, Data = ByteString.CopyFrom(data), StreamId = "fuzz" };
        frame.Strides.AddRange(strides ?? []);
        return new DetectRequest { Frame = frame };
    }

    private uint Dim() => _rng.Next(4) switch
    {
        0 => (uint)_rng.Next(0, 3),
        1 => (uint)_rng.Next(0, 700),
        2 => Pick([7680u, 7681u, 4320u, 4321u, 65536u, uint.MaxValue]),
        _ => (uint)_rng.Next(0, 100) * 2,
    };

    private uint[] Strides() => _rng.Next(3) == 0 ? [.. Enumerable.Range(0, _rng.Next(1, 4)).Select(_ => Dim())] : [];

    private byte[] Truncate(byte[] src) => src[.._rng.Next(0, src.Length)];

    private byte[] Corrupt(byte[] src)
    {
        var data = (byte[])src.Clone();
        int flips = _rng.Next(1, 32);
        for (int i = 0; i < flips; i++)
        {
            // Mostly near the start, where the headers, tables and first scan lines are.
            int at = _rng.Next(2) == 0 ? _rng.Next(Math.Min(data.Length, 1024)) : _rng.Next(data.Length);
            data[at] = (byte)_rng.Next(256);
        }

        return data;
    }

    private byte[] Bytes(int n)
    {
        var b = new byte[n];
        _rng.NextBytes(b);
        return b;
    }

    private T Pick<T>(T[] items) => items[_rng.Next(items.Length)];

    private static byte[] Encode(int w, int h, SKEncodedImageFormat format, int seed)
    {
        var rng = new Random(seed);
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                byte v = (byte)(((x / 8) * 29) + ((y / 8) * 53) + rng.Next(16));
                bmp.SetPixel(x, y, new SKColor(v, (byte)(255 - v), (byte)(x * 255 / w)));
            }
        }

        using var data = bmp.Encode(format, 80);
        return data.ToArray();
    }
}
