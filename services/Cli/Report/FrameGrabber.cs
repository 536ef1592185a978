using VideoQuality.Cli.Input;
using VideoQuality.Media;

namespace VideoQuality.Cli.Report;

/// <summary>
/// Decodes a file a second time (through <see cref="FfmpegInput"/>, so frame N is the same decoded frame N the detector saw)
/// and keeps the chosen frames as RGBA (<see cref="Bt601"/>), stopping ffmpeg after the last one. Decoding only: the
/// report never runs detection again.
/// </summary>
internal static class FrameGrabber
{
    public static async Task<Dictionary<long, RgbView>> GrabAsync(string input, IReadOnlyCollection<long> indices, CancellationToken ct)
    {
        var frames = new Dictionary<long, RgbView>();
        if (indices.Count == 0) return frames;
        var last = indices.Max();
        await using var source = await FfmpegInput.OpenAsync(input, ct, color: true);
        await using (ct.Register(source.Stop))
        {
            await foreach (var f in source.ReadFramesAsync())
            {
                if (indices.Contains(f.Index)) frames[f.Index] = ToRgba(f.Pixels);
                if (f.Index >= last)
                {
                    source.Stop();
                    break;
                }
            }
        }

        return frames;
    }

    private static RgbView ToRgba(RawFrame i420)
    {
        int w = i420.Width, h = i420.Height, cw = Bt601.ChromaSide(w), ch = Bt601.ChromaSide(h);
        var planes = i420.Data.Span;
        var rgba = new byte[w * h * 4];
        Bt601.ToRgb(planes[..(w * h)], planes.Slice(w * h, cw * ch), planes.Slice((w * h) + (cw * ch), cw * ch), w, h, rgba, w * 4, RgbOrder.Rgba32);
        return new RgbView(rgba, w, h, w * 4, RgbOrder.Rgba32);
    }
}
