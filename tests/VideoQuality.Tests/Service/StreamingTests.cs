using Google.Protobuf;
using Grpc.Core;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection.Grpc;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Service;

[Collection("detector server")]
public class StreamingTests(DetectorServerFixture fixture)
{
    private DetectorServer Server => fixture.Server;

    private static Frame Gray(int w, int h, ulong seq, int seed = 0) => new()
    {
        Format = PixelFormat.Gray8,
        Width = (uint)w,
        Height = (uint)h,
        Data = ByteString.CopyFrom(Frames.BlockyLuma(w, h, seed)),
        Sequence = seq,
    };

    private static async Task<List<DetectResponse>> ReadAllAsync(AsyncDuplexStreamingCall<DetectStreamRequest, DetectResponse> call, CancellationToken ct)
    {
        var list = new List<DetectResponse>();
        await foreach (var r in call.ResponseStream.ReadAllAsync(ct))
        {
            list.Add(r);
        }

        return list;
    }

    [Fact]
    public async Task Stream_answers_every_frame_in_order_with_history()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = Server.Client.DetectStream(cancellationToken: cts.Token);
        var reading = ReadAllAsync(call, cts.Token);
        await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { StreamId = "s1", Mode = StreamMode.Lossless } });
        for (ulong i = 0; i < 10; i++)
        {
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = UnaryTests.I420Frame(160, 96, seed: (int)i, seq: i) });
        }

        await call.RequestStream.CompleteAsync();
        var responses = await reading;
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (ulong)i), responses.Select(r => r.Sequence));
        Assert.False(responses[0].HasTemporalContext);
        Assert.All(responses.Skip(1), r => Assert.True(r.HasTemporalContext));
        Assert.All(responses, r => Assert.Equal("s1", r.StreamId));
        Assert.All(responses, r => Assert.Equal(0UL, r.DroppedFrames));

        // Overlapping runs give exactly the sequential in-process results.
        var local = TestModels.Pipeline.CreateStream();
        for (int i = 0; i < 10; i++)
        {
            var expected = TestModels.Pipeline.Detect(local, UnaryTests.I420Frame(160, 96, seed: i).ToRawFrame());
            Assert.Equal(expected.Severity, responses[i].Severity);
            Assert.Equal(expected.Mask.Bits, responses[i].Mask.Bits.ToByteArray());
        }

        // A unary call with a previous frame is the stateless form of the same frame: exactly the in-process call with
        // that previous frame. With a recurrent model (2.x) the stream's frame 5 also carries the state of frames 0-4,
        // so it differs from the unary answer; with 1.x the stream's history is the previous frame alone.
        var unary = await Server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(160, 96, seed: 5, seq: 5), PreviousFrame = UnaryTests.I420Frame(160, 96, seed: 4) });
        var stateless = TestModels.Pipeline.Detect(UnaryTests.I420Frame(160, 96, seed: 5).ToRawFrame(), UnaryTests.I420Frame(160, 96, seed: 4).ToRawFrame());
        Assert.True(unary.HasTemporalContext);
        Assert.Equal(stateless.Severity, unary.Severity);
        Assert.Equal(stateless.Mask.Bits, unary.Mask.Bits.ToByteArray());
        if (!TestModels.Pipeline.IsRecurrent)
        {
            Assert.Equal(unary.Severity, responses[5].Severity);
        }
    }

    [Fact]
    public async Task Unary_calls_that_hand_back_the_state_answer_exactly_as_a_stream_and_a_state_that_does_not_fit_is_refused()
    {
        Assert.True(TestModels.Pipeline.IsRecurrent, "the default detector is recurrent (2.x): this test needs one");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = Server.Client.DetectStream(cancellationToken: cts.Token);
        var reading = ReadAllAsync(call, cts.Token);
        await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { StreamId = "s2", Mode = StreamMode.Lossless } });
        for (ulong i = 0; i < 6; i++)
        {
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = UnaryTests.I420Frame(160, 96, seed: (int)i + 20, seq: i) });
        }

        await call.RequestStream.CompleteAsync();
        var streamed = await reading;

        // The same frames as unary calls, each with the previous frame and the state the previous answer returned.
        DetectorState? state = null;
        var unary = new List<DetectResponse>();
        for (int i = 0; i < 6; i++)
        {
            var r = await Server.Client.DetectAsync(new DetectRequest
            {
                Frame = UnaryTests.I420Frame(160, 96, seed: i + 20, seq: (ulong)i),
                PreviousFrame = i > 0 ? UnaryTests.I420Frame(160, 96, seed: i + 19) : null,
                State = state,
                ReturnState = true,
            });
            Assert.Equal(i > 0, r.StateUsed);
            Assert.Equal((8u, 12u, 20u, 8 * 12 * 20 * 4), (r.State.Channels, r.State.Rows, r.State.Cols, r.State.Data.Length));
            Assert.Equal(r.Model.Version, r.State.ModelVersion);
            unary.Add(r);
            state = r.State;
        }

        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(streamed[i].Severity, unary[i].Severity);
            Assert.Equal(streamed[i].Mask.Bits, unary[i].Mask.Bits);
        }

        // Without return_state nothing comes back; a state of another model version is not used (fresh state).
        var plain = await Server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(160, 96, seed: 25), State = state });
        Assert.Null(plain.State);
        var other = state!.Clone();
        other.ModelVersion = "0.0.1";
        var fresh = await Server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(160, 96, seed: 25), State = other });
        var none = await Server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(160, 96, seed: 25) });
        Assert.False(fresh.StateUsed);
        Assert.Equal(none.Severity, fresh.Severity);

        // A state whose grid is not the frame's, whose bytes do not match its shape, or that holds NaN.
        async Task<string> Refused(DetectorState bad)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(320, 96), State = bad }));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            return ex.Status.Detail;
        }

        Assert.Contains("state is 8x12x20", await Refused(state));
        var truncated = state.Clone();
        truncated.Data = ByteString.CopyFrom(state.Data.Span[..100]);
        Assert.Contains("state has 100 bytes", await Refused(truncated));
        var nan = state.Clone();
        var bytes = state.Data.ToByteArray();
        BitConverter.GetBytes(float.NaN).CopyTo(bytes, 0);
        nan.Data = ByteString.CopyFrom(bytes);
        var exNan = await Assert.ThrowsAsync<RpcException>(async () => await Server.Client.DetectAsync(new DetectRequest { Frame = UnaryTests.I420Frame(160, 96), State = nan }));
        Assert.Contains("not a finite number", exNan.Status.Detail);
    }

    [Fact]
    public async Task Live_mode_drops_oldest_frames_when_the_client_outruns_the_model_and_reports_them()
    {
        const int sent = 120;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var call = Server.Client.DetectStream(cancellationToken: cts.Token);
        var reading = ReadAllAsync(call, cts.Token);
        await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { Mode = StreamMode.Live, QueueCapacity = 1 } });
        var frames = Enumerable.Range(0, 4).Select(s => Gray(1280, 720, 0, s)).ToArray();
        for (int i = 0; i < sent; i++)
        {
            var f = frames[i % frames.Length].Clone();
            f.Sequence = (ulong)i;
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = f });
        }

        await call.RequestStream.CompleteAsync();
        var responses = await reading;
        var last = responses[^1];
        Assert.True(last.DroppedFrames > 0, $"no frame dropped ({responses.Count} answered)");
        Assert.Equal((ulong)sent, (ulong)responses.Count + last.DroppedFrames);
        Assert.Equal(last.DroppedFrames, (ulong)responses.Sum(r => r.DroppedSinceLast));
        Assert.True(responses.Zip(responses.Skip(1)).All(p => p.Second.Sequence > p.First.Sequence), "responses out of order");
        Assert.Equal((ulong)(sent - 1), last.Sequence); // the newest frame is never the one dropped
        Assert.Contains("vq_detector_frames_dropped_total", await Server.MetricsAsync());
        Assert.DoesNotContain("vq_detector_frames_dropped_total 0\n", await Server.MetricsAsync());
    }

    [Fact]
    public async Task Lossless_mode_applies_backpressure_and_never_drops()
    {
        const int sent = 40;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var call = Server.Client.DetectStream(cancellationToken: cts.Token);
        var reading = ReadAllAsync(call, cts.Token);
        await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { Mode = StreamMode.Lossless, QueueCapacity = 1 } });
        var frame = Gray(1280, 720, 0);
        for (int i = 0; i < sent; i++)
        {
            var f = frame.Clone();
            f.Sequence = (ulong)i;
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = f });
        }

        await call.RequestStream.CompleteAsync();
        var responses = await reading;
        Assert.Equal(Enumerable.Range(0, sent).Select(i => (ulong)i), responses.Select(r => r.Sequence));
        Assert.All(responses, r => Assert.Equal(0UL, r.DroppedFrames));
    }

    [Fact]
    public async Task Bad_frame_ends_only_its_own_stream()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var good = Server.Client.DetectStream(cancellationToken: cts.Token);
        using var bad = Server.Client.DetectStream(cancellationToken: cts.Token);
        var goodReading = ReadAllAsync(good, cts.Token);
        var badReading = ReadAllAsync(bad, cts.Token);
        await good.RequestStream.WriteAsync(new DetectStreamRequest { Frame = Gray(64, 48, 0) });
        await bad.RequestStream.WriteAsync(new DetectStreamRequest { Frame = Gray(64, 48, 0) });
        await bad.RequestStream.WriteAsync(new DetectStreamRequest { Frame = new Frame { Format = PixelFormat.I420, Width = 64, Height = 48, Data = ByteString.CopyFrom(new byte[17]), Sequence = 1 } });
        var ex = await Assert.ThrowsAsync<RpcException>(() => badReading);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("frame sequence 1: I420 64x48 needs 4608 bytes of data, got 17", ex.Status.Detail);

        for (ulong i = 1; i < 5; i++)
        {
            await good.RequestStream.WriteAsync(new DetectStreamRequest { Frame = Gray(64, 48, i) });
        }

        await good.RequestStream.CompleteAsync();
        var responses = await goodReading;
        Assert.Equal([0UL, 1, 2, 3, 4], responses.Select(r => r.Sequence));
    }

    [Fact]
    public async Task Unknown_stream_mode_gets_invalid_argument()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = Server.Client.DetectStream(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { Mode = (StreamMode)7 }, Frame = Gray(64, 48, 0) });
        var ex = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call, cts.Token));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("unknown stream mode 7", ex.Status.Detail);
    }

    [Fact]
    public async Task Oversize_message_on_a_stream_gets_resource_exhausted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = Server.Client.DetectStream(cancellationToken: cts.Token);
        var reading = ReadAllAsync(call, cts.Token);
        int w = 4096, h = (DetectorServer.MaxReceiveBytes / 4096) + 16;
        await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = Gray(64, 48, 0) });
        try
        {
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = new Frame { Format = PixelFormat.Gray8, Width = (uint)w, Height = (uint)h, Data = ByteString.CopyFrom(new byte[w * h]) } });
        }
        catch (Exception sendError) when (sendError is RpcException or IOException or System.Net.Http.HttpProtocolException or InvalidOperationException)
        {
            // The server ends the call (and resets the HTTP/2 stream) while the message is still being sent.
        }

        var ex = await Assert.ThrowsAsync<RpcException>(() => reading);

        // The server answers RESOURCE_EXHAUSTED and resets the stream that is still uploading; the client sees the
        // status, unless its failed upload aborts the call first (then CANCELLED). The server side is exact:
        Assert.True(ex.StatusCode is StatusCode.ResourceExhausted or StatusCode.Cancelled, ex.ToString());
        Assert.Matches("vq_detector_frames_failed_total\\{code=\"ResourceExhausted\"\\} [1-9]", await Server.MetricsAsync());
    }

    [Fact]
    public async Task Client_cancellation_and_deadline_end_the_call_on_the_server()
    {
        foreach (var useDeadline in new[] { false, true })
        {
            using var cts = new CancellationTokenSource();
            using var call = useDeadline
                ? Server.Client.DetectStream(deadline: DateTime.UtcNow.AddMilliseconds(700))
                : Server.Client.DetectStream(cancellationToken: cts.Token);
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { Mode = StreamMode.Lossless, QueueCapacity = 1 } });
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = Gray(640, 360, 0) });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Contains("vq_detector_active_streams 1", await Server.MetricsAsync());
            if (!useDeadline)
            {
                await cts.CancelAsync();
            }

            var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                for (ulong i = 1; ; i++)
                {
                    await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = Gray(640, 360, i) });
                    await Task.Delay(20);
                }
            });
            Assert.Equal(useDeadline ? StatusCode.DeadlineExceeded : StatusCode.Cancelled, ex.StatusCode);

            var until = DateTime.UtcNow.AddSeconds(20);
            while (!(await Server.MetricsAsync()).Contains("vq_detector_active_streams 0"))
            {
                Assert.True(DateTime.UtcNow < until, "the server kept the stream open after the client left");
                await Task.Delay(50);
            }
        }
    }
}
