using System.Diagnostics;
using System.Globalization;
using VideoQuality.Cli.Detect;
using VideoQuality.Cli.Enhance;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;
using VideoQuality.Repair;

namespace VideoQuality.Bench;

/// <summary>
/// `repair` mode: time per 640x360 frame of <see cref="FrameRepairer.Repair"/> given a mask (detection excluded) with
/// 0%, 5%, 20% and 100% of the blocks flagged as compression, and 5% flagged as transmission (concealment from the
/// previous frame; also with RGB24, PNG and JPEG frames in and out), at each intra-op thread count; then detection + repair per frame (detection included). Damage is
/// laid out as clusters of 4x4 blocks at deterministic pseudo-random places (real damage comes in patches, not as
/// isolated blocks); the frames are real mpeg2 frames (the bench clip), read once before timing.
/// At one thread, ffmpeg's <c>spp</c> and <c>deblock</c> are timed on the same frames of the same clip
/// (<see cref="FfmpegFilterTiming"/>) and the fully flagged frame's time is printed as a ratio to spp's (issue 12: the fast
/// profile within 3x spp).
/// Options: as the detector bench (<c>--threads 1,2 --frames 60 --repeat 3 --clip 640x360=PATH.y4m --model-root DIR</c>),
/// plus <c>--profile fast|quality</c> (the enhancer's cost profile; default: the model's CPU default).
/// </summary>
internal static class RepairBench
{
    private const int W = 640, H = 360, Rows = H / 8, Cols = W / 8;

    public static async Task<int> RunAsync(string[] args)
    {
        var o = BenchOptions.Parse(args);
        Directory.CreateDirectory(o.Work);
        var modelRoot = o.ModelRoot ?? ModelRegistry.DefaultRoot() ?? throw new ModelLoadException("no models folder (use --model-root)");
        var clip = o.Clips.TryGetValue((W, H), out var given) ? given : await DetectorBench.MakeClipAsync(o.Work, W, H, o.Frames);
        var frames = ReadI420(clip, o.Frames);
        Console.WriteLine($"# repair bench: {Environment.ProcessorCount} cores, load average {DetectorBench.LoadAverage()}, {frames.Count} frames {W}x{H} of {clip}, Repair:DilatePixels {EmbeddedEnhancer.RepairSettings().DilatePixels}");
        var none = Mask(0);
        Console.WriteLine("| threads | flagged | method | blocks repaired (dilated) | model tiles | model pixels | ms/frame mean | p50 | p95 | CPU ms/frame |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var threads in o.Threads)
        {
            var inference = EmbeddedDetector.Inference(threads);
            using var repairer = FrameRepairer.Load(new ModelOptions { Root = modelRoot, Profile = o.Profile }, inference, EmbeddedEnhancer.RepairSettings());
            var fullFrameMs = 0.0;
            foreach (var share in new[] { 0.0, 0.05, 0.20, 1.0 })
            {
                var mask = Mask(share);
                fullFrameMs = Row(threads, share, "model", frames, o.Repeat, (s, f) => repairer.Repair(null, f, mask, none));
            }

            if (threads == 1)
            {
                await FfmpegRowsAsync(clip, frames.Count, o.Repeat, fullFrameMs, repairer.Model.Info);
            }

            var trans = Mask(0.05);
            var stream = repairer.CreateStream();
            Row(threads, 0.05, "temporal", frames, o.Repeat, (s, f) => repairer.Repair(stream, f, none, trans));

            // Other frame formats (converted beforehand by the repairer itself), with the cheap concealment so that the
            // format's own cost shows: conversion to YUV, write-back of the changed pixels, PNG/JPEG decode and encode.
            foreach (var format in new[] { FramePixelFormat.Rgb24, FramePixelFormat.Png, FramePixelFormat.Jpeg })
            {
                var converted = frames.Select(f => repairer.Repair(null, f, none, none, format).Frame).ToList();
                var formatStream = repairer.CreateStream();
                Row(threads, 0.05, $"temporal, {format.Name()} in and out", converted, o.Repeat, (s, f) => repairer.Repair(formatStream, f, none, trans));
            }

            using var detector = DetectorPipeline.Load(modelRoot, null, inference);
            var detStream = detector.CreateStream();
            var comp = Mask(0.05);
            double detectMs = 0;
            int n = 0;
            Row(threads, 0.05, "detect + model", frames, o.Repeat, (s, f) =>
            {
                var t0 = Stopwatch.GetTimestamp();
                _ = detector.Detect(detStream, f);
                detectMs += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                n++;
                return repairer.Repair(null, f, comp, none);
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"|   | (of which detection {detectMs / n:0.00} ms/frame, {detector.Model.Name} {detector.Model.Version} on {detector.Model.ExecutionProvider}; enhancer {repairer.Model.Info.Name} {repairer.Model.Info.Version} on {repairer.Model.Info.ExecutionProvider}) | | | | | | | | |"));
        }

        return 0;
    }

    /// <summary>ffmpeg spp and deblock on the same frames, one thread, and the model's fully flagged frame against spp.</summary>
    private static async Task FfmpegRowsAsync(string clip, int frames, int repeat, double fullFrameMs, EnhancerModelInfo model)
    {
        // The settings vqbench's `baseline` runs (ENH_FILTERS in ../shared/vqbench/vqbench.py), so that the time is that of
        // the ΔPSNR rows it is compared with; spp without a qp and without QP tables in its input (a y4m) passes frames through.
        async Task<double> TimeAsync(string filter)
        {
            var t = await FfmpegFilterTiming.MeasureAsync(clip, filter, frames, Math.Max(repeat, 3), CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| 1 | 100% | ffmpeg {filter} (same frames; median of runs minus decode-only) | all | | | {t.FilterMsPerFrame:0.00} | | | |"));
            return t.FilterMsPerFrame;
        }

        double spp = await TimeAsync("spp=quality=4:qp=6:mode=hard");
        await TimeAsync("deblock=filter=strong:block=8");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"|   | (fully flagged frame, {model.Name} {model.Version}{(model.Profile.Length > 0 ? $" {model.Profile} profile" : "")}: {fullFrameMs:0.00} ms = {fullFrameMs / spp:0.00}x ffmpeg spp) | | | | | | | | |"));
    }

    /// <summary>Times one method over the frames and prints its row; returns the mean ms per frame.</summary>
    private static double Row(int threads, double share, string method, List<RawFrame> frames, int repeat, Func<int, RawFrame, RepairResult> repair)
    {
        // Warm-up, unrecorded: JIT tiering promotes the hot loops after ~30 calls, ONNX Runtime plans new shapes.
        for (int i = 0; i < 40; i++)
        {
            repair(i, frames[i % frames.Count]);
        }

        var ms = new List<double>();
        RepairResult? last = null;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (int r = 0; r < repeat; r++)
        {
            for (int i = 0; i < frames.Count; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                last = repair(i, frames[i]);
                ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }

        // Process CPU time per frame: close to the frame's own cost on one thread even when other work shares the cores.
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / ms.Count;
        ms.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {threads} | {share * 100:0}% | {method} | {last!.ModelBlocks + last.TemporalBlocks} | {last.Tiles} | {last.ModelPixels} | {ms.Average():0.00} | {ms[ms.Count / 2]:0.00} | {ms[(int)(0.95 * (ms.Count - 1))]:0.00} | {cpuMs:0.00} |"));
        return ms.Average();
    }

    /// <summary>Clusters of 4x4 blocks at deterministic places until <paramref name="share"/> of the blocks are flagged.</summary>
    internal static BlockMask Mask(double share)
    {
        var grid = new bool[Rows * Cols];
        int target = (int)Math.Round(share * grid.Length), count = 0;
        var rng = new Random(42);
        while (count < target)
        {
            int r0 = rng.Next(Rows), c0 = rng.Next(Cols);
            for (int r = r0; r < Math.Min(Rows, r0 + 4) && count < target; r++)
            {
                for (int c = c0; c < Math.Min(Cols, c0 + 4) && count < target; c++)
                {
                    if (!grid[(r * Cols) + c])
                    {
                        grid[(r * Cols) + c] = true;
                        count++;
                    }
                }
            }
        }

        return BlockMask.FromBools(8, Rows, Cols, grid);
    }

    internal static List<RawFrame> ReadI420(string clip, int maxFrames)
    {
        using var reader = new Y4mReader(File.OpenRead(clip));
        var frames = new List<RawFrame>();
        var buffer = new byte[reader.FrameSize];
        while (frames.Count < maxFrames && reader.ReadFrame(buffer))
        {
            frames.Add(reader.AsRawFrame(buffer.ToArray()));
        }

        return frames;
    }
}
