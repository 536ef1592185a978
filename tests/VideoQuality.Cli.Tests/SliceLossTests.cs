using VideoQuality.Cli.Demo;

namespace VideoQuality.Cli.Tests;

public sealed class SliceLossTests
{
    [Fact]
    public async Task Dropping_slices_damages_frames_but_keeps_every_frame()
    {
        using var dir = new TempDir();
        var clean = await Clips.MakeAsync(dir.File("c.h264"), 320, 192, 20, "-c:v", "libx264", "-preset", "veryfast", "-bf", "0",
            "-x264-params", "slices=8:keyint=10", "-f", "h264");
        var bytes = await File.ReadAllBytesAsync(clean);
        var damaged = dir.File("d.h264");
        await File.WriteAllBytesAsync(damaged, SliceLoss.Drop(bytes, 0.3, seed: 2, out var dropped));

        var before = await Clips.LumaPlanesAsync(clean, 320, 192);
        var after = await Clips.LumaPlanesAsync(damaged, 320, 192);
        Assert.InRange(dropped, 10, 200);
        Assert.Equal(before.Count, after.Count);
        Assert.Equal(before[0], after[0]); // the IDR picture is never touched
        Assert.Contains(Enumerable.Range(0, before.Count), i => !before[i].AsSpan().SequenceEqual(after[i]));
    }

    [Fact]
    public void Nal_units_are_split_at_three_and_four_byte_start_codes()
    {
        byte[] s = [0, 0, 0, 1, 0x67, 9, 0, 0, 1, 0x68, 8, 0, 0, 0, 1, 0x41, 0x80, 7];
        Assert.Equal([(0, 6), (6, 11), (11, 18)], SliceLoss.NalUnits(s));
    }
}
