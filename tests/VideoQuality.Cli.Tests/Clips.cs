using VideoQuality.Cli.Input;

namespace VideoQuality.Cli.Tests;

/// <summary>Small clips made with the real ffmpeg for the tests, in a temporary folder removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vq-tests-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open by a killed child process.
        }
    }
}

internal static class Clips
{
    /// <summary>Encodes a lavfi test pattern: <paramref name="frames"/> frames at the given size with the given codec arguments.</summary>
    public static async Task<string> MakeAsync(string path, int width, int height, int frames, params string[] codec)
    {
        await FfmpegProcess.RunAsync("ffmpeg",
        [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", $"testsrc2=s={width + 1}x{height + 1}:r=30,scale={width}:{height},noise=alls=6:allf=t,format=yuv420p", "-frames:v", frames.ToString(),
            "-threads", "1", .. codec, path,
        ], CancellationToken.None);
        return path;
    }

    /// <summary>The Y planes of a clip as raw bytes, decoded separately by ffmpeg (rawvideo yuv420p; Y is the first W*H bytes of each frame).</summary>
    public static async Task<List<byte[]>> LumaPlanesAsync(string path, int width, int height)
    {
        var raw = Path.ChangeExtension(path, ".yuv");
        await FfmpegProcess.RunAsync("ffmpeg",
            ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", raw], CancellationToken.None);
        var bytes = await File.ReadAllBytesAsync(raw);
        var frameBytes = width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2);
        return Enumerable.Range(0, bytes.Length / frameBytes).Select(i => bytes.AsSpan(i * frameBytes, width * height).ToArray()).ToList();
    }

    /// <summary>A real-time MPEG-TS stream of a test pattern sent to <paramref name="url"/> (udp://) until disposed: a live input.</summary>
    public static FfmpegProcess StartLiveSender(string url, int width, int height) =>
        FfmpegProcess.Start("ffmpeg",
        [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", $"testsrc2=s={width}x{height}:r=30",
            "-c:v", "mpeg2video", "-g", "5", "-threads", "1", "-f", "mpegts", url + "?pkt_size=1316",
        ]);

    public static int FreeUdpPort()
    {
        using var socket = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }
}
