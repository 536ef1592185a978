using ScottPlot;
using VideoQuality.Alarms;
using VideoQuality.Cli.Output;
using VideoQuality.Detection;

namespace VideoQuality.Cli.Report;

/// <summary>
/// The report's severity timeline, drawn by ScottPlot as SVG: frame time (s) on x, severity on y, one point per frame
/// coloured by its class over a grey line of all frames, the raise and clear thresholds as dashed lines, and the alarm
/// windows as shaded spans.
/// Text needs a font file: the repo's SkiaSharp native assets (NoDependencies) have no fontconfig, so ScottPlot finds
/// no system font and would draw no text at all. The first of <see cref="FontFiles"/> found is registered with ScottPlot
/// (./vq installs Debian's fonts-dejavu-core); without one the plot is drawn without text.
/// </summary>
internal static class SeverityTimeline
{
    public const int Width = 1000;
    public const int Height = 320;

    private const string FontName = "vq-report-sans";

    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    ];

    private static readonly Lazy<bool> HasFont = new(() =>
    {
        if (FontFiles.FirstOrDefault(File.Exists) is not { } file) return false;
        Fonts.AddFontFile(FontName, file);
        return true;
    });

    public static string Svg(IReadOnlyList<FrameResult> results, IReadOnlyList<AlarmWindow> alarms, AlarmOptions options)
    {
        var plot = new Plot();
        if (HasFont.Value) plot.Font.Set(FontName);
        foreach (var a in alarms)
        {
            var span = plot.Add.HorizontalSpan(a.Start.TotalSeconds, Math.Max(a.End.TotalSeconds, a.Start.TotalSeconds + 0.01), Color.FromHex(ClassColors.Alarm).WithAlpha(0.18));
            span.LegendText = a == alarms[0] ? "alarm (vq monitor)" : string.Empty;
        }

        var all = plot.Add.ScatterLine(results.Select(r => r.Timestamp.TotalSeconds).ToArray(), results.Select(r => (double)r.Severity).ToArray(),
            Color.FromHex("#9aa5b1"));
        all.LineWidth = 1;
        foreach (var cls in new[] { FrameClass.Clean, FrameClass.Compression, FrameClass.Transmission })
        {
            var part = results.Where(r => r.Class == cls).ToList();
            if (part.Count == 0) continue;
            var points = plot.Add.ScatterPoints(part.Select(r => r.Timestamp.TotalSeconds).ToArray(), part.Select(r => (double)r.Severity).ToArray(),
                Color.FromHex(ClassColors.Of(cls)));
            points.MarkerSize = 4;
            points.LegendText = cls.ToVqbenchName();
        }

        var raise = plot.Add.HorizontalLine(options.RaiseThreshold, 1.5f, Color.FromHex(ClassColors.Alarm), LinePattern.Dashed);
        raise.LegendText = $"raise threshold {options.RaiseThreshold:0.##}";
        var clear = plot.Add.HorizontalLine(options.ClearThreshold, 1, Color.FromHex("#6b7280"), LinePattern.Dotted);
        clear.LegendText = $"clear threshold {options.ClearThreshold:0.##}";

        plot.Axes.SetLimitsY(0, 1.02);
        if (results.Count > 0) plot.Axes.SetLimitsX(0, Math.Max(results[^1].Timestamp.TotalSeconds, 0.1));
        plot.XLabel("time (s)");
        plot.YLabel("severity");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetSvgXml(Width, Height);
    }
}

/// <summary>The report's colours: one per frame class (the timeline's points and the masks on the thumbnails) and the alarm's.</summary>
internal static class ClassColors
{
    public const string Alarm = "#d62728";

    public static string Of(FrameClass c) => c switch
    {
        FrameClass.Compression => "#ff7f0e",
        FrameClass.Transmission => "#9b30d9",
        _ => "#1f77b4",
    };
}
