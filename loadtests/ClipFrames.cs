using Google.Protobuf;
using VideoQuality.Bench;
using VideoQuality.Contracts.V1;
using VideoQuality.Media;

namespace VideoQuality.LoadTests;

/// <summary>
/// The frames a run sends: I420 frames of a y4m clip (<c>--clip</c>, e.g. a vqbench clip), or of the bench tool's
/// clip with real codec damage (MPEG-2 at q 12 over the demo source, made with ffmpeg by
/// <see cref="DetectorBench.MakeClipAsync"/> and cached under the temp folder). Sent cyclically; each send gets its
/// own stream id and sequence.
/// </summary>
internal static class ClipFrames
{
    public static async Task<IReadOnlyList<Frame>> LoadAsync(string? clip, (int Width, int Height) size, int count)
    {
        if (clip is null)
        {
            var work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "vq-load")).FullName;
            clip = await DetectorBench.MakeClipAsync(work, size.Width, size.Height, count).ConfigureAwait(false);
        }

        using var reader = new Y4mReader(File.OpenRead(clip));
        var frames = new List<Frame>();
        var buffer = new byte[reader.FrameSize];
        while (frames.Count < count && reader.ReadFrame(buffer))
        {
            frames.Add(new Frame
            {
                Format = reader.Format == FramePixelFormat.Gray8 ? PixelFormat.Gray8 : PixelFormat.I420,
                Width = (uint)reader.Width,
                Height = (uint)reader.Height,
                Data = ByteString.CopyFrom(buffer),
            });
        }

        return frames.Count > 0 ? frames : throw new ArgumentException($"clip '{clip}' has no frames");
    }

    /// <summary>The <paramref name="index"/>-th frame of a stream (cycling the clip), stamped for sending: the timestamp
    /// is the frame's intended send time (seconds from the start of the run), as a live source's capture time would be,
    /// so a stream sent at N frames/s carries timestamps 1/N s apart.</summary>
    public static Frame At(IReadOnlyList<Frame> frames, long index, string streamId, ulong sequence, double intendedS)
    {
        var f = frames[(int)(index % frames.Count)].Clone();
        f.StreamId = streamId;
        f.Sequence = sequence;
        f.TimestampUs = (long)Math.Round(intendedS * 1e6);
        return f;
    }
}
