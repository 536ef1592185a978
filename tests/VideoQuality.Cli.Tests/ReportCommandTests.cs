using Microsoft.Playwright;
using VideoQuality.Alarms;
using VideoQuality.Cli.Detect;
using VideoQuality.Cli.Input;
using VideoQuality.Cli.Output;
using VideoQuality.Cli.Report;
using VideoQuality.Detection;

namespace VideoQuality.Cli.Tests;

/// <summary>`vq report` and `vq detect --report`: the page as a person sees it (headless Debian chromium through Playwright),
/// detection run once, and the alarm windows of the monitor's state machine.</summary>
public sealed class ReportCommandTests : IDisposable
{
    /// <summary>Debian's chromium (./vq test installs it); Playwright cannot download browsers here.</summary>
    private const string Chromium = "/usr/bin/chromium";

    private readonly TempDir _dir = new();

    [Fact]
    public async Task The_report_opens_offline_in_chromium_with_its_timeline_thumbnails_and_repair_crops_and_no_console_errors()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} not found: this test opens the report in Debian's chromium (./vq test installs it)");
        var clip = await Clips.MakeAsync(_dir.File("blocky.mkv"), 320, 180, 45, "-c:v", "mpeg2video", "-q:v", "31");
        var outDir = _dir.File("out");
        var (code, _, stderr) = await Vq.RunAsync("enhance", clip, "--out-dir", outDir, "--threads", "1");
        Assert.True(code == 0, stderr);

        (code, var stdout, stderr) = await Vq.RunAsync("report", clip, "--out-dir", outDir);

        Assert.True(code == 0, stderr);
        var html = Path.Combine(outDir, "blocky.html");
        Assert.Contains($"report: {html}", stdout);
        var text = await File.ReadAllTextAsync(html);
        Assert.DoesNotContain("<script", text);
        Assert.DoesNotContain("http://", text.Replace("http://www.w3.org/", string.Empty));
        Assert.DoesNotContain("https://", text);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") problems.Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => problems.Add($"page error: {e}");
        page.Request += (_, r) => { if (!r.Url.StartsWith("data:", StringComparison.Ordinal) && r.Url != new Uri(html).AbsoluteUri) problems.Add($"request: {r.Url}"); };
        page.RequestFailed += (_, r) => problems.Add($"failed: {r.Url}");
        await page.GotoAsync(new Uri(html).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        var shot = await page.ScreenshotAsync(new() { FullPage = true, Path = Path.Combine(AppContext.BaseDirectory, "report-screenshot.png") });

        Assert.True(shot.Length > 20_000, $"screenshot of {shot.Length} bytes");
        Assert.True(await page.Locator("#timeline").IsVisibleAsync());
        var timeline = await NaturalSizeAsync(page, "#timeline");
        Assert.Equal((SeverityTimeline.Width, SeverityTimeline.Height), (timeline[0], timeline[1]));
        var thumbnails = await page.Locator("#worst figure.moment img").CountAsync();
        Assert.InRange(thumbnails, 1, DetectionSummary.KeepEpisodes);
        for (var i = 0; i < thumbnails; i++) Assert.Equal(ReportImages.ThumbnailWidth, (await NaturalSizeAsync(page, $"#worst figure.moment >> nth={i} >> img"))[0]);
        Assert.Contains("frame", await page.Locator("#worst figcaption").First.InnerTextAsync());
        Assert.Equal(2 * thumbnails, await page.Locator("#repairs figure.repair img").CountAsync());
        Assert.True((await NaturalSizeAsync(page, "#repairs img >> nth=1"))[0] > 0);
        Assert.True(await page.Locator("#segments tr").CountAsync() > 1);
        Assert.Contains("vq-detector", await page.InnerTextAsync("table.meta"));
        Assert.Empty(problems);
    }

    [Fact]
    public async Task Detect_with_report_detects_each_frame_once_and_writes_the_jsonl_and_the_page_from_the_same_results()
    {
        var clip = await Clips.MakeAsync(_dir.File("clip.mkv"), 160, 96, 20, "-c:v", "mpeg2video", "-q:v", "31");
        await using var counting = new CountingDetector(EmbeddedDetector.Create(Repo.Models, 1));
        var output = new StringWriter();
        var command = new DetectCommand(counting, output, new StringWriter(), progressOnStderr: false, report: true);

        var outcomes = await command.RunAllAsync([clip], _dir.File("out"), CancellationToken.None);

        var outcome = Assert.Single(outcomes);
        Assert.Null(outcome.Error);
        Assert.Equal((1, 20), (counting.Streams, counting.Frames));
        Assert.Equal(20, (await File.ReadAllLinesAsync(outcome.OutputPath!)).Length);
        Assert.Equal(Path.Combine(_dir.File("out"), "clip.html"), outcome.ReportPath);
        Assert.Contains("<img id=\"timeline\"", await File.ReadAllTextAsync(outcome.ReportPath!));
    }

    [Fact]
    public void Alarm_windows_are_the_alarms_the_monitor_state_machine_raises_and_clears()
    {
        // 30 fps: 1 s clean, 1.5 s damaged, 3 s clean (raised after 0.5 s, cleared after 2 s clean), then 1 s damaged to the end.
        var severities = Enumerable.Repeat(0.1f, 30).Concat(Enumerable.Repeat(0.9f, 45)).Concat(Enumerable.Repeat(0.1f, 90)).Concat(Enumerable.Repeat(0.8f, 30)).ToList();
        var mask = new BlockMask(8, 1, 1, [0]);
        var results = severities.Select((s, i) => new FrameResult(i, TimeSpan.FromSeconds(i / 30.0), s, s > 0.5 ? FrameClass.Transmission : FrameClass.Clean, mask, "2.0.0")).ToList();

        var windows = AlarmWindows.Replay(results, "clip", new AlarmOptions());

        Assert.Equal(2, windows.Count);
        Assert.Equal((1000.0, 2467.0, "transmission", "severity"),
            (Math.Round(windows[0].Start.TotalMilliseconds), Math.Round(windows[0].End.TotalMilliseconds), windows[0].Class, windows[0].Reason));
        Assert.Equal(0.9, windows[0].PeakSeverity, 3);
        Assert.Equal((5500.0, "stream_ended"), (Math.Round(windows[1].Start.TotalMilliseconds), windows[1].Reason));
    }

    private static async Task<int[]> NaturalSizeAsync(IPage page, string selector) =>
        await page.Locator(selector).EvaluateAsync<int[]>("img => img.complete ? [img.naturalWidth, img.naturalHeight] : [0, 0]");

    /// <summary>Counts the streams and frames that reach the detector.</summary>
    private sealed class CountingDetector(IFrameDetector inner) : IFrameDetector
    {
        public int Streams { get; private set; }

        public int Frames { get; private set; }

        public string Description => inner.Description;

        public IAsyncEnumerable<FrameResult> DetectAsync(IAsyncEnumerable<InputFrame> frames, string streamId, CancellationToken ct)
        {
            Streams++;
            return inner.DetectAsync(Count(frames), streamId, ct);
        }

        private async IAsyncEnumerable<InputFrame> Count(IAsyncEnumerable<InputFrame> frames)
        {
            await foreach (var f in frames)
            {
                Frames++;
                yield return f;
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();
}
