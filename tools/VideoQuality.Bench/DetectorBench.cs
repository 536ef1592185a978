using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using VideoQuality.Cli.Demo;
using VideoQuality.Cli.Detect;
using VideoQuality.Cli.Input;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Bench;

/// <summary>
/// In-process detector time per frame at each size and intra-op thread count, measured in the same run as ffmpeg's
/// blockdetect on the same frames. Detector time is the whole <see cref="DetectorPipeline.Detect(DetectionStream, RawFrame, CancellationToken)"/>
/// call on an in-memory luma plane (padding, tensor fill, model run, post-processing, mask packing, regions), one frame
/// at a time on one stream, after a warm-up; frames are read from the clip once, before timing.
/// </summary>
internal static class DetectorBench
{
    private const int WarmupFrames = 40; // JIT tiering promotes the hot loops after ~30 calls

    public sealed record DetectorTiming(int Threads, double MeanMs, double P50Ms, double P95Ms, double InferenceShare, string Provider);

    public sealed record SizeResult(int Width, int Height, int Frames, string Clip, FfmpegFilterTiming.Timing Blockdetect,
        IReadOnlyList<DetectorTiming> Detector);

    public static async Task<int> RunAsync(string[] args)
    {
        BenchOptions o;
        try
        {
            o = BenchOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
        {
            Console.Error.WriteLine($"bench: {e.Message}");
            return 2;
        }
        Directory.CreateDirectory(o.Work);
        if (o.Detector is not null)
        {
            var clip = o.Clips.TryGetValue((640, 360), out var given) ? given : await MakeClipAsync(o.Work, 640, 360, o.Frames);
            return await GrpcBench.RunAsync(o.Detector, clip, o.Rate, TimeSpan.FromSeconds(o.Seconds), o.StreamFrames, withPrevious: !o.NoPrevious);
        }
        var modelRoot = o.ModelRoot ?? ModelRegistry.DefaultRoot() ?? throw new ModelLoadException("no models folder (use --model-root)");
        Console.WriteLine($"# detector bench: {Environment.ProcessorCount} cores, load average {LoadAverage()}, model root {modelRoot}");
        var results = new List<SizeResult>();
        foreach (var (w, h) in o.Sizes)
        {
            var clip = o.Clips.TryGetValue((w, h), out var given) ? given : await MakeClipAsync(o.Work, w, h, o.Frames);
            var frames = ReadLuma(clip, o.Frames);
            Console.WriteLine($"## {w}x{h}: {frames.Count} frames of {clip}");
            var bd = await FfmpegFilterTiming.MeasureAsync(clip, "blockdetect", frames.Count, o.Repeat, CancellationToken.None);
            Console.WriteLine($"blockdetect: {bd.FilterMsPerFrame:0.000} ms/frame (with filter {bd.WithFilterS:0.000} s, decode only {bd.DecodeOnlyS:0.000} s, medians of {o.Repeat})");
            var det = new List<DetectorTiming>();
            foreach (var t in o.Threads)
            {
                var timing = TimeDetector(modelRoot, t, frames, o.Repeat);
                det.Add(timing);
                Console.WriteLine($"detector {t} thread(s): mean {timing.MeanMs:0.000} ms/frame, p50 {timing.P50Ms:0.000}, p95 {timing.P95Ms:0.000} " +
                                  $"(model run {100 * timing.InferenceShare:0}% of it; {timing.Provider}); ratio to blockdetect {timing.MeanMs / bd.FilterMsPerFrame:0.00}");
            }
            results.Add(new SizeResult(w, h, frames.Count, clip, bd, det));
        }
        Console.WriteLine();
        Console.WriteLine(Markdown(results));
        if (o.Json is not null)
        {
            await File.WriteAllTextAsync(o.Json, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    /// <summary>A clip at the given size with real codec damage (MPEG-2 at q 12 over the demo's natural-looking source), decoded to y4m.</summary>
    internal static async Task<string> MakeClipAsync(string work, int w, int h, int frames)
    {
        var y4m = Path.Combine(work, $"bench_{w}x{h}_{frames}.y4m");
        if (File.Exists(y4m)) return y4m;
        var m2v = Path.ChangeExtension(y4m, ".m2v");
        var inv = CultureInfo.InvariantCulture;
        await FfmpegProcess.RunAsync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", SampleClip.Source(w, h),
            "-frames:v", frames.ToString(inv), "-c:v", "mpeg2video", "-q:v", "12", "-threads", "1", m2v], CancellationToken.None);
        await FfmpegProcess.RunAsync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", m2v,
            "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", y4m], CancellationToken.None);
        File.Delete(m2v);
        return y4m;
    }

    private static List<RawFrame> ReadLuma(string clip, int maxFrames)
    {
        using var reader = new Y4mReader(File.OpenRead(clip));
        var frames = new List<RawFrame>();
        var buffer = new byte[reader.FrameSize];
        while (frames.Count < maxFrames && reader.ReadFrame(buffer))
        {
            frames.Add(RawFrame.Gray8(reader.Width, reader.Height, buffer.AsSpan(0, reader.Width * reader.Height).ToArray()));
        }
        return frames;
    }

    private static DetectorTiming TimeDetector(string modelRoot, int threads, List<RawFrame> frames, int repeat)
    {
        using var pipeline = DetectorPipeline.Load(modelRoot, version: null, EmbeddedDetector.Inference(threads));
        var stream = pipeline.CreateStream("bench");
        for (var i = 0; i < WarmupFrames; i++) pipeline.Detect(stream, frames[i % frames.Count]);
        var ms = new List<double>(frames.Count * repeat);
        double inference = 0, total = 0;
        for (var r = 0; r < repeat; r++)
        {
            stream.Reset();
            foreach (var f in frames)
            {
                var t0 = Stopwatch.GetTimestamp();
                var result = pipeline.Detect(stream, f);
                var elapsed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                ms.Add(elapsed);
                inference += result.Timings.InferenceUs / 1000.0;
                total += elapsed;
            }
        }
        ms.Sort();
        return new DetectorTiming(threads, ms.Average(), ms[ms.Count / 2], ms[(int)(0.95 * (ms.Count - 1))], inference / total, pipeline.Model.ExecutionProvider);
    }

    private static string Markdown(IReadOnlyList<SizeResult> results)
    {
        var threads = results.SelectMany(r => r.Detector.Select(d => d.Threads)).Distinct().Order().ToList();
        var sb = new StringBuilder();
        sb.Append("| frame | blockdetect, 1 thread (ms/frame) |");
        foreach (var t in threads) sb.Append(CultureInfo.InvariantCulture, $" detector, {t} thread{(t == 1 ? "" : "s")} (ms/frame, p95) | ratio |");
        sb.AppendLine();
        sb.Append("|---|---|").Append(string.Concat(threads.Select(_ => "---|---|"))).AppendLine();
        foreach (var r in results)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Width}x{r.Height} | {r.Blockdetect.FilterMsPerFrame:0.00} |");
            foreach (var t in threads)
            {
                var d = r.Detector.Single(x => x.Threads == t);
                sb.Append(CultureInfo.InvariantCulture, $" {d.MeanMs:0.00} ({d.P95Ms:0.00}) | {d.MeanMs / r.Blockdetect.FilterMsPerFrame:0.00} |");
            }
            sb.AppendLine();
        }
        sb.Append("ratio = detector mean time / blockdetect time per frame (below 1: the detector is faster).");
        return sb.ToString();
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
