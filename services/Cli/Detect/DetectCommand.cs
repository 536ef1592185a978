using System.Diagnostics;
using System.Runtime.CompilerServices;
using VideoQuality.Cli.Input;
using VideoQuality.Alarms;
using VideoQuality.Cli.Output;
using VideoQuality.Cli.Report;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Cli.Detect;

/// <summary>Options of `vq detect`.</summary>
/// <param name="Detector">Address of a running Detector service; null runs the model in-process.</param>
/// <param name="Threads">ONNX Runtime intra-op threads for in-process inference (null: the library default).</param>
/// <param name="Report">Also write DIR/&lt;stem&gt;.html from the same results (`vq report`, `vq detect --report`).</param>
/// <param name="Csv">Write DIR/&lt;stem&gt;.csv (the same fields) instead of JSONL.</param>
internal sealed record DetectOptions(IReadOnlyList<string> Inputs, string OutDir, Uri? Detector, int? Threads, string ModelRoot, bool Report = false, bool Csv = false);

/// <summary>What `vq detect` produced for one input.</summary>
/// <param name="Detected">Every result of the input, kept when a report is to be written from them.</param>
/// <param name="ReportPath">The report written, if any.</param>
internal sealed record DetectOutcome(string Input, string? OutputPath, DetectionSummary? Summary, string? Error, DetectedInput? Detected = null, string? ReportPath = null);

/// <summary>
/// `vq detect INPUT... --out-dir DIR`: for each input in turn, decode with ffmpeg, detect, write DIR/&lt;stem&gt;.jsonl
/// (vqbench format, flushed per frame) and print a summary. Cancellation (Ctrl-C) ends the current input as if its
/// stream had ended: every frame already decoded gets its line, the file is closed and the summary printed; later
/// inputs are skipped. An input that fails is reported and the others still run. With <paramref name="report"/> every
/// result is also kept and, once the input is done, DIR/&lt;stem&gt;.html is written from them (<see cref="ReportWriter"/>,
/// with `vq monitor`'s default alarm settings): detection runs once for both files.
/// </summary>
internal sealed class DetectCommand(IFrameDetector detector, TextWriter output, TextWriter errors, bool progressOnStderr, bool report = false, bool csv = false)
{
    public static IFrameDetector CreateDetector(DetectOptions o) =>
        o.Detector is not null ? new RemoteDetector(o.Detector) : EmbeddedDetector.Create(o.ModelRoot, o.Threads);

    public static async Task<int> RunAsync(DetectOptions options, TextWriter output, TextWriter errors, CancellationToken stop)
    {
        IFrameDetector detector;
        try
        {
            detector = CreateDetector(options);
        }
        catch (ModelLoadException e)
        {
            errors.WriteLine($"vq: cannot load the detector model: {e.Message}");
            return 1;
        }
        await using var _ = detector;
        var command = new DetectCommand(detector, output, errors, !Console.IsErrorRedirected, options.Report, options.Csv);
        var outcomes = await command.RunAllAsync(options.Inputs, options.OutDir, stop);
        return outcomes.All(o => o.Error is null) ? 0 : 1;
    }

    public async Task<IReadOnlyList<DetectOutcome>> RunAllAsync(IReadOnlyList<string> inputs, string outDir, CancellationToken stop)
    {
        output.WriteLine($"detecting with {detector.Description}");
        var outcomes = new List<DetectOutcome>();
        var stems = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (stop.IsCancellationRequested)
            {
                outcomes.Add(new DetectOutcome(input, null, null, "not started (interrupted)"));
                continue;
            }
            if (!stems.Add(PredictionWriter.StemOf(input)))
            {
                var error = $"another input already writes {PredictionWriter.StemOf(input)}.jsonl";
                errors.WriteLine($"{input}: {error}");
                outcomes.Add(new DetectOutcome(input, null, null, error));
                continue;
            }
            try
            {
                var outcome = await RunOneAsync(input, outDir, stop);
                outcomes.Add(report ? outcome with { ReportPath = await WriteReportAsync(outcome.Detected!, outDir, CancellationToken.None) } : outcome);
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or FrameFormatException or Grpc.Core.RpcException)
            {
                errors.WriteLine($"{input}: {e.Message}");
                outcomes.Add(new DetectOutcome(input, null, null, e.Message));
            }
        }
        return outcomes;
    }

    public async Task<DetectOutcome> RunOneAsync(string input, string outDir, CancellationToken stop)
    {
        await using var source = await FfmpegInput.OpenAsync(input, stop);
        await using var writer = PredictionWriter.Create(outDir, input, csv);
        var summary = report ? new DetectionSummary(keepEpisodes: int.MaxValue) : new DetectionSummary();
        var results = report ? new List<FrameResult>() : null;
        var progress = progressOnStderr ? new Progress(errors, input) : null;
        // Ctrl-C ends the input: stop ffmpeg so the pipe reaches its end; results for frames already read still arrive.
        await using (stop.Register(source.Stop))
        {
            await foreach (var result in detector.DetectAsync(UntilStopped(source, stop), PredictionWriter.StemOf(input), CancellationToken.None))
            {
                await writer.WriteAsync(result, CancellationToken.None);
                summary.Add(result);
                results?.Add(result);
                progress?.Report(summary.Frames);
            }
        }
        progress?.Done();
        var (code, message) = await source.FinishAsync(CancellationToken.None);
        if (code != 0 && !source.Stopped)
        {
            throw new InvalidOperationException($"ffmpeg failed after {summary.Frames} frames (exit {code}): {message}");
        }
        output.Write(summary.Format(input, writer.Path, source.Width, source.Height, source.Fps));
        if (source.Stopped) output.WriteLine("  (interrupted: results up to the last decoded frame)");
        var detected = results is null ? null : new DetectedInput(input, results, summary, detector.Description, source.Width, source.Height, source.Fps);
        return new DetectOutcome(input, writer.Path, summary, null, detected);
    }

    /// <summary>Writes the report of an input detected with <c>report</c> on, and names it.</summary>
    public async Task<string> WriteReportAsync(DetectedInput detected, string outDir, CancellationToken ct)
    {
        var path = await ReportWriter.WriteAsync(detected, outDir, new AlarmOptions(), ct);
        output.WriteLine($"  report: {path}");
        return path;
    }

    private static async IAsyncEnumerable<InputFrame> UntilStopped(FfmpegInput source, CancellationToken stop,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var frames = source.ReadFramesAsync().GetAsyncEnumerator(ct);
        while (!stop.IsCancellationRequested && await frames.MoveNextAsync())
        {
            yield return frames.Current;
        }
    }

    /// <summary>Frames done and rate on one terminal line, refreshed at most twice a second.</summary>
    private sealed class Progress(TextWriter errors, string input)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _lastShownMs = -1000;
        private long _frames;

        public void Report(long frames)
        {
            _frames = frames;
            var now = _clock.ElapsedMilliseconds;
            if (now - _lastShownMs < 500) return;
            _lastShownMs = now;
            Show();
        }

        public void Done()
        {
            Show();
            errors.WriteLine();
        }

        private void Show()
        {
            var fps = _frames / Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            errors.Write($"\r{Path.GetFileName(input)}: {_frames} frames, {fps:0.0} fps   ");
        }
    }
}
