using System.Text.Json;
using System.Text.RegularExpressions;

namespace VideoQuality.Cli.Tests;

/// <summary>`vq detect` through the real command line, real ffmpeg and the repo's model; scored by vqbench.</summary>
public sealed partial class DetectCommandTests(LoopbackDetector detector) : IClassFixture<LoopbackDetector>, IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task Writes_one_vqbench_line_per_frame_in_order()
    {
        // 168x100: neither side a multiple of 8, so the mask grid is ceil(100/8) x ceil(168/8) = 13 x 21.
        var clip = await Clips.MakeAsync(_dir.File("blocky clip.mkv"), 168, 100, 12, "-c:v", "mpeg2video", "-q:v", "31");
        var outDir = _dir.File("out");

        var (code, stdout, stderr) = await Vq.RunAsync("detect", clip, "--out-dir", outDir);

        Assert.True(code == 0, stderr);
        var lines = await File.ReadAllLinesAsync(Path.Combine(outDir, "blocky clip.jsonl"));
        Assert.Equal(12, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var r = doc.RootElement;
            Assert.Equal(["frame", "severity", "class", "pts_ms", "mask"], r.EnumerateObject().Select(p => p.Name)); // a file: no wallclock
            Assert.Equal(i, r.GetProperty("frame").GetInt32());
            Assert.Equal(i * 1000 / 30.0, r.GetProperty("pts_ms").GetDouble(), 0.5); // Matroska keeps milliseconds
            Assert.InRange(r.GetProperty("severity").GetDouble(), 0, 1);
            Assert.Contains(r.GetProperty("class").GetString(), new[] { "clean", "compression", "transmission" });
            var m = r.GetProperty("mask");
            Assert.Equal((8, 13, 21), (m.GetProperty("block").GetInt32(), m.GetProperty("rows").GetInt32(), m.GetProperty("cols").GetInt32()));
            Assert.Matches("^[0-9a-f]{70}$", m.GetProperty("bits").GetString()); // 2 * ceil(13*21/8)
        }
        Assert.Contains("blocky clip.jsonl", stdout);
        Assert.Contains("12 frames (168x100 @ 30 fps", stdout);
        Assert.Contains("in-process (CPU", stdout);
    }

    [Fact]
    public async Task Csv_writes_the_same_fields_as_jsonl_one_row_per_frame()
    {
        var clip = await Clips.MakeAsync(_dir.File("csv clip.mkv"), 168, 100, 6, "-c:v", "mpeg2video", "-q:v", "31");
        var (code, _, stderr) = await Vq.RunAsync("detect", clip, "--out-dir", _dir.File("json"));
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await Vq.RunAsync("detect", clip, "--out-dir", _dir.File("csv"), "--csv");
        Assert.True(code == 0, stderr);

        var rows = await File.ReadAllLinesAsync(_dir.File("csv/csv clip.csv"));
        Assert.Equal("frame,pts_ms,wallclock,severity,class,mask_block,mask_rows,mask_cols,mask_bits", rows[0]);
        var lines = await File.ReadAllLinesAsync(_dir.File("json/csv clip.jsonl"));
        Assert.Equal(lines.Length, rows.Length - 1);
        for (var i = 0; i < lines.Length; i++)
        {
            var r = JsonDocument.Parse(lines[i]).RootElement;
            var m = r.GetProperty("mask");
            var expected = string.Join(',', i, r.GetProperty("pts_ms").GetRawText(), "", r.GetProperty("severity").GetRawText(), r.GetProperty("class").GetString(),
                m.GetProperty("block").GetInt32(), m.GetProperty("rows").GetInt32(), m.GetProperty("cols").GetInt32(), m.GetProperty("bits").GetString());
            Assert.Equal(expected, rows[i + 1]);
        }
    }

    [Fact]
    public async Task Vqbench_scores_the_output_of_a_whole_dataset()
    {
        var image = _dir.File("img.png");
        await Input.FfmpegProcess.RunAsync("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", Demo.SampleClip.Source(640, 360),
            "-frames:v", "1", image], CancellationToken.None);
        var data = _dir.File("data");
        await Repo.RunVqbenchAsync("make", "--images", image, "--out", data, "--sizes", "160x96", "--frames", "6",
            "--variants", "clean_h264,mpeg2_lowrate,mjpeg_lowq", "--impaired-per-source", "2");
        var clips = Directory.GetFiles(Path.Combine(data, "dist"), "*.y4m").Order().ToArray();
        Assert.Equal(3, clips.Length);
        var pred = _dir.File("pred");

        var (code, _, stderr) = await Vq.RunAsync(["detect", .. clips, "--out-dir", pred]);
        Assert.True(code == 0, stderr);

        var json = _dir.File("score.json");
        await Repo.RunVqbenchAsync("score", "--data", data, "--pred", pred, "--json", json);
        using var score = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var overall = score.RootElement.GetProperty("overall");
        Assert.Equal(18, overall.GetProperty("frames").GetInt32());
        Assert.Equal(18, overall.GetProperty("mask_frames").GetInt32()); // every line carried a mask vqbench accepted
        // Classes are scored on all frames except borderline ones.
        Assert.Equal(18 - overall.GetProperty("borderline_frames").GetInt32(), overall.GetProperty("class_frames").GetInt32());
    }

    [Fact]
    public async Task Remote_mode_writes_the_same_jsonl_as_embedded_mode()
    {
        var a = await Clips.MakeAsync(_dir.File("a.mkv"), 168, 100, 10, "-c:v", "mpeg2video", "-q:v", "25");
        var b = await Clips.MakeAsync(_dir.File("b.mp4"), 320, 180, 8, "-c:v", "libx264", "-qp", "45");

        var embedded = await Vq.RunAsync("detect", a, b, "--out-dir", _dir.File("embedded"));
        var remote = await Vq.RunAsync("detect", a, b, "--out-dir", _dir.File("remote"), "--detector", detector.Address.ToString());

        Assert.True(embedded.Code == 0, embedded.Err);
        Assert.True(remote.Code == 0, remote.Err);
        Assert.Contains("the detector service at " + detector.Address, remote.Out);
        foreach (var stem in new[] { "a", "b" })
        {
            var e = await File.ReadAllTextAsync(Path.Combine(_dir.File("embedded"), stem + ".jsonl"));
            var r = await File.ReadAllTextAsync(Path.Combine(_dir.File("remote"), stem + ".jsonl"));
            Assert.Equal(e, r);
        }
    }

    [Fact]
    public async Task A_live_input_runs_until_interrupted_then_finishes_its_file()
    {
        var url = $"udp://127.0.0.1:{Clips.FreeUdpPort()}";
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var sender = Clips.StartLiveSender(url, 96, 64);
        var outDir = _dir.File("live");
        var file = Path.Combine(outDir, $"127.0.0.1_{new Uri(url).Port}.jsonl");
        using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // Ctrl-C once the output holds 30 lines: the file must be readable while the input runs.
        var watcher = Task.Run(async () =>
        {
            while (!interrupt.IsCancellationRequested)
            {
                if (File.Exists(file) && ReadShared(file).Length >= 30) break;
                await Task.Delay(50);
            }
            await interrupt.CancelAsync();
        });

        var (code, stdout, stderr) = await Vq.RunAsync(interrupt.Token, "detect", url, "--out-dir", outDir);
        await watcher;

        Assert.True(code == 0, stderr);
        var lines = await File.ReadAllLinesAsync(file);
        // At least what the watcher saw; at most what the real-time sender can have sent (30 fps) by now.
        Assert.InRange(lines.Length, 30, (int)(30 * started.Elapsed.TotalSeconds) + 1);
        Assert.All(lines.Select((l, i) => (l, i)), x => Assert.Equal(x.i, JsonDocument.Parse(x.l).RootElement.GetProperty("frame").GetInt32()));
        Assert.Contains($"{lines.Length} frames (96x64", stdout);
        Assert.Contains("interrupted", stdout);
    }

    [Fact]
    public async Task A_broken_input_is_reported_and_the_other_inputs_still_run()
    {
        var good = await Clips.MakeAsync(_dir.File("good.mkv"), 64, 48, 3, "-c:v", "ffv1");
        var bad = _dir.File("bad.mkv");
        await File.WriteAllTextAsync(bad, "not a video");

        var (code, _, stderr) = await Vq.RunAsync("detect", bad, good, "--out-dir", _dir.File("out"));

        Assert.Equal(1, code);
        Assert.Contains("bad.mkv", stderr);
        Assert.Equal(3, (await File.ReadAllLinesAsync(Path.Combine(_dir.File("out"), "good.jsonl"))).Length);
    }

    [Fact]
    public async Task A_missing_model_is_a_clear_error()
    {
        var clip = await Clips.MakeAsync(_dir.File("c.mkv"), 64, 48, 2, "-c:v", "ffv1");
        var (code, _, stderr) = await Vq.RunAsync("detect", clip, "--out-dir", _dir.File("out"), "--model-root", _dir.File("no-models"));
        Assert.Equal(1, code);
        Assert.StartsWith("vq: cannot load the detector model:", stderr);
    }

    [Fact]
    public async Task An_unreachable_detector_service_is_reported_per_input()
    {
        var clip = await Clips.MakeAsync(_dir.File("c.mkv"), 64, 48, 2, "-c:v", "ffv1");
        var (code, _, stderr) = await Vq.RunAsync("detect", clip, "--out-dir", _dir.File("out"), "--detector", $"http://127.0.0.1:{Repo.FreeTcpPort()}");
        Assert.Equal(1, code);
        Assert.Contains("c.mkv: Status(StatusCode=\"Unavailable\"", stderr);
    }

    [Theory]
    [InlineData("detect x.mkv", "--out-dir")]
    [InlineData("detect x.mkv --out-dir o --detector ftp://h:1", "--detector must be an http:// or https:// address")]
    [InlineData("detect x.mkv --out-dir o --threads 0", "--threads must be at least 1")]
    [InlineData("serve --detector-port 70000", "--detector-port must be a TCP port")]
    public async Task Bad_arguments_are_rejected_with_a_message(string args, string message)
    {
        var (code, _, stderr) = await Vq.RunAsync(Spaces().Split(args));
        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr);
        var output = new StringWriter();
        var parse = CliApp.Build(Repo.Environment, output, output).Parse(Spaces().Split(args));
        Assert.Contains(parse.Errors, e => e.Message.Contains(message, StringComparison.Ordinal));
    }

    private static string[] ReadShared(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [GeneratedRegex(" +")]
    private static partial Regex Spaces();

    public void Dispose() => _dir.Dispose();
}
