using VideoQuality.Detection;

namespace VideoQuality.Cli.Tests;

/// <summary>`vq enhance --masks DIR` through the real command line, real ffmpeg and the repo's enhancer model.</summary>
public sealed class EnhanceMasksTests : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>A 64x48 clip (6 x 8 blocks) and DIR/clip.jsonl with the given lines.</summary>
    private async Task<(string Clip, string Masks)> ClipWithMasksAsync(params string[] lines)
    {
        var clip = await Clips.MakeAsync(_dir.File("clip.y4m"), 64, 48, 4);
        var masks = Directory.CreateDirectory(_dir.File("masks")).FullName;
        await File.WriteAllLinesAsync(Path.Combine(masks, "clip.jsonl"), lines);
        return (clip, masks);
    }

    private static string Line(int frame, FrameClass cls, int rows = 6, int cols = 8, bool flagged = true) =>
        VqbenchLine.Format(frame, 0.9f, cls, 8, rows, cols, MaskCodec.Pack(Enumerable.Range(0, rows * cols).Select(i => flagged && i is 19 or 20).ToArray()));

    [Fact]
    public async Task Transmission_frames_are_concealed_compression_frames_go_to_the_model_and_clean_frames_are_untouched()
    {
        var (clip, masks) = await ClipWithMasksAsync(Line(0, FrameClass.Clean), Line(1, FrameClass.Transmission), Line(2, FrameClass.Compression), Line(3, FrameClass.Clean));
        var (code, stdout, stderr) = await Vq.RunAsync("enhance", clip, "--out-dir", _dir.File("out"), "--masks", masks, "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains("masks from", stdout);
        Assert.Contains("4 frames 64x48, 2 repaired (2 blocks by the model, 2 by temporal concealment)", stdout);
    }

    [Fact]
    public async Task A_mask_file_that_does_not_match_its_input_fails_it_with_the_reason()
    {
        var (clip, masks) = await ClipWithMasksAsync(Line(0, FrameClass.Clean), Line(1, FrameClass.Transmission, rows: 3, cols: 4));
        var (code, _, stderr) = await Vq.RunAsync("enhance", clip, "--out-dir", _dir.File("out"), "--masks", masks);
        Assert.Equal(1, code);
        Assert.Contains("clip.jsonl line 2: mask is 3x4 blocks of 8 px, the frame needs 6x8", stderr);

        await File.WriteAllLinesAsync(Path.Combine(masks, "clip.jsonl"), [Line(0, FrameClass.Clean), Line(1, FrameClass.Clean)]);
        (code, _, stderr) = await Vq.RunAsync("enhance", clip, "--out-dir", _dir.File("out"), "--masks", masks);
        Assert.Equal(1, code);
        Assert.Contains("clip.jsonl: 2 lines, but the input has more frames", stderr);

        (code, _, stderr) = await Vq.RunAsync("enhance", clip, "--out-dir", _dir.File("out"), "--masks", _dir.File("nowhere"));
        Assert.Equal(2, code);
        Assert.Contains("--masks: no folder", stderr);
    }

    public void Dispose() => _dir.Dispose();
}
