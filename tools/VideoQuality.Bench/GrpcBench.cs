using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using VideoQuality.Contracts.V1;
using VideoQuality.Media;

namespace VideoQuality.Bench;

/// <summary>
/// The Detector service over gRPC with 640x360 I420 frames (`bench grpc --detector URL`; start the service with ./vq serve):
/// <list type="bullet">
/// <item>unary: Detect calls sent open-loop at a fixed rate (default 100/s, each with the previous frame as temporal
/// context), so a slow answer does not delay the next request; latency percentiles over all calls.</item>
/// <item>stream: one DetectStream call in lossless mode, frames sent as fast as flow control lets them; throughput is
/// frames answered per second of wall time, and the drop counter must stay 0.</item>
/// </list>
/// </summary>
internal static class GrpcBench
{
    public static async Task<int> RunAsync(Uri address, string clip, int rate, TimeSpan duration, int streamFrames, bool withPrevious = true)
    {
        var frames = ReadI420(clip, 60);
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
        var client = new Detector.DetectorClient(channel);
        var (w, h) = (frames[0].Width, frames[0].Height);
        Console.WriteLine($"# detector gRPC bench against {address}: {w}x{h} I420 frames from {clip}; load average {LoadAverage()}");

        // Warm-up, unrecorded: connection, JIT tiering and ONNX Runtime's first runs on both sides (3 s at the rate).
        for (var i = 0; i < 20; i++) await client.DetectAsync(new DetectRequest { Frame = frames[i % frames.Count] });
        _ = await UnaryAsync(client, frames, rate, TimeSpan.FromSeconds(3), withPrevious);

        var timed = await UnaryAsync(client, frames, rate, duration, withPrevious);
        var latencies = timed.Select(t => t.Total).Order().ToList();
        var server = timed.Select(t => t.Server).Order().ToList();
        static double P(List<double> v, double q) => v[(int)Math.Min(v.Count - 1, Math.Ceiling(q * v.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"unary at {rate}/s for {duration.TotalSeconds:0} s ({(withPrevious ? "frame + previous frame" : "frame only")}): {latencies.Count} calls, p50 {P(latencies, 0.50):0.00} ms, p90 {P(latencies, 0.90):0.00} ms, p99 {P(latencies, 0.99):0.00} ms, max {latencies[^1]:0.00} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  of which in the detector's pipeline (the response's stage timings, queue included): p50 {P(server, 0.50):0.00} ms, p99 {P(server, 0.99):0.00} ms, max {server[^1]:0.00} ms"));

        var (fps, dropped) = await StreamAsync(client, frames, streamFrames);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stream (lossless) of {streamFrames} frames: {fps:0.0} frames/s, dropped {dropped}"));
        return 0;
    }

    private static async Task<List<(double Total, double Server)>> UnaryAsync(Detector.DetectorClient client, List<Frame> frames, int rate, TimeSpan duration, bool withPrevious)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var calls = new List<Task<(double Total, double Server)>>(total);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            var wait = due - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var request = new DetectRequest { Frame = frames[i % frames.Count], PreviousFrame = withPrevious ? frames[(i + frames.Count - 1) % frames.Count] : null };
            calls.Add(TimeOneAsync(client, request));
        }
        return [.. await Task.WhenAll(calls)];
    }

    private static async Task<(double Total, double Server)> TimeOneAsync(Detector.DetectorClient client, DetectRequest request)
    {
        var t0 = Stopwatch.GetTimestamp();
        var r = await client.DetectAsync(request);
        var t = r.Timings;
        double server = t is null ? 0 : (t.DecodeUs + t.PreprocessUs + t.InferenceUs + t.PostprocessUs + t.QueueUs) / 1000.0;
        return (Stopwatch.GetElapsedTime(t0).TotalMilliseconds, server);
    }

    private static async Task<(double Fps, ulong Dropped)> StreamAsync(Detector.DetectorClient client, List<Frame> frames, int count)
    {
        using var call = client.DetectStream();
        var t0 = Stopwatch.GetTimestamp();
        var sender = Task.Run(async () =>
        {
            await call.RequestStream.WriteAsync(new DetectStreamRequest { Config = new StreamConfig { Mode = StreamMode.Lossless } });
            for (var i = 0; i < count; i++)
            {
                await call.RequestStream.WriteAsync(new DetectStreamRequest { Frame = frames[i % frames.Count] });
            }
            await call.RequestStream.CompleteAsync();
        });
        var answered = 0;
        ulong dropped = 0;
        await foreach (var r in call.ResponseStream.ReadAllAsync())
        {
            answered++;
            dropped = r.DroppedFrames;
        }
        await sender;
        if (answered != count) throw new InvalidOperationException($"stream answered {answered} of {count} frames");
        return (count / Stopwatch.GetElapsedTime(t0).TotalSeconds, dropped);
    }

    private static List<Frame> ReadI420(string clip, int max)
    {
        using var reader = new Y4mReader(File.OpenRead(clip));
        var frames = new List<Frame>();
        var buffer = new byte[reader.FrameSize];
        while (frames.Count < max && reader.ReadFrame(buffer))
        {
            frames.Add(new Frame
            {
                Format = PixelFormat.I420, Width = (uint)reader.Width, Height = (uint)reader.Height,
                Data = ByteString.CopyFrom(buffer), StreamId = "bench", Sequence = (ulong)frames.Count,
            });
        }
        return frames;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
