namespace VideoQuality.Tests.Support;

/// <summary>
/// A frame with real compression damage: an ffmpeg lavfi source encoded as one MPEG-2 intra frame at the coarsest
/// quantiser (<c>-q:v 31</c>), decoded back by ffmpeg to raw pixels.
/// </summary>
internal static class Mpeg2Frame
{
    /// <summary>Decoded pixels in ffmpeg's <paramref name="pixFmt"/> (rgb24, bgr24, yuv420p, ...), tightly packed.</summary>
    public static byte[] Decode(int width, int height, string pixFmt, string source = "testsrc2")
    {
        var stream = Ffmpeg.Run($"-f lavfi -i {source}=size={width}x{height}:rate=25 -frames:v 1 -c:v mpeg2video -q:v 31 -f mpeg2video -");
        return Ffmpeg.Run($"-f mpegvideo -i - -frames:v 1 -pix_fmt {pixFmt} -f rawvideo -", stream);
    }
}
