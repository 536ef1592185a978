using System.Globalization;
using System.Text;

namespace VideoQuality.Media;

/// <summary>
/// Reads YUV4MPEG2 streams (what <c>ffmpeg -f yuv4mpegpipe</c> writes and vqbench stores): 4:2:0 (any C420*
/// tag, or none) and Cmono. Each frame is read whole into a caller buffer (I420: Y, U, V back to back).
/// </summary>
public sealed class Y4mReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;

    /// <summary>Reads the stream header. Throws <see cref="FrameFormatException"/> on a malformed or unsupported header.</summary>
    public Y4mReader(Stream stream, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        string header = ReadLine() ?? throw new FrameFormatException("y4m: empty stream");
        var parts = header.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] != "YUV4MPEG2")
        {
            throw new FrameFormatException("y4m: missing YUV4MPEG2 signature");
        }

        string colour = "420jpeg";
        foreach (var p in parts.Skip(1))
        {
            switch (p[0])
            {
                case 'W': Width = ParseInt(p[1..], "width"); break;
                case 'H': Height = ParseInt(p[1..], "height"); break;
                case 'F':
                    var f = p[1..].Split(':');
                    if (f.Length == 2)
                    {
                        FrameRateNumerator = ParseInt(f[0], "frame rate");
                        FrameRateDenominator = Math.Max(1, ParseInt(f[1], "frame rate"));
                    }

                    break;
                case 'C': colour = p[1..]; break;
                default: break;
            }
        }

        FrameLimits.CheckSize(Width, Height, "y4m frame");
        if (colour.StartsWith("420", StringComparison.Ordinal))
        {
            Format = FramePixelFormat.I420;
            if (Width % 2 != 0 || Height % 2 != 0)
            {
                throw new FrameFormatException($"y4m: 4:2:0 size {Width}x{Height} must be even");
            }

            FrameSize = (Width * Height) + (2 * (Width / 2) * (Height / 2));
        }
        else if (colour == "mono")
        {
            Format = FramePixelFormat.Gray8;
            FrameSize = Width * Height;
        }
        else
        {
            throw new FrameFormatException($"y4m: unsupported colour space C{colour} (need 420 or mono)");
        }
    }

    /// <summary>Frame width.</summary>
    public int Width { get; }

    /// <summary>Frame height.</summary>
    public int Height { get; }

    /// <summary>Frame rate numerator (0 if the header has none).</summary>
    public int FrameRateNumerator { get; }

    /// <summary>Frame rate denominator.</summary>
    public int FrameRateDenominator { get; } = 1;

    /// <summary>Frames per second (0 if unknown).</summary>
    public double FramesPerSecond => FrameRateNumerator == 0 ? 0 : (double)FrameRateNumerator / FrameRateDenominator;

    /// <summary>I420 or Gray8.</summary>
    public FramePixelFormat Format { get; }

    /// <summary>Bytes per frame.</summary>
    public int FrameSize { get; }

    /// <summary>Reads the next frame into <paramref name="buffer"/> (at least <see cref="FrameSize"/> bytes). False at end of stream.</summary>
    public bool ReadFrame(Span<byte> buffer)
    {
        string? line = ReadLine();
        if (line is null)
        {
            return false;
        }

        if (!line.StartsWith("FRAME", StringComparison.Ordinal))
        {
            throw new FrameFormatException("y4m: expected FRAME marker");
        }

        var dst = buffer[..FrameSize];
        int read = 0;
        while (read < dst.Length)
        {
            int n = _stream.Read(dst[read..]);
            if (n == 0)
            {
                throw new FrameFormatException($"y4m: truncated frame ({read} of {FrameSize} bytes)");
            }

            read += n;
        }

        return true;
    }

    /// <summary>Wraps a frame read by <see cref="ReadFrame"/> as a <see cref="RawFrame"/> (no copy).</summary>
    public RawFrame AsRawFrame(ReadOnlyMemory<byte> frameBytes) => new(Format, Width, Height, frameBytes[..FrameSize]);

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private static int ParseInt(string s, string what) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new FrameFormatException($"y4m: bad {what} '{s}'");

    private string? ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = _stream.ReadByte();
            if (b < 0)
            {
                return sb.Length == 0 ? null : throw new FrameFormatException("y4m: truncated header line");
            }

            if (b == '\n')
            {
                return sb.ToString();
            }

            if (sb.Length > 4096)
            {
                throw new FrameFormatException("y4m: header line too long");
            }

            sb.Append((char)b);
        }
    }
}

/// <summary>Writes yuv420p (C420jpeg) or mono YUV4MPEG2 streams.</summary>
public sealed class Y4mWriter : IDisposable
{
    private static readonly byte[] FrameMarker = "FRAME\n"u8.ToArray();
    private readonly Stream _stream;
    private readonly bool _leaveOpen;

    /// <summary>Writes the stream header.</summary>
    public Y4mWriter(Stream stream, int width, int height, int fpsNumerator = 30, int fpsDenominator = 1,
        FramePixelFormat format = FramePixelFormat.I420, bool leaveOpen = false)
    {
        if (format is not (FramePixelFormat.I420 or FramePixelFormat.Gray8))
        {
            throw new ArgumentException("y4m writer supports I420 and Gray8", nameof(format));
        }

        _ = FrameLayout.Compute(format, width, height, default, format == FramePixelFormat.I420 ? width * height * 3 / 2 : width * height);
        _stream = stream;
        _leaveOpen = leaveOpen;
        Width = width;
        Height = height;
        FrameSize = format == FramePixelFormat.I420 ? width * height * 3 / 2 : width * height;
        string c = format == FramePixelFormat.I420 ? "420jpeg" : "mono";
        var header = string.Create(CultureInfo.InvariantCulture, $"YUV4MPEG2 W{width} H{height} F{fpsNumerator}:{fpsDenominator} Ip A1:1 C{c}\n");
        _stream.Write(Encoding.ASCII.GetBytes(header));
    }

    /// <summary>Frame width.</summary>
    public int Width { get; }

    /// <summary>Frame height.</summary>
    public int Height { get; }

    /// <summary>Bytes per frame.</summary>
    public int FrameSize { get; }

    /// <summary>Writes one tightly packed frame.</summary>
    public void WriteFrame(ReadOnlySpan<byte> frame)
    {
        if (frame.Length != FrameSize)
        {
            throw new ArgumentException($"frame has {frame.Length} bytes, expected {FrameSize}", nameof(frame));
        }

        _stream.Write(FrameMarker);
        _stream.Write(frame);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
