namespace VideoQuality.Cli.Tests;

/// <summary>`vq enhance --preview`'s side-by-side video, checked on its decoded frames.</summary>
public sealed class ComparePreviewTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task The_compare_preview_shows_input_frame_k_beside_repaired_frame_k_for_a_matroska_input()
    {
        // FFV1 in Matroska, as vq demo's sample: millisecond timestamps against the repaired y4m's exact 1/30 s.
        const int w = 160, h = 96, frames = 30;
        var clip = await Clips.MakeAsync(_dir.File("moving.mkv"), w, h, frames, "-c:v", "ffv1");
        var (code, _, stderr) = await Vq.RunAsync("enhance", clip, "--out-dir", _dir.File("out"), "--preview", "--threads", "1");
        Assert.True(code == 0, stderr);

        var input = await Clips.LumaPlanesAsync(clip, w, h);
        var compare = await Clips.LumaPlanesAsync(Path.Combine(_dir.File("out"), "moving.compare.mp4"), 2 * w, h);

        Assert.Equal(frames, input.Count);
        Assert.Equal(frames, compare.Count);
        for (var k = 0; k < frames; k++)
        {
            var left = LeftHalf(compare[k], w, h);
            var same = Mse(left, input[k]);
            if (k > 0) Assert.True(same < Mse(left, input[k - 1]), $"frame {k}: left half is closer to input frame {k - 1}");
            if (k + 1 < frames) Assert.True(same < Mse(left, input[k + 1]), $"frame {k}: left half is closer to input frame {k + 1}");
        }
    }

    private static byte[] LeftHalf(byte[] plane, int w, int h)
    {
        var left = new byte[w * h];
        for (var y = 0; y < h; y++) plane.AsSpan(y * 2 * w, w).CopyTo(left.AsSpan(y * w));
        return left;
    }

    private static double Mse(byte[] a, byte[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += (a[i] - b[i]) * (a[i] - b[i]);
        return sum / a.Length;
    }

    public void Dispose() => _dir.Dispose();
}
