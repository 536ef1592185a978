using VideoQuality.Media;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Media;

public class Y4mTests
{
    [Fact]
    public void Reads_what_ffmpeg_writes()
    {
        var bytes = Ffmpeg.Run("-f lavfi -i testsrc=size=64x48:rate=5 -frames:v 3 -pix_fmt yuv420p -f yuv4mpegpipe -");
        using var reader = new Y4mReader(new MemoryStream(bytes));
        Assert.Equal((64, 48, 5.0, FramePixelFormat.I420), (reader.Width, reader.Height, reader.FramesPerSecond, reader.Format));
        var buf = new byte[reader.FrameSize];
        int n = 0;
        while (reader.ReadFrame(buf))
        {
            var d = FrameDecoder.Decode(reader.AsRawFrame(buf));
            Assert.Equal(64, d.Width);
            n++;
        }

        Assert.Equal(3, n);
    }

    [Fact]
    public void Writer_output_round_trips_and_ffmpeg_reads_it()
    {
        var ms = new MemoryStream();
        var frames = new[] { Frames.I420(32, 16, 1), Frames.I420(32, 16, 2) };
        using (var w = new Y4mWriter(ms, 32, 16, 25, 1, leaveOpen: true))
        {
            foreach (var f in frames)
            {
                w.WriteFrame(f);
            }
        }

        var bytes = ms.ToArray();
        using var reader = new Y4mReader(new MemoryStream(bytes));
        var buf = new byte[reader.FrameSize];
        Assert.True(reader.ReadFrame(buf));
        Assert.Equal(frames[0], buf);
        Assert.True(reader.ReadFrame(buf));
        Assert.Equal(frames[1], buf);
        Assert.False(reader.ReadFrame(buf));

        var raw = Ffmpeg.Run("-f yuv4mpegpipe -i - -f rawvideo -pix_fmt yuv420p -", bytes);
        Assert.Equal(frames[0].Concat(frames[1]).ToArray(), raw);
    }

    [Fact]
    public void Truncated_frame_and_bad_header_are_errors()
    {
        var bytes = "YUV4MPEG2 W4 H2 F25:1 C420jpeg\nFRAME\n"u8.ToArray().Concat(new byte[5]).ToArray();
        using var reader = new Y4mReader(new MemoryStream(bytes));
        Assert.Contains("truncated frame", Assert.Throws<FrameFormatException>(() => reader.ReadFrame(new byte[reader.FrameSize])).Message);
        Assert.Contains("unsupported colour space", Assert.Throws<FrameFormatException>(() => new Y4mReader(new MemoryStream("YUV4MPEG2 W4 H2 C444\n"u8.ToArray()))).Message);
        Assert.Contains("signature", Assert.Throws<FrameFormatException>(() => new Y4mReader(new MemoryStream("RIFF\n"u8.ToArray()))).Message);
    }
}
