using Google.Protobuf;
using Grpc.Core;
using SkiaSharp;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection.Grpc;
using VideoQuality.Media;
using VideoQuality.Repair;
using VideoQuality.Tests.Media;
using VideoQuality.Tests.Repair;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Enhancer;

/// <summary>An Enhancer host detecting through a real Detector host (two Kestrel servers on loopback), shared by the format tests.</summary>
public sealed class EnhancerPairFixture : IAsyncLifetime
{
    internal DetectorServer Detector { get; private set; } = null!;

    internal EnhancerServer Enhancer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Detector = await DetectorServer.StartAsync();
        Enhancer = await EnhancerServer.StartAsync($"http://127.0.0.1:{Detector.GrpcPort}");
    }

    public async Task DisposeAsync()
    {
        await Enhancer.DisposeAsync();
        await Detector.DisposeAsync();
    }
}

/// <summary>
/// The enhancer over real sockets with every frame format: a frame with real MPEG-2 blocking comes back repaired in
/// its own format (or the one asked for), pixels away from the flagged blocks untouched; clean frames come back as
/// sent; bad format requests get INVALID_ARGUMENT.
/// </summary>
public class EnhancerFormatTests(EnhancerPairFixture pair) : IClassFixture<EnhancerPairFixture>
{
    private const int W = 320, H = 192;

    // Five eighths of the width damaged: detector 2.0.0 scores a half-damaged frame of this content just under its
    // alarm threshold (0.498 on the I420 frame), 5/8 at 0.59; the clean rest keeps > 1/5 of the pixels outside the repair.
    private static readonly Lazy<byte[]> DamagedRgb = new(() => Mpeg2Frame.PartlyDamaged(W, H, "rgb24", 3, DamagedColumns));

    private static readonly Lazy<byte[]> DamagedI420 = new(() => Mpeg2Frame.PartlyDamaged(W, H, "yuv420p", 1, DamagedColumns));

    private const int DamagedColumns = W * 5 / 8;

    private Contracts.V1.Enhancer.EnhancerClient Client => pair.Enhancer.Client;

    private static Frame Make(PixelFormat format, byte[] rgb) => format switch
    {
        PixelFormat.Rgb24 => new Frame { Format = format, Width = W, Height = H, Data = ByteString.CopyFrom(rgb) },
        PixelFormat.Bgr24 => new Frame { Format = format, Width = W, Height = H, Data = ByteString.CopyFrom(ColourConversionTests.Swap(rgb)) },
        PixelFormat.Png => new Frame { Format = format, Data = ByteString.CopyFrom(Frames.Encode(rgb, W, H, SKEncodedImageFormat.Png)) },
        PixelFormat.Jpeg => new Frame { Format = format, Data = ByteString.CopyFrom(Frames.Encode(rgb, W, H, SKEncodedImageFormat.Jpeg, 95)) },
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>A frame's pixels as packed RGB24 (decoded for JPEG/PNG, swapped for BGR24).</summary>
    private static byte[] RgbOf(Frame frame) => FormatRepairTests.Rgb(FrameDecoder.Decode(frame.ToRawFrame()));

    /// <summary>Blocks the repair may have touched: the flagged blocks of the response's detection, dilated by two.</summary>
    private static bool[] Reach(EnhanceResponse r)
    {
        var comp = r.Detection.CompressionMask.ToBlockMask();
        var trans = r.Detection.TransmissionMask.ToBlockMask();
        var union = RepairTests.Mask((row, col) => comp[row, col] || trans[row, col], comp.Rows, comp.Cols);
        return FormatRepairTests.Reach(union);
    }

    [Theory]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Bgr24)]
    [InlineData(PixelFormat.Png)]
    public async Task Lossless_formats_come_back_repaired_in_their_own_format_with_untouched_pixels_exact(PixelFormat format)
    {
        var request = Make(format, DamagedRgb.Value);
        var r = await Client.EnhanceAsync(new EnhanceRequest { Frame = request }, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.Equal(DetectionSource.Remote, r.DetectionSource);
        Assert.Equal((format, (uint)W, (uint)H), (r.Frame.Format, r.Frame.Width, r.Frame.Height));
        Assert.True(r.Repaired.ModelBlocks > 0, $"nothing repaired (class {r.Detection.DamageClass}, {r.Detection.Mask.Flagged} flagged)");
        var (changed, outside) = FormatRepairTests.CompareOutside(RgbOf(request), RgbOf(r.Frame), W, H, 3, Reach(r));
        Assert.True(changed > 0, "no pixel of the repair region changed");
        Assert.True(outside > W * H / 5, $"only {outside} pixels lie outside the repair region: the test would prove little");
    }

    [Fact]
    public async Task Jpeg_comes_back_as_jpeg_repaired_and_close_elsewhere_at_the_requested_quality()
    {
        var request = Make(PixelFormat.Jpeg, DamagedRgb.Value);
        var r = await Client.EnhanceAsync(new EnhanceRequest { Frame = request }, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.Equal(PixelFormat.Jpeg, r.Frame.Format);
        Assert.True(r.Repaired.ModelBlocks > 0, $"nothing repaired (class {r.Detection.DamageClass})");
        var before = RgbOf(request);
        var after = RgbOf(r.Frame);
        var (outside, inside) = FormatRepairTests.MeanDiff(before, after, W, H, Reach(r));
        Assert.True(outside < 1.5, $"re-encoding moved untouched pixels by {outside:0.00} on average");
        Assert.True(inside > outside, $"repaired region changed by {inside:0.00} on average, the rest by {outside:0.00}");

        var low = await Client.EnhanceAsync(new EnhanceRequest { Frame = request, JpegQuality = 40 }, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.True(low.Frame.Data.Length < r.Frame.Data.Length, $"quality 40: {low.Frame.Data.Length} bytes, default: {r.Frame.Data.Length}");
    }

    [Theory]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Png)]
    public async Task Clean_frame_comes_back_as_the_very_bytes_sent(PixelFormat format)
    {
        var yuv = RepairTests.Natural(W, H);
        var request = Make(format, ColourConversionTests.I420ToRgb(yuv, W, H));
        var r = await Client.EnhanceAsync(new EnhanceRequest { Frame = request }, deadline: DateTime.UtcNow.AddSeconds(60));
        // A clean frame: whatever single blocks the mask marks, nothing is repaired.
        Assert.Equal(DamageClass.Clean, r.Detection.DamageClass);
        Assert.Equal(0u, r.Repaired.ModelBlocks + r.Repaired.TemporalBlocks);
        Assert.Equal(format, r.Frame.Format);
        Assert.Equal(request.Data, r.Frame.Data);
    }

    [Fact]
    public async Task Rgb_in_i420_out_keeps_the_inputs_luma_outside_the_repair()
    {
        var request = Make(PixelFormat.Rgb24, DamagedRgb.Value);
        var r = await Client.EnhanceAsync(new EnhanceRequest { Frame = request, OutputFormat = PixelFormat.I420 }, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.Equal((PixelFormat.I420, (uint)W, (uint)H, W * H * 3 / 2), (r.Frame.Format, r.Frame.Width, r.Frame.Height, r.Frame.Data.Length));
        Assert.True(r.Repaired.ModelBlocks > 0);
        var luma = FrameDecoder.Decode(request.ToRawFrame()).Luma.ToPackedArray();
        var (changed, _) = FormatRepairTests.CompareOutside(luma, r.Frame.Data.Span[..(W * H)].ToArray(), W, H, 1, Reach(r));
        Assert.True(changed > 0);
    }

    [Fact]
    public async Task I420_in_png_out_is_the_bt601_conversion_outside_the_repair()
    {
        var yuv = DamagedI420.Value;
        var request = new Frame { Format = PixelFormat.I420, Width = W, Height = H, Data = ByteString.CopyFrom(yuv) };
        var r = await Client.EnhanceAsync(new EnhanceRequest { Frame = request, OutputFormat = PixelFormat.Png }, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.Equal(PixelFormat.Png, r.Frame.Format);
        Assert.True(r.Repaired.ModelBlocks > 0, $"nothing repaired (class {r.Detection.DamageClass})");
        var expected = ColourConversionTests.I420ToRgb(yuv, W, H);
        var (changed, _) = FormatRepairTests.CompareOutside(expected, RgbOf(r.Frame), W, H, 3, Reach(r));
        Assert.True(changed > 0);
    }

    [Fact]
    public async Task Stream_of_png_frames_answers_jpeg_when_asked()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var call = Client.EnhanceStream(cancellationToken: cts.Token);
        var png = Make(PixelFormat.Png, DamagedRgb.Value);
        await call.RequestStream.WriteAsync(new EnhanceStreamRequest
        {
            Config = new StreamConfig { StreamId = "png", Mode = StreamMode.Lossless },
            OutputFormat = PixelFormat.Jpeg,
            JpegQuality = 90,
            Frame = png,
        });
        await call.RequestStream.WriteAsync(new EnhanceStreamRequest { Frame = png });
        await call.RequestStream.CompleteAsync();
        int n = 0;
        while (await call.ResponseStream.MoveNext(cts.Token))
        {
            var r = call.ResponseStream.Current;
            Assert.Equal(PixelFormat.Jpeg, r.Frame.Format);
            Assert.Equal((W, H), FrameDecoder.ReadImageSize(FramePixelFormat.Jpeg, r.Frame.Data.Span));
            Assert.True(r.Repaired.ModelBlocks + r.Repaired.TemporalBlocks > 0);
            n++;
        }

        Assert.Equal(2, n);
    }

    [Fact]
    public async Task Bad_format_requests_get_clear_invalid_argument_errors()
    {
        async Task<string> Rejected(EnhanceRequest request)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => Client.EnhanceAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            return e.Status.Detail;
        }

        var rgb = Make(PixelFormat.Rgb24, DamagedRgb.Value);
        Assert.Contains("unknown output format 42", await Rejected(new EnhanceRequest { Frame = rgb, OutputFormat = (PixelFormat)42 }));
        Assert.Contains("jpeg_quality 101 is out of range", await Rejected(new EnhanceRequest { Frame = rgb, OutputFormat = PixelFormat.Jpeg, JpegQuality = 101 }));
        var odd = new Frame { Format = PixelFormat.Rgb24, Width = 17, Height = 9, Data = ByteString.CopyFrom(new byte[17 * 9 * 3]) };
        Assert.Contains("output format I420 needs an even frame size, the frame is 17x9",
            await Rejected(new EnhanceRequest { Frame = odd, OutputFormat = PixelFormat.I420 }));
        Assert.Contains("RGB24 320x192 needs 184320 bytes of data, got 100", await Rejected(new EnhanceRequest
        {
            Frame = new Frame { Format = PixelFormat.Rgb24, Width = W, Height = H, Data = ByteString.CopyFrom(new byte[100]) },
        }));
        var png = Frames.Encode(Frames.Rgb(16, 8), 16, 8, SKEncodedImageFormat.Png);
        Assert.Contains("frame format is JPEG but the data is a PNG image",
            await Rejected(new EnhanceRequest { Frame = new Frame { Format = PixelFormat.Jpeg, Data = ByteString.CopyFrom(png) } }));
        Assert.Contains("corrupt PNG data", await Rejected(new EnhanceRequest
        {
            Frame = new Frame { Format = PixelFormat.Png, Data = ByteString.CopyFrom(png.AsSpan(0, 40)) },
        }));
        Assert.Contains("previous frame: corrupt PNG data", await Rejected(new EnhanceRequest
        {
            Frame = new Frame { Format = PixelFormat.Png, Data = ByteString.CopyFrom(png) },
            PreviousFrame = new Frame { Format = PixelFormat.Png, Data = ByteString.CopyFrom(png.AsSpan(0, 40)) },
        }));

        // The odd-sized RGB frame itself is fine in its own format.
        var ok = await Client.EnhanceAsync(new EnhanceRequest { Frame = odd }, deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal((PixelFormat.Rgb24, 17u, 9u), (ok.Frame.Format, ok.Frame.Width, ok.Frame.Height));
    }
}
