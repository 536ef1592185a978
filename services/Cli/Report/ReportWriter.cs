using System.Globalization;
using System.Net;
using System.Text;
using VideoQuality.Alarms;
using VideoQuality.Cli.Input;
using VideoQuality.Cli.Output;
using VideoQuality.Detection;

namespace VideoQuality.Cli.Report;

/// <summary>What a report is made from: one input's results as `vq detect` produced them (nothing is detected again).</summary>
/// <param name="Summary">The input's summary, keeping every episode (the segment table).</param>
/// <param name="Detector">Model name, version and execution provider (or the service's address), as `vq detect` prints it.</param>
internal sealed record DetectedInput(string Input, IReadOnlyList<FrameResult> Results, DetectionSummary Summary, string Detector, int Width, int Height, double Fps);

/// <summary>
/// Writes DIR/&lt;stem&gt;.html: one self-contained page (inline CSS, every image a data: URI, no script) that reads offline.
/// <list type="bullet">
/// <item>the severity timeline (<see cref="SeverityTimeline"/>) with the alarm windows `vq monitor` would raise with
/// <paramref name="alarms"/> (<see cref="AlarmWindows"/>);</item>
/// <item>the worst moments (the peak frame of each of <see cref="DetectionSummary.WorstEpisodes"/>) as thumbnails with the
/// block mask over them, coloured by class;</item>
/// <item>every damaged segment (<see cref="DetectionSummary.Episodes"/>) in a table, and the model and execution provider;</item>
/// <item>when `vq enhance` wrote the repaired clip into the same folder (DIR/&lt;stem&gt;.y4m, same frame size), before/after
/// crops of the worst repaired region of each worst moment.</item>
/// </list>
/// Thumbnails and crops come from decoding the file again (<see cref="FrameGrabber"/>); a live input (URL) cannot be read
/// twice, so its report has the timeline and tables only.
/// </summary>
internal static class ReportWriter
{
    public static async Task<string> WriteAsync(DetectedInput d, string outDir, AlarmOptions alarms, CancellationToken ct)
    {
        Directory.CreateDirectory(outDir);
        var stem = PredictionWriter.StemOf(d.Input);
        var path = Path.Combine(outDir, stem + ".html");
        var windows = AlarmWindows.Replay(d.Results, stem, alarms);
        var worst = d.Summary.WorstEpisodes.Select(e => d.Results[(int)e.PeakFrame]).ToList();
        var live = FfmpegInput.IsLive(d.Input);
        var frames = live ? [] : await FrameGrabber.GrabAsync(d.Input, worst.Select(r => r.Frame).ToHashSet(), ct);
        var repairedPath = Path.Combine(outDir, stem + ".y4m");
        var repaired = !live && worst.Count > 0 && File.Exists(repairedPath)
            ? await FrameGrabber.GrabAsync(repairedPath, worst.Select(r => r.Frame).ToHashSet(), ct)
            : null;
        if (repaired is not null && repaired.Values.Any(f => f.Width != d.Width || f.Height != d.Height)) repaired = null;

        var html = new Html();
        html.Raw($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>vq report: {Enc(stem)}</title>" +
                 $"<link rel=\"icon\" href=\"data:,\"><style>{Css}</style></head><body>\n");
        html.Raw($"<h1>{Enc(stem)}</h1>\n");
        Overview(html, d, alarms);
        html.Raw("<h2>Severity timeline</h2>\n");
        html.Raw($"<img id=\"timeline\" alt=\"severity of each frame over time\" width=\"{SeverityTimeline.Width}\" height=\"{SeverityTimeline.Height}\" " +
                 $"src=\"{ReportImages.DataUri("image/svg+xml", Encoding.UTF8.GetBytes(SeverityTimeline.Svg(d.Results, windows, alarms)))}\">\n");
        Alarms(html, windows);
        Worst(html, worst, frames, live);
        Segments(html, d.Summary.Episodes);
        if (repaired is not null) Repairs(html, worst, frames, repaired, repairedPath, d);
        html.Raw($"<footer>written by vq report, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC</footer>\n</body></html>\n");
        await File.WriteAllTextAsync(path, html.ToString(), new UTF8Encoding(false), ct);
        return path;
    }

    private static void Overview(Html html, DetectedInput d, AlarmOptions alarms)
    {
        var s = d.Summary;
        var share = s.Frames == 0 ? 0 : 100.0 * s.Flagged / s.Frames;
        var versions = string.Join(", ", d.Results.Select(r => r.ModelVersion).Where(v => v.Length > 0).Distinct());
        html.Raw("<table class=\"meta\">\n");
        html.Row("input", d.Input);
        html.Row("video", $"{d.Width}x{d.Height} @ {d.Fps:0.##} fps, {s.Frames} frames, {DetectionSummary.Stamp(s.LastTimestamp)}");
        html.Row("flagged", $"{s.Flagged} frames ({share:0.0}%): {s.Compression} compression, {s.Transmission} transmission");
        html.Row("detector", d.Detector);
        html.Row("model version", versions.Length > 0 ? versions : "(not reported)");
        html.Row("alarm settings", $"raise at severity ≥ {alarms.RaiseThreshold:0.##} for {alarms.RaiseWindowMs} ms, " +
                                   $"clear below {alarms.ClearThreshold:0.##} for {alarms.ClearWindowMs} ms (vq monitor's)");
        html.Raw("</table>\n");
        html.Raw("<p class=\"key\">mask colours: " + string.Join(" ", new[] { FrameClass.Compression, FrameClass.Transmission }
            .Select(c => $"<span style=\"background:{ClassColors.Of(c)}\"></span>{c.ToVqbenchName()}")) + "</p>\n");
    }

    private static void Alarms(Html html, IReadOnlyList<AlarmWindow> windows)
    {
        html.Raw("<h2>Alarms</h2>\n");
        if (windows.Count == 0)
        {
            html.Raw("<p>vq monitor would raise no alarm on this input.</p>\n");
            return;
        }

        html.Raw("<table id=\"alarms\"><tr><th>start (first frame of the raising run)</th><th>end (last damaged frame)</th><th>class</th><th>peak</th><th>mean</th><th>cleared by</th></tr>\n");
        foreach (var w in windows)
        {
            html.Cells(DetectionSummary.Stamp(w.Start), DetectionSummary.Stamp(w.End), w.Class, $"{w.PeakSeverity:0.00}", $"{w.MeanSeverity:0.00}",
                w.Reason == "stream_ended" ? "end of input" : "severity");
        }

        html.Raw("</table>\n");
    }

    private static void Worst(Html html, IReadOnlyList<FrameResult> worst, IReadOnlyDictionary<long, Media.RgbView> frames, bool live)
    {
        html.Raw("<h2>Worst moments</h2>\n");
        if (worst.Count == 0)
        {
            html.Raw("<p>no macroblocking found.</p>\n");
            return;
        }

        if (live) html.Raw("<p>a live input cannot be decoded a second time: no thumbnails.</p>\n");
        html.Raw("<div id=\"worst\">\n");
        foreach (var r in worst)
        {
            if (!frames.TryGetValue(r.Frame, out var frame)) continue;
            html.Raw($"<figure class=\"moment\"><img alt=\"frame {r.Frame}\" src=\"{ReportImages.Thumbnail(frame, r.Mask, r.Class)}\">" +
                     $"<figcaption>{DetectionSummary.Stamp(r.Timestamp)} · frame {r.Frame} · {r.Class.ToVqbenchName()} · severity {r.Severity:0.00} · " +
                     $"{100 * r.Mask.FlaggedFraction:0.#}% of blocks</figcaption></figure>\n");
        }

        html.Raw("</div>\n");
    }

    private static void Segments(Html html, IReadOnlyList<DetectionSummary.Episode> episodes)
    {
        html.Raw("<h2>Damaged segments</h2>\n");
        if (episodes.Count == 0)
        {
            html.Raw("<p>none.</p>\n");
            return;
        }

        html.Raw($"<p>runs of flagged frames (gaps of up to {DetectionSummary.MergeGapFrames} clean frames joined).</p>\n");
        html.Raw("<table id=\"segments\"><tr><th>start</th><th>end</th><th>class</th><th>flagged frames</th><th>peak severity</th>" +
                 "<th>mean severity</th><th>share of blocks (mean)</th><th>share at peak</th></tr>\n");
        foreach (var e in episodes)
        {
            html.Cells(DetectionSummary.Stamp(e.StartTime), DetectionSummary.Stamp(e.EndTime), e.DominantClass.ToVqbenchName(), $"{e.Frames}",
                $"{e.PeakSeverity:0.00}", $"{e.MeanSeverity:0.00}", $"{100 * e.MeanShare:0.0}%", $"{100 * e.PeakShare:0.0}%");
        }

        html.Raw("</table>\n");
    }

    private static void Repairs(Html html, IReadOnlyList<FrameResult> worst, IReadOnlyDictionary<long, Media.RgbView> before,
        IReadOnlyDictionary<long, Media.RgbView> after, string repairedPath, DetectedInput d)
    {
        html.Raw("<h2>Before / after repair</h2>\n");
        html.Raw($"<p>the worst repaired region of each worst moment, {ReportImages.CropZoom}x: as received | repaired ({Enc(Path.GetFileName(repairedPath))}).</p>\n");
        html.Raw("<div id=\"repairs\">\n");
        foreach (var r in worst)
        {
            if (!before.TryGetValue(r.Frame, out var a) || !after.TryGetValue(r.Frame, out var b)) continue;
            var region = ReportImages.WorstRegion(r.Mask, d.Width, d.Height);
            html.Raw($"<figure class=\"repair\"><img alt=\"frame {r.Frame} as received\" src=\"{ReportImages.Crop(a, region)}\">" +
                     $"<img alt=\"frame {r.Frame} repaired\" src=\"{ReportImages.Crop(b, region)}\">" +
                     $"<figcaption>{DetectionSummary.Stamp(r.Timestamp)} · frame {r.Frame} · x {region.Left}–{region.Right}, y {region.Top}–{region.Bottom}</figcaption></figure>\n");
        }

        html.Raw("</div>\n");
    }

    private static string Enc(string s) => WebUtility.HtmlEncode(s);

    private const string Css =
        "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1040px;color:#1f2328}" +
        "h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse}" +
        "td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left}th{background:#f6f8fa}" +
        "table.meta th{width:140px}img{max-width:100%;height:auto}#timeline{border:1px solid #d0d7de}" +
        "#worst,#repairs{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px;color:#57606a}" +
        "figure.repair img{margin-right:4px;image-rendering:pixelated}" +
        ".key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:middle}" +
        "footer{margin-top:32px;font-size:12px;color:#57606a}";

    /// <summary>The page being written: raw markup plus table rows whose text is HTML-encoded.</summary>
    private sealed class Html
    {
        private readonly StringBuilder _sb = new();

        public void Raw(string markup) => _sb.Append(markup);

        public void Row(string header, string value) => _sb.Append(CultureInfo.InvariantCulture, $"<tr><th>{Enc(header)}</th><td>{Enc(value)}</td></tr>\n");

        public void Cells(params string[] values) => _sb.Append("<tr>").AppendJoin("", values.Select(v => $"<td>{Enc(v)}</td>")).Append("</tr>\n");

        public override string ToString() => _sb.ToString();
    }
}
