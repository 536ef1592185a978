using System.Diagnostics;
using VideoQuality.Cli.Input;
using VideoQuality.Cli.Output;
using VideoQuality.Contracts.V1;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Cli.Enhance;

/// <summary>Options of `vq enhance`.</summary>
/// <param name="Enhancer">Address of a running Enhancer service; null repairs in-process.</param>
/// <param name="Preview">Also write an H.264 copy and a side-by-side comparison (input | repaired).</param>
/// <param name="Masks">Folder of vqbench prediction files (&lt;stem&gt;.jsonl) to repair with instead of the detector (<see cref="MaskEnhancer"/>).</param>
/// <param name="Profile">Enhancer cost profile (fast, quality); null = the model's default for the provider.</param>
internal sealed record EnhanceOptions(IReadOnlyList<string> Inputs, string OutDir, Uri? Enhancer, bool Preview, int? Threads, string ModelRoot, string? Masks = null, string? Profile = null);

/// <summary>What `vq enhance` produced for one input.</summary>
internal sealed record EnhanceOutcome(string Input, string? OutputPath, long Frames, long RepairedFrames, long ModelBlocks, long TemporalBlocks, IReadOnlyList<string> Previews, string? Error);

/// <summary>
/// `vq enhance INPUT... --out-dir DIR`: for each input, decode yuv420p with ffmpeg, detect and repair each frame, write
/// DIR/&lt;stem&gt;.y4m (lossless yuv420p, same frame count and size; what vqbench score-enhance reads) and, with
/// --preview, DIR/&lt;stem&gt;.mp4 (H.264) and DIR/&lt;stem&gt;.compare.mp4 (input and repaired side by side, ffmpeg hstack).
/// An input that fails is reported and the others still run; Ctrl-C ends the current input after the frames already read.
/// </summary>
internal sealed class EnhanceCommand(IFrameEnhancer enhancer, TextWriter output, TextWriter errors)
{
    public static IFrameEnhancer CreateEnhancer(EnhanceOptions o)
    {
        if (o.Masks is null)
        {
            return o.Enhancer is not null ? new RemoteEnhancer(o.Enhancer) : EmbeddedEnhancer.Create(o.ModelRoot, o.Threads, o.Profile);
        }

        var inference = Detect.EmbeddedDetector.Inference(o.Threads);
        var repairer = Repair.FrameRepairer.Load(new ModelOptions { Root = o.ModelRoot, Profile = o.Profile }, inference, EmbeddedEnhancer.RepairSettings());
        return new MaskEnhancer(repairer, o.Masks, inference.IntraOpThreads);
    }

    public static async Task<int> RunAsync(EnhanceOptions options, TextWriter output, TextWriter errors, CancellationToken stop)
    {
        if (options.Masks is { } masks && (options.Enhancer is not null || !Directory.Exists(masks)))
        {
            errors.WriteLine(options.Enhancer is not null ? "vq: --masks repairs in-process; it cannot be combined with --enhancer"
                : $"vq: --masks: no folder {masks}");
            return 2;
        }

        IFrameEnhancer enhancer;
        try
        {
            enhancer = CreateEnhancer(options);
        }
        catch (ModelLoadException e)
        {
            errors.WriteLine($"vq: cannot load the models: {e.Message}");
            return 1;
        }
        await using var _ = enhancer;
        var outcomes = await new EnhanceCommand(enhancer, output, errors).RunAllAsync(options.Inputs, options.OutDir, options.Preview, stop);
        return outcomes.All(o => o.Error is null) ? 0 : 1;
    }

    public async Task<IReadOnlyList<EnhanceOutcome>> RunAllAsync(IReadOnlyList<string> inputs, string outDir, bool preview, CancellationToken stop)
    {
        output.WriteLine($"repairing with {enhancer.Description}");
        Directory.CreateDirectory(outDir);
        var outcomes = new List<EnhanceOutcome>();
        var stems = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var stem = PredictionWriter.StemOf(input);
            if (stop.IsCancellationRequested || !stems.Add(stem))
            {
                var error = stop.IsCancellationRequested ? "not started (interrupted)" : $"another input already writes {stem}.y4m";
                errors.WriteLine($"{input}: {error}");
                outcomes.Add(new EnhanceOutcome(input, null, 0, 0, 0, 0, [], error));
                continue;
            }
            try
            {
                outcomes.Add(await RunOneAsync(input, outDir, preview, stop));
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or FrameFormatException or Grpc.Core.RpcException)
            {
                errors.WriteLine($"{input}: {e.Message}");
                outcomes.Add(new EnhanceOutcome(input, null, 0, 0, 0, 0, [], e.Message));
            }
        }
        return outcomes;
    }

    public async Task<EnhanceOutcome> RunOneAsync(string input, string outDir, bool preview, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var stem = PredictionWriter.StemOf(input);
        var path = Path.Combine(outDir, stem + ".y4m");
        await using var source = await FfmpegInput.OpenAsync(input, stop, color: true);
        long frames = 0, repaired = 0, modelBlocks = 0, temporalBlocks = 0, remote = 0;
        var (num, den) = source.FrameRate;
        using (var writer = new Y4mWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16),
                   source.Width, source.Height, num > 0 ? num : 30, num > 0 ? den : 1))
        await using (stop.Register(source.Stop))
        {
            await foreach (var f in enhancer.EnhanceAsync(source.ReadFramesAsync(), stem, CancellationToken.None))
            {
                writer.WriteFrame(f.I420.Span);
                frames++;
                repaired += f.ModelBlocks + f.TemporalBlocks > 0 ? 1 : 0;
                modelBlocks += f.ModelBlocks;
                temporalBlocks += f.TemporalBlocks;
                remote += f.Source == DetectionSource.Remote ? 1 : 0;
            }
        }
        var (code, message) = await source.FinishAsync(CancellationToken.None);
        if (code != 0 && !source.Stopped) throw new InvalidOperationException($"ffmpeg failed after {frames} frames (exit {code}): {message}");

        var previews = new List<string>();
        if (preview)
        {
            var mp4 = Path.Combine(outDir, stem + ".mp4");
            var compare = Path.Combine(outDir, stem + ".compare.mp4");
            string[] x264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p"];
            await FfmpegProcess.RunAsync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", path, .. x264, mp4], stop);
            await FfmpegProcess.RunAsync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", input, "-i", path,
                "-filter_complex", CompareFilter(source.FrameRate), .. x264, compare], stop);
            previews.AddRange([mp4, compare]);
        }

        output.WriteLine($"{input}: {frames} frames {source.Width}x{source.Height}, {repaired} repaired " +
                         $"({modelBlocks} blocks by the model, {temporalBlocks} by temporal concealment" +
                         $"{(remote > 0 ? $", {remote} frames detected remotely" : "")}) in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"  wrote {path}");
        foreach (var p in previews) output.WriteLine($"  wrote {p}");
        return new EnhanceOutcome(input, path, frames, repaired, modelBlocks, temporalBlocks, previews, null);
    }

    /// <summary>
    /// The side-by-side filter of the compare preview. hstack pairs frames by timestamp, and the two inputs time them
    /// differently (a Matroska input in milliseconds, the y4m in exact 1/rate steps), so left alone input frame N+1
    /// lands beside repaired frame N. Both sides are renumbered first (<see cref="FfmpegInput.RenumberFilter"/>).
    /// </summary>
    internal static string CompareFilter((int Numerator, int Denominator) rate)
    {
        var renumber = FfmpegInput.RenumberFilter(rate.Numerator > 0 ? rate : (30, 1));
        return $"[0:v]{renumber},format=yuv420p[a];[1:v]{renumber},format=yuv420p[b];[a][b]hstack=inputs=2";
    }
}
