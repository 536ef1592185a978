using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Serialization;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using VideoQuality.Contracts.V1;

namespace VideoQuality.Fuzz;

/// <summary>Settings of a fuzz run.</summary>
/// <param name="Target">Detector gRPC address (http://host:port).</param>
/// <param name="Inputs">Malformed inputs to send.</param>
/// <param name="Seed">Corpus seed (the same seed sends the same inputs).</param>
/// <param name="Concurrency">Inputs in flight at once.</param>
/// <param name="DeadlineMs">Deadline of every call; a call that runs past it counts as a hang.</param>
/// <param name="OversizeBytes">Size of oversize messages (above the server's Grpc:MaxReceiveMessageBytes).</param>
/// <param name="OversizeEvery">One input in this many is oversize (0 = none).</param>
/// <param name="StreamEvery">One input in this many goes into a DetectStream after two valid frames (0 = all unary).</param>
/// <param name="HealthyStreams">Concurrent lossless streams of valid frames that must be unaffected.</param>
internal sealed record FuzzSettings(
    Uri Target, int Inputs = 300, int Seed = 1, int Concurrency = 4, int DeadlineMs = 30_000,
    int OversizeBytes = 65 << 20, int OversizeEvery = 50, int StreamEvery = 5, int HealthyStreams = 2);

/// <summary>What a fuzz run saw. <see cref="Passed"/>: no failures, no hangs, every refusal with a message, the
/// healthy streams fully answered and the health service SERVING afterwards.</summary>
internal sealed class FuzzReport
{
    [JsonPropertyName("inputs")]
    public int Inputs { get; set; }

    [JsonPropertyName("accepted")]
    public int Accepted { get; set; }

    [JsonPropertyName("by_kind")]
    public SortedDictionary<string, int> ByKind { get; } = [];

    [JsonPropertyName("accepted_by_kind")]
    public SortedDictionary<string, int> AcceptedByKind { get; } = [];

    [JsonPropertyName("by_status")]
    public SortedDictionary<string, int> ByStatus { get; } = [];

    [JsonPropertyName("hangs")]
    public int Hangs { get; set; }

    [JsonPropertyName("unclear")]
    public int Unclear { get; set; }

    [JsonPropertyName("failures")]
    public List<string> Failures { get; } = [];

    [JsonPropertyName("healthy_frames_sent")]
    public long HealthyFramesSent { get; set; }

    [JsonPropertyName("healthy_frames_answered")]
    public long HealthyFramesAnswered { get; set; }

    [JsonPropertyName("healthy_stream_errors")]
    public List<string> HealthyStreamErrors { get; } = [];

    [JsonPropertyName("health_after")]
    public string HealthAfter { get; set; } = "";

    [JsonPropertyName("max_call_ms")]
    public double MaxCallMs { get; set; }

    [JsonPropertyName("duration_s")]
    public double DurationS { get; set; }

    [JsonPropertyName("passed")]
    public bool Passed => Failures.Count == 0 && Hangs == 0 && Unclear == 0 && HealthyStreamErrors.Count == 0
        && HealthyFramesSent == HealthyFramesAnswered && HealthAfter == "Serving";
}

/// <summary>
/// Sends <see cref="FuzzSettings.Inputs"/> malformed requests to a running detector — unary, and inside DetectStream
/// calls after valid frames — while healthy lossless streams run beside them. Every call must end within the
/// deadline with OK (an input that happens to be valid), INVALID_ARGUMENT or RESOURCE_EXHAUSTED, and a message.
/// </summary>
internal static class FuzzRunner
{
    public static async Task<FuzzReport> RunAsync(FuzzSettings s, TextWriter? progress = null, CancellationToken ct = default)
    {
        var report = new FuzzReport();
        var sw = Stopwatch.StartNew();
        using var channel = GrpcChannel.ForAddress(s.Target, new GrpcChannelOptions
        {
            MaxSendMessageSize = null,
            MaxReceiveMessageSize = 64 << 20,
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var client = new Detector.DetectorClient(channel);
        var corpus = new FuzzCorpus(s.Seed, s.OversizeBytes, s.OversizeEvery);
        var outcomes = new ConcurrentQueue<(FuzzKind Kind, string Status, string? Failure, bool Hang, bool Unclear, double Ms)>();

        using var stopHealthy = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var healthy = Enumerable.Range(0, s.HealthyStreams).Select(i => HealthyStreamAsync(client, $"healthy-{i}", s.DeadlineMs, stopHealthy.Token)).ToList();

        var gate = new Lock();
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, s.Inputs), new ParallelOptions { MaxDegreeOfParallelism = s.Concurrency, CancellationToken = ct }, async (i, token) =>
        {
            FuzzInput input;
            lock (gate)
            {
                input = corpus.Next(i);
            }

            var outcome = s.StreamEvery > 0 && i % s.StreamEvery == 0
                ? await StreamAsync(client, input, s.DeadlineMs, token)
                : await UnaryAsync(client, input, s.DeadlineMs, token);
            outcomes.Enqueue((input.Kind, outcome.Status, outcome.Failure, outcome.Hang, outcome.Unclear, outcome.Ms));
            if (Interlocked.Increment(ref done) % 1000 == 0)
            {
                progress?.WriteLine($"{done}/{s.Inputs} inputs, {sw.Elapsed.TotalSeconds:F0} s");
            }
        });

        await stopHealthy.CancelAsync();
        foreach (var h in healthy)
        {
            var (sent, answered, error) = await h;
            report.HealthyFramesSent += sent;
            report.HealthyFramesAnswered += answered;
            if (error is not null)
            {
                report.HealthyStreamErrors.Add(error);
            }
        }

        foreach (var o in outcomes)
        {
            report.Inputs++;
            report.ByKind[o.Kind.ToString()] = report.ByKind.GetValueOrDefault(o.Kind.ToString()) + 1;
            report.ByStatus[o.Status] = report.ByStatus.GetValueOrDefault(o.Status) + 1;
            if (o.Status == nameof(StatusCode.OK))
            {
                report.Accepted++;
                report.AcceptedByKind[o.Kind.ToString()] = report.AcceptedByKind.GetValueOrDefault(o.Kind.ToString()) + 1;
            }

            report.Hangs += o.Hang ? 1 : 0;
            report.Unclear += o.Unclear ? 1 : 0;
            report.MaxCallMs = Math.Max(report.MaxCallMs, o.Ms);
            if (o.Failure is not null && report.Failures.Count < 50)
            {
                report.Failures.Add(o.Failure);
            }
        }

        try
        {
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddMilliseconds(s.DeadlineMs), cancellationToken: ct);
            report.HealthAfter = health.Status.ToString();
        }
        catch (RpcException e)
        {
            report.HealthAfter = $"{e.StatusCode}: {e.Status.Detail}";
        }

        report.DurationS = Math.Round(sw.Elapsed.TotalSeconds, 1);
        return report;
    }

    private static async Task<(string Status, string? Failure, bool Hang, bool Unclear, double Ms)> UnaryAsync(Detector.DetectorClient client, FuzzInput input, int deadlineMs, CancellationToken ct)
    {
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            await client.DetectAsync(input.Request, deadline: DateTime.UtcNow.AddMilliseconds(deadlineMs), cancellationToken: ct);
            return (nameof(StatusCode.OK), null, false, false, Ms(t0));
        }
        catch (RpcException e)
        {
            return Classify(input, "unary", e.Status, Ms(t0));
        }
    }

    /// <summary>Two valid frames, then the input's frame, in one DetectStream: the call must end with a clear status
    /// (or OK with both valid frames answered, when the input happens to be valid or carries no frame).</summary>
    private static async Task<(string Status, string? Failure, bool Hang, bool Unclear, double Ms)> StreamAsync(Detector.DetectorClient client, FuzzInput input, int deadlineMs, CancellationToken ct)
    {
        var t0 = Stopwatch.GetTimestamp();
        var streamId = $"fuzz-stream-{input.Index}";
        using var call = client.DetectStream(deadline: DateTime.UtcNow.AddMilliseconds(deadlineMs), cancellationToken: ct);
        int answered = 0;
        try
        {
            await call.RequestStream.WriteAsync(new DetectStreamRequest
            {
                Config = new StreamConfig { StreamId = streamId, Mode = StreamMode.Lossless },
                Frame = FuzzCorpus.Valid(streamId, 1),
            }, ct);
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = FuzzCorpus.Valid(streamId, 2) }, ct);
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = input.Request.Frame }, ct);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server ended the call already (e.g. an oversize message); its status is read below.
        }
        catch (InvalidOperationException)
        {
            // Writing after the call completed; as above.
        }

        try
        {
            while (await call.ResponseStream.MoveNext(ct))
            {
                answered++;
            }

            return answered >= 2
                ? (nameof(StatusCode.OK), null, false, false, Ms(t0))
                : (nameof(StatusCode.OK), $"#{input.Index} {input.Kind} stream: ended OK after {answered} of the 2 valid frames", false, false, Ms(t0));
        }
        catch (RpcException e)
        {
            // A bad frame ends its own call; frames of that call still in flight may go unanswered (the detector's
            // stream contract). Other streams must not notice: the healthy streams check that.
            return Classify(input, "stream", e.Status, Ms(t0));
        }
    }

    private static (string Status, string? Failure, bool Hang, bool Unclear, double Ms) Classify(FuzzInput input, string rpc, Status status, double ms)
    {
        var code = status.StatusCode;
        bool hang = code == StatusCode.DeadlineExceeded;
        bool unclear = string.IsNullOrWhiteSpace(status.Detail);
        string? failure = code is StatusCode.InvalidArgument or StatusCode.ResourceExhausted && !unclear
            ? null
            : $"#{input.Index} {input.Kind} {rpc} ({input.Bytes} bytes): {code} '{status.Detail}'";
        return (code.ToString(), failure, hang, unclear, ms);
    }

    /// <summary>A lossless stream of valid frames until <paramref name="stop"/>: every frame must be answered, in order.</summary>
    private static async Task<(long Sent, long Answered, string? Error)> HealthyStreamAsync(Detector.DetectorClient client, string streamId, int deadlineMs, CancellationToken stop)
    {
        long sent = 0, answered = 0;
        using var call = client.DetectStream();
        var reader = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var r = call.ResponseStream.Current;
                if (r.Sequence != (ulong)(answered + 1) || r.StreamId != streamId)
                {
                    throw new InvalidOperationException($"{streamId}: expected frame {answered + 1}, got {r.StreamId}#{r.Sequence}");
                }

                answered++;
            }
        });
        try
        {
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { StreamId = streamId, Mode = StreamMode.Lossless, QueueCapacity = 4 } });
            while (!stop.IsCancellationRequested)
            {
                await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = FuzzCorpus.Valid(streamId, (ulong)(sent + 1)) });
                sent++;
                // Keep a few frames in flight so the healthy streams load the server without flooding it.
                while (sent - Interlocked.Read(ref answered) > 4 && !reader.IsCompleted)
                {
                    await Task.Delay(5, CancellationToken.None);
                }

                if (reader.IsCompleted)
                {
                    break;
                }
            }

            await call.RequestStream.CompleteAsync();
            await reader.WaitAsync(TimeSpan.FromMilliseconds(deadlineMs), CancellationToken.None);
            return (sent, answered, null);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or TimeoutException)
        {
            return (sent, answered, $"{streamId}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static double Ms(long t0) => Math.Round(Stopwatch.GetElapsedTime(t0).TotalMilliseconds, 1);
}
