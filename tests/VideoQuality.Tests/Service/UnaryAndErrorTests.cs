using Google.Protobuf;
using Grpc.Core;
using SkiaSharp;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection.Grpc;
using VideoQuality.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Service;

[Collection("detector server")]
public class UnaryTests(DetectorServerFixture fixture)
{
    private DetectorServer Server => fixture.Server;

    internal static Frame I420Frame(int w, int h, int seed = 0, ulong seq = 0, string stream = "") => new()
    {
        Format = PixelFormat.I420,
        Width = (uint)w,
        Height = (uint)h,
        Data = ByteString.CopyFrom(Frames.I420(w, h, seed)),
        Sequence = seq,
        StreamId = stream,
        TimestampUs = (long)seq * 33_333,
    };

    [Fact]
    public async Task Detect_returns_masks_regions_model_provider_and_timings()
    {
        var resp = await Server.Client.DetectAsync(new DetectRequest { Frame = I420Frame(640, 360, seq: 42, stream: "cam-1") });
        Assert.Equal(("cam-1", 42UL, 42L * 33_333), (resp.StreamId, resp.Sequence, resp.TimestampUs));
        Assert.InRange(resp.Severity, 0f, 1f);
        Assert.NotEqual(DamageClass.Unspecified, resp.DamageClass);
        Assert.Equal((8u, 45u, 80u), (resp.Mask.BlockSize, resp.Mask.Rows, resp.Mask.Cols));
        Assert.Equal(450, resp.Mask.Bits.Length);
        Assert.Equal(resp.Mask.Flagged, (uint)resp.Regions.Sum(r => r.Blocks));
        Assert.Equal("CPU", resp.Model.ExecutionProvider);
        Assert.Equal("vq-detector", resp.Model.Name);
        Assert.Equal(64, resp.Model.Sha256.Length);
        Assert.True(resp.Timings.InferenceUs > 0);
        Assert.False(resp.HasTemporalContext);
        Assert.Equal((640u, 360u), (resp.Width, resp.Height));
    }

    [Fact]
    public async Task Detect_matches_the_in_process_pipeline_and_uses_the_previous_frame()
    {
        var frame = I420Frame(320, 240, seed: 3);
        var prev = I420Frame(320, 240, seed: 1);
        var resp = await Server.Client.DetectAsync(new DetectRequest { Frame = frame, PreviousFrame = prev });
        var local = TestModels.Pipeline.Detect(frame.ToRawFrame(), prev.ToRawFrame());
        Assert.True(resp.HasTemporalContext);
        Assert.Equal(local.Severity, resp.Severity);
        Assert.Equal(local.Mask.Bits, resp.Mask.Bits.ToByteArray());
        Assert.Equal(VideoQuality.Detection.VqbenchLine.Format(7, local), resp.ToVqbenchLine(7));
    }

    [Fact]
    public async Task Png_and_jpeg_frames_are_accepted_and_sized_from_the_file()
    {
        var png = Frames.Encode(Frames.Rgb(48, 32), 48, 32, SKEncodedImageFormat.Png);
        var r = await Server.Client.DetectAsync(new DetectRequest { Frame = new Frame { Format = PixelFormat.Png, Data = ByteString.CopyFrom(png) } });
        Assert.Equal((48u, 32u, 4u, 6u), (r.Width, r.Height, r.Mask.Rows, r.Mask.Cols));
        var jpg = Frames.Encode(Frames.Rgb(50, 30), 50, 30, SKEncodedImageFormat.Jpeg);
        r = await Server.Client.DetectAsync(new DetectRequest { Frame = new Frame { Format = PixelFormat.Jpeg, Width = 50, Height = 30, Data = ByteString.CopyFrom(jpg) } });
        Assert.Equal((4u, 7u), (r.Mask.Rows, r.Mask.Cols));
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "wrong-length", "I420 64x48 needs 4608 bytes of data, got 4607" },
        { "zero-size", "frame size 0x48 is invalid: width and height must be non-zero" },
        { "odd-i420", "I420 frame size 63x48 is invalid: width and height must be even" },
        { "odd-nv12", "NV12 frame size 64x47 is invalid: width and height must be even" },
        { "too-large", "frame size 7682x2 exceeds the maximum of 7680x4320" },
        { "corrupt-jpeg", "corrupt JPEG data" },
        { "corrupt-png", "corrupt PNG data" },
        { "unknown-format", "unknown pixel format 42" },
        { "unspecified-format", "unknown pixel format 0" },
        { "missing-frame", "frame is required" },
        { "bad-previous", "previous frame: GRAY8 16x16 needs 256 bytes of data, got 10" },
    };

    internal static DetectRequest BadRequest(string kind) => kind switch
    {
        "wrong-length" => new() { Frame = new Frame { Format = PixelFormat.I420, Width = 64, Height = 48, Data = ByteString.CopyFrom(new byte[4607]) } },
        "zero-size" => new() { Frame = new Frame { Format = PixelFormat.Gray8, Width = 0, Height = 48, Data = ByteString.Empty } },
        "odd-i420" => new() { Frame = new Frame { Format = PixelFormat.I420, Width = 63, Height = 48, Data = ByteString.CopyFrom(new byte[4536]) } },
        "odd-nv12" => new() { Frame = new Frame { Format = PixelFormat.Nv12, Width = 64, Height = 47, Data = ByteString.CopyFrom(new byte[4512]) } },
        "too-large" => new() { Frame = new Frame { Format = PixelFormat.Gray8, Width = 7682, Height = 2, Data = ByteString.CopyFrom(new byte[15364]) } },
        "corrupt-jpeg" => new() { Frame = new Frame { Format = PixelFormat.Jpeg, Data = ByteString.CopyFrom(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3 }) } },
        "corrupt-png" => new() { Frame = new Frame { Format = PixelFormat.Png, Data = ByteString.CopyFrom(new byte[] { 0x89, 0x50, 0x4E, 0x47, 9, 9 }) } },
        "unknown-format" => new() { Frame = new Frame { Format = (PixelFormat)42, Width = 8, Height = 8, Data = ByteString.CopyFrom(new byte[64]) } },
        "unspecified-format" => new() { Frame = new Frame { Width = 8, Height = 8, Data = ByteString.CopyFrom(new byte[64]) } },
        "missing-frame" => new(),
        "bad-previous" => new() { Frame = I420Frame(16, 16), PreviousFrame = new Frame { Format = PixelFormat.Gray8, Width = 16, Height = 16, Data = ByteString.CopyFrom(new byte[10]) } },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_gets_invalid_argument_naming_the_problem(string kind, string message)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Client.DetectAsync(BadRequest(kind)));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(message, ex.Status.Detail);

        // The service is unaffected.
        var ok = await Server.Client.DetectAsync(new DetectRequest { Frame = I420Frame(64, 48) });
        Assert.Equal(6u, ok.Mask.Rows);
    }

    [Fact]
    public async Task Oversize_message_gets_resource_exhausted()
    {
        int w = 4096, h = (DetectorServer.MaxReceiveBytes / 4096) + 16;
        var req = new DetectRequest { Frame = new Frame { Format = PixelFormat.Gray8, Width = (uint)w, Height = (uint)h, Data = ByteString.CopyFrom(new byte[w * h]) } };
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Client.DetectAsync(req));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("exceeds the maximum", ex.Status.Detail);
    }

    [Fact]
    public async Task Frames_not_multiple_of_8_get_masks_cropped_to_the_frame()
    {
        var resp = await Server.Client.DetectAsync(new DetectRequest { Frame = new Frame { Format = PixelFormat.Gray8, Width = 100, Height = 50, Data = ByteString.CopyFrom(Frames.BlockyLuma(100, 50)) } });
        Assert.Equal((7u, 13u), (resp.Mask.Rows, resp.Mask.Cols));
        Assert.All(resp.Regions, r => Assert.True(r.X + r.Width <= 100 && r.Y + r.Height <= 50));
    }

    [Fact]
    public async Task Deadline_is_honoured()
    {
        var req = new DetectRequest { Frame = new Frame { Format = PixelFormat.Gray8, Width = 1920, Height = 1080, Data = ByteString.CopyFrom(new byte[1920 * 1080]) } };
        var error = await Record.ExceptionAsync(async () => await Server.Client.DetectAsync(req, deadline: DateTime.UtcNow.AddMilliseconds(1)));
        var ex = Assert.IsType<RpcException>(error, exactMatch: false);
        Assert.True(ex.StatusCode == StatusCode.DeadlineExceeded, ex.ToString());

        // The server stays healthy.
        Assert.Equal(6u, (await Server.Client.DetectAsync(new DetectRequest { Frame = I420Frame(64, 48) })).Mask.Rows);
    }
}
