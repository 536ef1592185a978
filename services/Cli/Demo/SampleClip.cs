using System.Globalization;
using VideoQuality.Cli.Input;

namespace VideoQuality.Cli.Demo;

/// <summary>A stretch of the sample clip and the damage it carries.</summary>
internal sealed record Segment(string Name, TimeSpan Start, TimeSpan End, string Damage, string ExpectedClass);

/// <summary>
/// Makes the demo clip with real codec damage, all with ffmpeg from a lavfi source (gradient sky with grain and a
/// test pattern): 3 s clean H.264, 3 s MPEG-2 at q 31 (heavy compression blocking), 2 s H.264 with lost slices
/// (transmission damage, concealed by the decoder). The three decodes are joined into one lossless FFV1 file, so
/// what the detector sees is exactly the damaged decodes. The undamaged source frames are kept beside it (FFV1), so a
/// repair can be measured against the truth (<see cref="SegmentQuality"/>).
/// </summary>
internal static class SampleClip
{
    public const int Width = 640;
    public const int Height = 360;
    public const int Fps = 30;

    /// <summary>The lavfi source at any size: a slowly moving colour gradient with film grain (natural-looking smooth
    /// areas, where blocking shows) and a test pattern with sharp edges and text in the middle.</summary>
    public static string Source(int width, int height) => string.Create(CultureInfo.InvariantCulture,
        $"gradients=s={width}x{height}:r={Fps}:speed=0.015:c0=0x203060:c1=0xd09050:c2=0x60a040:seed=3[g];" +
        $"testsrc2=s={width / 2}x{height / 2}:r={Fps}[t];[g][t]overlay={width / 4}:{height / 4},noise=alls=6:allf=t,format=yuv420p");

    public static readonly Segment[] Segments =
    [
        new("clean", TimeSpan.Zero, TimeSpan.FromSeconds(3), "H.264 CRF 18 (clean)", "clean"),
        new("blocky", TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6), "MPEG-2 q 31 (compression blocking)", "compression"),
        new("sliceloss", TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(8), "H.264, 20% of slices lost (transmission damage)", "transmission"),
    ];

    /// <summary>The sample clip and its undamaged source (same frames, lossless).</summary>
    public sealed record Files(string Sample, string Reference);

    public static async Task<Files> MakeAsync(string dir, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var work = Path.Combine(dir, "parts");
        Directory.CreateDirectory(work);
        var clean = Path.Combine(work, "clean.mkv");
        var blocky = Path.Combine(work, "blocky.m2v");
        var sliced = Path.Combine(work, "sliced.h264");
        var damaged = Path.Combine(work, "sliceloss.h264");
        await EncodeAsync(Segments[0].Start, Segments[0].End, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", clean], ct);
        await EncodeAsync(Segments[1].Start, Segments[1].End, ["-c:v", "mpeg2video", "-q:v", "31", "-g", "12", "-bf", "0", blocky], ct);
        await EncodeAsync(Segments[2].Start, Segments[2].End, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-bf", "0",
            "-x264-params", "slices=8:keyint=30", "-f", "h264", sliced], ct);
        var lossy = SliceLoss.Drop(await File.ReadAllBytesAsync(sliced, ct), 0.2, seed: 1, out _);
        await File.WriteAllBytesAsync(damaged, lossy, ct);

        var reference = Path.Combine(work, "reference.mkv");
        await EncodeAsync(TimeSpan.Zero, Segments[^1].End, ["-c:v", "ffv1", reference], ct);

        var sample = Path.Combine(dir, "sample.mkv");
        await FfmpegProcess.RunAsync("ffmpeg",
        [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1",
            "-i", clean, "-i", blocky, "-framerate", Fps.ToString(CultureInfo.InvariantCulture), "-i", damaged,
            "-filter_complex", $"[0:v][1:v][2:v]concat=n=3:v=1,setpts=N/({Fps}*TB)[v]", "-map", "[v]",
            "-r", Fps.ToString(CultureInfo.InvariantCulture), "-c:v", "ffv1", "-threads", "1", sample,
        ], ct);
        return new Files(sample, reference);
    }

    /// <summary>Encodes the source from <paramref name="start"/> to <paramref name="end"/> with <paramref name="codec"/>.</summary>
    private static Task<string> EncodeAsync(TimeSpan start, TimeSpan end, string[] codec, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        return FfmpegProcess.RunAsync("ffmpeg",
        [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", Source(Width, Height),
            "-ss", start.TotalSeconds.ToString(inv), "-t", (end - start).TotalSeconds.ToString(inv), "-threads", "1",
            .. codec,
        ], ct);
    }
}
