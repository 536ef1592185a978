using System.Diagnostics;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VideoQuality.Contracts.V1;
using VideoQuality.Tests.Repair;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Enhancer;

/// <summary>
/// The Enhancer host against a real Detector host (two Kestrel servers on loopback): remote detection, the
/// in-process fallback while the detector is down or slow, the return to remote, streaming, errors and health.
/// </summary>
public class EnhancerServiceTests
{
    private const int W = 320, H = 192;

    /// <summary>The product's detection budget (test enhancers get a generous one unless they ask for this).</summary>
    private static readonly string ProductBudget = $"--Enhancer:MaxBudgetMs={new VideoQuality.Enhancer.EnhancerOptions().MaxBudgetMs}";

    private static Frame I420(byte[] data, ulong seq = 0, string stream = "") => new()
    {
        Format = PixelFormat.I420,
        Width = W,
        Height = H,
        Data = ByteString.CopyFrom(data),
        Sequence = seq,
        StreamId = stream,
    };

    [Fact]
    public async Task Unary_through_the_detector_reports_remote_detection_and_returns_a_clean_frame_unchanged()
    {
        await using var detector = await DetectorServer.StartAsync();
        await using var enhancer = await EnhancerServer.StartAsync($"http://127.0.0.1:{detector.GrpcPort}");
        var bytes = RepairTests.Natural(W, H);
        var response = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = I420(bytes, 7, "cam") }, deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.Equal(DetectionSource.Remote, response.DetectionSource);
        Assert.Equal(7ul, response.Detection.Sequence);
        Assert.Equal(DamageClass.Clean, response.Detection.DamageClass);
        Assert.Equal(bytes, response.Frame.Data.ToByteArray());
        Assert.Equal(PixelFormat.I420, response.Frame.Format);
        Assert.Equal(("cam", 7ul), (response.Frame.StreamId, response.Frame.Sequence));
        Assert.Equal(0u, response.Repaired.ModelBlocks + response.Repaired.TemporalBlocks);
        Assert.False(string.IsNullOrEmpty(response.Model.Version));

        var gray = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = I420(bytes), OutputFormat = PixelFormat.Gray8 });
        Assert.Equal(PixelFormat.Gray8, gray.Frame.Format);
        Assert.Equal(bytes.AsSpan(0, W * H).ToArray(), gray.Frame.Data.ToByteArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stream_detection_carries_the_recurrent_state_remote_and_local_like_a_detect_stream(bool remote)
    {
        Assert.True(TestModels.Pipeline.IsRecurrent, "the default detector is recurrent (2.x): this test needs one");
        await using var detector = await DetectorServer.StartAsync();
        await using var enhancer = await EnhancerServer.StartAsync(remote ? $"http://127.0.0.1:{detector.GrpcPort}" : null);
        const int n = 6;
        var frames = Enumerable.Range(0, n).Select(i => Service.UnaryTests.I420Frame(160, 96, seed: i + 40, seq: (ulong)i, stream: "st")).ToArray();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var enhanced = await Exchange(enhancer.Client.EnhanceStream(cancellationToken: cts.Token),
            [new EnhanceStreamRequest { Config = new StreamConfig { StreamId = "st", Mode = StreamMode.Lossless } }, .. frames.Select(f => new EnhanceStreamRequest { Frame = f })], cts.Token);

        // The detector's own stream of the same frames: the state carried from frame to frame.
        var streamed = await Exchange(detector.Client.DetectStream(cancellationToken: cts.Token),
            [new DetectStreamRequest { Config = new StreamConfig { StreamId = "st", Mode = StreamMode.Lossless } }, .. frames.Select(f => new DetectStreamRequest { Frame = f })], cts.Token);

        Assert.Equal(n, enhanced.Count);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(remote ? DetectionSource.Remote : DetectionSource.Local, enhanced[i].DetectionSource);
            Assert.Equal(streamed[i].Severity, enhanced[i].Detection.Severity);
            Assert.Equal(streamed[i].Mask.Bits, enhanced[i].Detection.Mask.Bits);
            Assert.Null(enhanced[i].Detection.State); // the state stays inside the enhancer
        }
    }

    /// <summary>Sends every request on a bidirectional call, completes it and reads every response.</summary>
    private static async Task<List<TResponse>> Exchange<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call,
        IEnumerable<TRequest> requests, CancellationToken ct)
    {
        using (call)
        {
            foreach (var r in requests)
            {
                await call.RequestStream.WriteAsync(r, ct);
            }

            await call.RequestStream.CompleteAsync();
            var responses = new List<TResponse>();
            await foreach (var r in call.ResponseStream.ReadAllAsync(ct))
            {
                responses.Add(r);
            }

            return responses;
        }
    }

    [Fact]
    public async Task Stream_survives_the_detector_stopping_and_returns_to_it_after_a_restart_on_the_same_port()
    {
        var ports = DetectorServer.FreePorts();
        var detector = await DetectorServer.StartAsync(ports: ports);
        await using var enhancer = await EnhancerServer.StartAsync($"http://127.0.0.1:{ports.Grpc}", "--Enhancer:DetectTimeoutMs=1000");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var call = enhancer.Client.EnhanceStream(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new EnhanceStreamRequest { Config = new StreamConfig { StreamId = "s", Mode = StreamMode.Lossless } });
        ulong seq = 0;

        async Task<EnhanceResponse> Next()
        {
            await call.RequestStream.WriteAsync(new EnhanceStreamRequest { Frame = I420(RepairTests.Natural(W, H, (int)seq % 5), seq) });
            Assert.True(await call.ResponseStream.MoveNext(cts.Token), "stream ended early");
            var r = call.ResponseStream.Current;
            Assert.Equal(seq++, r.Frame.Sequence);
            return r;
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(DetectionSource.Remote, (await Next()).DetectionSource);
        }

        await detector.DisposeAsync();
        for (int i = 0; i < 6; i++)
        {
            // Failed calls fall back; a call still retrying when its hedging delay passes is hedged instead.
            var r = await Next();
            Assert.Contains(r.DetectionSource, new[] { DetectionSource.LocalFallback, DetectionSource.LocalHedge });
            Assert.Equal((uint)(H / 8), r.Detection.Mask.Rows);
        }

        var metrics = await enhancer.Http.GetStringAsync("/metrics");
        Assert.Contains("vq_enhancer_detector_circuit_state 2", metrics);
        Assert.Contains("\"detector_circuit\":\"Open\"", await enhancer.Http.GetStringAsync("/readyz"));

        detector = await DetectorServer.StartAsync(ports: ports);
        await using (detector)
        {
            var until = Stopwatch.StartNew();
            DetectionSource source;
            do
            {
                source = (await Next()).DetectionSource;
                Assert.True(until.Elapsed < TimeSpan.FromSeconds(20), "detection never went back to the restarted detector");
                await Task.Delay(source == DetectionSource.Remote ? 0 : 100);
            }
            while (source != DetectionSource.Remote);

            Assert.Equal(DetectionSource.Remote, (await Next()).DetectionSource);
            await call.RequestStream.CompleteAsync();
            Assert.False(await call.ResponseStream.MoveNext(cts.Token));
        }
    }

    [Fact]
    public async Task Slow_detector_does_not_hold_the_call_past_the_attempt_deadline()
    {
        await using var slow = await SleepyDetector.StartAsync(TimeSpan.FromSeconds(30));
        await using var enhancer = await EnhancerServer.StartAsync(slow.Address, "--Enhancer:DetectTimeoutMs=250", "--Enhancer:MaxRetries=1", "--Enhancer:Hedging=false");
        var clock = Stopwatch.StartNew();
        var response = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = I420(RepairTests.Natural(W, H)) }, deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(DetectionSource.LocalFallback, response.DetectionSource);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(slow.Calls >= 1, "the detector was never called");
        Assert.True(slow.Cancelled >= 1, "the abandoned detector call was not cancelled");
    }

    [Fact]
    public async Task Slow_detector_is_hedged_within_the_frame_budget_and_its_circuit_opens_on_sustained_slowness()
    {
        // The detector answers after 3 s; the stream's frames are 250 ms apart (timestamps), so detection has 150 ms.
        await using var slow = await SleepyDetector.StartAsync(TimeSpan.FromSeconds(3));
        await using var enhancer = await EnhancerServer.StartAsync(slow.Address, "--Enhancer:DetectTimeoutMs=5000", ProductBudget);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = enhancer.Client.EnhanceStream(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new EnhanceStreamRequest { Config = new StreamConfig { StreamId = "late", Mode = StreamMode.Lossless } });
        var sources = new List<DetectionSource>();
        for (ulong seq = 0; seq < 10; seq++)
        {
            var frame = I420(RepairTests.Natural(W, H, (int)seq % 5), seq, "late");
            frame.TimestampUs = (long)seq * 250_000;
            var clock = Stopwatch.StartNew();
            await call.RequestStream.WriteAsync(new EnhanceStreamRequest { Frame = frame });
            Assert.True(await call.ResponseStream.MoveNext(cts.Token), "stream ended early");
            var r = call.ResponseStream.Current;
            Assert.Equal(seq, r.Frame.Sequence);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"frame {seq} waited {clock.ElapsedMilliseconds} ms for a detector that answers after 3 s");
            sources.Add(r.DetectionSource);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(cts.Token));

        // Hedged at first (the local detection won, the late call was cancelled), then the circuit opened on the
        // slowness alone (no call failed) and detection went in-process without asking.
        Assert.Equal(DetectionSource.LocalHedge, sources[0]);
        Assert.DoesNotContain(DetectionSource.Remote, sources);
        Assert.Contains(DetectionSource.LocalFallback, sources);
        Assert.True(slow.Cancelled >= 1, "the abandoned detector calls were not cancelled");
        Assert.True(slow.Calls < sources.Count, $"{slow.Calls} detector calls for {sources.Count} frames: the circuit never opened");
        var metrics = await enhancer.Http.GetStringAsync("/metrics");
        Assert.Matches(@"vq_enhancer_detector_hedges_total\{winner=""local""\} [1-9]", metrics);
        Assert.Matches(@"vq_enhancer_fallback_detections_total\{reason=""circuit_open_slow""\} [1-9]", metrics);
        Assert.Contains("vq_enhancer_detector_circuit_state 2", metrics);
        Assert.Matches(@"vq_enhancer_detections_total\{source=""local_hedge""\} [1-9]", metrics);
    }

    [Fact]
    public async Task Healthy_detector_keeps_the_detections_and_is_rarely_hedged()
    {
        await using var detector = await DetectorServer.StartAsync();
        await using var enhancer = await EnhancerServer.StartAsync($"http://127.0.0.1:{detector.GrpcPort}", ProductBudget);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var call = enhancer.Client.EnhanceStream(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new EnhanceStreamRequest { Config = new StreamConfig { StreamId = "ok", Mode = StreamMode.Lossless } });
        const int n = 30;
        int remote = 0;
        for (ulong seq = 0; seq < n; seq++)
        {
            var frame = I420(RepairTests.Natural(W, H, (int)seq % 5), seq, "ok");
            frame.TimestampUs = (long)seq * 250_000;
            await call.RequestStream.WriteAsync(new EnhanceStreamRequest { Frame = frame });
            Assert.True(await call.ResponseStream.MoveNext(cts.Token), "stream ended early");
            remote += call.ResponseStream.Current.DetectionSource == DetectionSource.Remote ? 1 : 0;
        }

        await call.RequestStream.CompleteAsync();
        Assert.True(remote >= n * 9 / 10, $"only {remote} of {n} detections were remote: hedging abandons a healthy detector");
        var metrics = await enhancer.Http.GetStringAsync("/metrics");
        Assert.Contains("vq_enhancer_detector_circuit_state 0", metrics);
    }

    [Fact]
    public async Task Bad_inputs_are_rejected_with_clear_invalid_argument_errors()
    {
        await using var enhancer = await EnhancerServer.StartAsync(null);
        async Task<string> Rejected(EnhanceRequest request)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => enhancer.Client.EnhanceAsync(request).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            return e.Status.Detail;
        }

        Assert.Contains("frame is required", await Rejected(new EnhanceRequest()));
        Assert.Contains("needs 92160 bytes of data, got 100", await Rejected(new EnhanceRequest
        {
            Frame = new Frame { Format = PixelFormat.I420, Width = W, Height = H, Data = ByteString.CopyFrom(new byte[100]) },
        }));
        Assert.Contains("RGB24 8x8 needs 192 bytes of data, got 100", await Rejected(new EnhanceRequest
        {
            Frame = new Frame { Format = PixelFormat.Rgb24, Width = 8, Height = 8, Data = ByteString.CopyFrom(new byte[100]) },
        }));
        Assert.Contains("unknown output format", await Rejected(new EnhanceRequest { Frame = I420(RepairTests.Natural(W, H)), OutputFormat = (PixelFormat)99 }));
        Assert.Contains("previous frame", await Rejected(new EnhanceRequest
        {
            Frame = I420(RepairTests.Natural(W, H)),
            PreviousFrame = new Frame { Format = PixelFormat.Gray8, Width = 16, Height = 16, Data = ByteString.CopyFrom(new byte[256]) },
        }));

        // In-process only: ready, and says so.
        var ready = await enhancer.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("not configured", await ready.Content.ReadAsStringAsync());
        var local = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = I420(RepairTests.Natural(W, H)) });
        Assert.Equal(DetectionSource.Local, local.DetectionSource); // not "fallback": no detector is configured at all

        // In-process detection reads every format too: a blocky PNG is detected locally and repaired as PNG.
        var blocky = Frames.Encode(Mpeg2Frame.PartlyDamaged(W, H, "rgb24", 3, W * 5 / 8), W, H, SkiaSharp.SKEncodedImageFormat.Png);
        var png = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = new Frame { Format = PixelFormat.Png, Data = ByteString.CopyFrom(blocky) } });
        Assert.Equal((DetectionSource.Local, PixelFormat.Png), (png.DetectionSource, png.Frame.Format));
        Assert.True(png.Repaired.ModelBlocks > 0, $"nothing repaired (class {png.Detection.DamageClass}, {png.Detection.Mask.Flagged} flagged)");
        Assert.Contains("vq_enhancer_frames_processed_total", await enhancer.Http.GetStringAsync("/metrics"));
    }

    /// <summary>A real gRPC Detector server that answers nothing for a long time (no mock of our own code).</summary>
    private sealed class SleepyDetector : Contracts.V1.Detector.DetectorBase, IAsyncDisposable
    {
        private WebApplication _app = null!;
        private int _calls, _cancelled;

        private TimeSpan Delay { get; init; }

        public string Address { get; private set; } = string.Empty;

        public int Calls => _calls;

        public int Cancelled => _cancelled;

        public static async Task<SleepyDetector> StartAsync(TimeSpan delay)
        {
            var sleepy = new SleepyDetector { Delay = delay };
            int port = DetectorServer.FreePort();
            var builder = WebApplication.CreateBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(sleepy);
            sleepy._app = builder.Build();
            sleepy._app.MapGrpcService<SleepyDetector>();
            await sleepy._app.StartAsync();
            sleepy.Address = $"http://127.0.0.1:{port}";
            return sleepy;
        }

        public override async Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref _calls);
            try
            {
                await Task.Delay(Delay, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }

            throw new RpcException(new Status(StatusCode.Internal, "too late"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
