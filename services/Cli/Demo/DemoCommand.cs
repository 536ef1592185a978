using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VideoQuality.Cli.Detect;
using VideoQuality.Cli.Enhance;
using VideoQuality.Cli.Output;

namespace VideoQuality.Cli.Demo;

/// <summary>
/// `vq demo`: makes <see cref="SampleClip"/> (real codec damage, made with ffmpeg), runs embedded detection on it, and
/// prints where and when the damage is: the detector's own summary, then each known segment of the clip next to
/// what was flagged there; then repairs the clip in-process (`vq enhance --preview`), measures each segment against the undamaged source
/// before and after the repair, writes the HTML report of the sample from the detection results (with before/after crops
/// of the repair) and lists the files written. (./vq has already installed ffmpeg and built everything.)
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(string outDir, CliEnvironment env, int? threads, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        outDir = Path.GetFullPath(outDir);
        var clock = Stopwatch.StartNew();
        output.WriteLine($"1/3 making a {SampleClip.Width}x{SampleClip.Height} sample clip with real codec damage (ffmpeg) ...");
        var (sample, reference) = await SampleClip.MakeAsync(outDir, ct);
        foreach (var s in SampleClip.Segments)
        {
            output.WriteLine($"    {DetectionSummary.Stamp(s.Start)} - {DetectionSummary.Stamp(s.End)}  {s.Damage}");
        }
        output.WriteLine($"    wrote {sample} ({clock.Elapsed.TotalSeconds:0.0} s)");

        output.WriteLine("2/3 detecting macroblocking in-process ...");
        var options = new DetectOptions([sample], outDir, null, threads, env.ModelRoot);
        await using var detector = DetectCommand.CreateDetector(options);
        var detect = new DetectCommand(detector, output, errors, !Console.IsErrorRedirected, report: true);
        var outcome = await detect.RunOneAsync(sample, outDir, ct);
        var results = ReadResults(outcome.OutputPath!);

        output.WriteLine();
        output.WriteLine("where the damage is, by segment of the sample clip:");
        foreach (var s in SampleClip.Segments)
        {
            var part = results.Where(r => r.Time >= s.Start && r.Time < s.End).ToList();
            var flagged = part.Count(r => r.Class != "clean");
            var classes = string.Join(", ", part.GroupBy(r => r.Class).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));
            output.WriteLine($"  {DetectionSummary.Stamp(s.Start)} - {DetectionSummary.Stamp(s.End)}  {s.Name,-9} (made as {s.ExpectedClass}): " +
                             $"{flagged}/{part.Count} frames flagged, mean severity {(part.Count > 0 ? part.Average(r => r.Severity) : 0):0.00}; {classes}");
        }
        output.WriteLine();
        output.WriteLine("3/3 repairing the damaged blocks in-process (vq enhance --preview) ...");
        var enhanceOptions = new EnhanceOptions([sample], outDir, null, true, threads, env.ModelRoot);
        await using var enhancer = EnhanceCommand.CreateEnhancer(enhanceOptions);
        var repaired = await new EnhanceCommand(enhancer, output, errors).RunOneAsync(sample, outDir, preview: true, ct);
        output.WriteLine();
        output.WriteLine("what the repair did, by segment (luma PSNR against the undamaged source):");
        foreach (var q in await SegmentQuality.MeasureAsync(reference, sample, repaired.OutputPath!, ct))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {DetectionSummary.Stamp(q.Segment.Start)} - {DetectionSummary.Stamp(q.Segment.End)}  {q.Segment.Name,-9}: " +
                $"{q.Damaged:0.00} dB as received, {q.Repaired:0.00} dB repaired ({q.Repaired - q.Damaged:+0.00;-0.00;0.00} dB)"));
        }

        output.WriteLine();
        var report = await detect.WriteReportAsync(outcome.Detected!, outDir, ct);
        output.WriteLine();
        output.WriteLine("files:");
        output.WriteLine($"  {sample}  the sample clip (lossless FFV1; its damaged parts and undamaged source are in {Path.Combine(outDir, "parts")})");
        output.WriteLine($"  {outcome.OutputPath}  per-frame results (vqbench JSONL: severity, class, 8x8 block mask)");
        output.WriteLine($"  {repaired.OutputPath}  the repaired clip (lossless yuv420p y4m, same frames and size)");
        output.WriteLine($"  {repaired.Previews[0]}  the repaired clip as H.264, to watch");
        output.WriteLine($"  {repaired.Previews[1]}  side by side: input | repaired");
        output.WriteLine($"  {report}  the report: severity timeline, alarms, worst moments, segments, before/after crops (open it in a browser)");
        output.WriteLine($"done in {clock.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }

    private sealed record Line(TimeSpan Time, float Severity, string Class);

    private static List<Line> ReadResults(string jsonl) =>
        File.ReadLines(jsonl).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var root = doc.RootElement;
            var frame = root.GetProperty("frame").GetInt64();
            return new Line(TimeSpan.FromSeconds((double)frame / SampleClip.Fps), root.GetProperty("severity").GetSingle(),
                root.GetProperty("class").GetString()!);
        }).ToList();
}
