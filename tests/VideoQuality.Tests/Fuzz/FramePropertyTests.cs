using CsCheck;
using Google.Protobuf;
using SkiaSharp;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection.Grpc;
using VideoQuality.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Fuzz;

/// <summary>
/// Property-based tests of frame parsing (CsCheck, shrinking to a minimal counterexample): any <see cref="Frame"/>
/// message either decodes or throws <see cref="FrameFormatException"/> — never another exception — and valid raw
/// frames of every raw format, packed or strided, decode to exactly the planes they were built from.
/// </summary>
public class FramePropertyTests
{
    private static readonly byte[][] Encoded =
    [
        Frames.Encode(Frames.Rgb(16, 16, 1), 16, 16, SKEncodedImageFormat.Jpeg, 90),
        Frames.Encode(Frames.Rgb(48, 32, 2), 48, 32, SKEncodedImageFormat.Jpeg, 50),
        Frames.Encode(Frames.Rgb(16, 16, 3), 16, 16, SKEncodedImageFormat.Png),
        Frames.Encode(Frames.Rgb(40, 24, 4), 40, 24, SKEncodedImageFormat.Png),
    ];

    /// <summary>Dimensions and strides: mostly small, plus the limits and the integer edges.</summary>
    private static readonly Gen<uint> Dimension = Gen.Frequency(
        (6, Gen.UInt[0, 80]),
        (2, Gen.OneOf<uint>(0u, 1u, 2u, 7679u, 7680u, 7681u, 4320u, 4321u, 65536u, int.MaxValue, (uint)int.MaxValue + 1, uint.MaxValue)),
        (1, Gen.UInt));

    private static readonly Gen<PixelFormat> Format = Gen.Frequency(
        (10, Gen.Int[0, 7]),
        (1, Gen.Int[8, 1000]),
        (1, Gen.Int)).Select(i => (PixelFormat)i);

    /// <summary>A real JPEG/PNG, truncated and/or with flipped bytes.</summary>
    private static readonly Gen<byte[]> CorruptImage =
        Gen.Select(Gen.Int[0, Encoded.Length - 1], Gen.Double[0, 1], Gen.Int[0, 8], Gen.Int, (i, keep, flips, seed) =>
        {
            var src = Encoded[i];
            var data = src.AsSpan(0, Math.Max(0, (int)(src.Length * keep))).ToArray();
            var rng = new Random(seed);
            for (int f = 0; f < flips && data.Length > 0; f++)
            {
                data[rng.Next(data.Length)] ^= (byte)(1 << rng.Next(8));
            }

            return data;
        });

    private static readonly Gen<byte[]> Data = Gen.Frequency(
        (4, Gen.Byte.Array[0, 4096]),
        (3, CorruptImage),
        (1, Gen.Select(Gen.Int[0, Encoded.Length - 1], i => Encoded[i])),
        (2, Gen.Int[0, 40_000].Select(n => new byte[n])));

    private static readonly Gen<Frame> AnyFrame =
        Gen.Select(Format, Dimension, Dimension, Gen.Frequency((3, Gen.Const(Array.Empty<uint>())), (2, Dimension.Array[1, 4])), Data,
            (format, w, h, strides, data) =>
            {
                var f = new Frame { Format = format, Width = w, Height = h, Data = ByteString.CopyFrom(data) };
                f.Strides.AddRange(strides);
                return f;
            });

    [Fact]
    public void Any_frame_message_decodes_or_throws_FrameFormatException() =>
        AnyFrame.Sample(frame =>
        {
            DecodedFrame decoded;
            try
            {
                decoded = FrameDecoder.Decode(frame.ToRawFrame());
            }
            catch (FrameFormatException)
            {
                return;
            }

            // A decoded frame is within the limits and every luma row is readable.
            Assert.InRange(decoded.Width, 1, FrameLimits.MaxWidth);
            Assert.InRange(decoded.Height, 1, FrameLimits.MaxHeight);
            Assert.Equal(decoded.Width * decoded.Height, decoded.Luma.ToPackedArray().Length);
        }, iter: 4000);

    /// <summary>A valid raw frame: format, size, per-plane padding (none = packed), pixel bytes.</summary>
    private static readonly Gen<(FramePixelFormat Format, int W, int H, int[] Pads, int Seed)> ValidRaw =
        Gen.Select(
            Gen.OneOf(FramePixelFormat.I420, FramePixelFormat.Nv12, FramePixelFormat.Gray8, FramePixelFormat.Rgb24),
            Gen.Int[1, 40], Gen.Int[1, 40], Gen.Int[0, 9].Array[3], Gen.Int,
            (f, w, h, pads, seed) => f is FramePixelFormat.I420 or FramePixelFormat.Nv12 ? (f, 2 * w, 2 * h, pads, seed) : (f, w, h, pads, seed));

    [Fact]
    public void Valid_raw_frames_round_trip_through_the_contract_and_decode_to_their_planes() =>
        ValidRaw.Sample(v =>
        {
            var (rowBytes, rows) = Planes(v.Format, v.W, v.H);
            bool packed = v.Pads.All(p => p == 0);
            var strides = rowBytes.Select((rb, i) => rb + v.Pads[i]).ToArray();
            var buffer = new byte[strides.Select((s, i) => s * rows[i]).Sum()];
            new Random(v.Seed).NextBytes(buffer);
            var raw = new RawFrame(v.Format, v.W, v.H, buffer, packed ? default : strides);

            var decoded = FrameDecoder.Decode(raw.ToFrame("s", 3).ToRawFrame());

            Assert.Equal((v.W, v.H), (decoded.Width, decoded.Height));
            var luma = decoded.Luma.ToPackedArray();
            for (int y = 0; y < v.H; y++)
            {
                var row = buffer.AsSpan(y * strides[0], rowBytes[0]);
                var expected = new byte[v.W];
                if (v.Format == FramePixelFormat.Rgb24)
                {
                    for (int x = 0; x < v.W; x++)
                    {
                        expected[x] = Bt601.Luma(row[3 * x], row[(3 * x) + 1], row[(3 * x) + 2]);
                    }
                }
                else
                {
                    row.CopyTo(expected);
                }

                Assert.Equal(expected, luma.AsSpan(y * v.W, v.W).ToArray());
            }

            if (decoded.TryGetChroma(out var u, out var vPlane))
            {
                int offset = strides[0] * rows[0];
                AssertPlane(buffer, offset, strides[1], u);
                if (v.Format == FramePixelFormat.I420)
                {
                    AssertPlane(buffer, offset + (strides[1] * rows[1]), strides[2], vPlane);
                }
            }
        }, iter: 500);

    private static void AssertPlane(byte[] buffer, int offset, int stride, PlaneView plane)
    {
        for (int y = 0; y < plane.Height; y++)
        {
            Assert.Equal(buffer.AsSpan(offset + (y * stride), plane.Width).ToArray(), plane.Row(y).ToArray());
        }
    }

    private static (int[] RowBytes, int[] Rows) Planes(FramePixelFormat f, int w, int h) => f switch
    {
        FramePixelFormat.I420 => ([w, w / 2, w / 2], [h, h / 2, h / 2]),
        FramePixelFormat.Nv12 => ([w, w], [h, h / 2]),
        FramePixelFormat.Gray8 => ([w], [h]),
        _ => ([3 * w], [h]),
    };
}
