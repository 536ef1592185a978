using VideoQuality.Media;

namespace VideoQuality.Cli.Input;

/// <summary>One decoded frame of an input: its index in the stream, its presentation time and its pixels.</summary>
/// <param name="Timestamp">Index / frame rate: the pipe carries no timestamps, so a constant rate is assumed.</param>
/// <param name="Pixels">A tightly packed GRAY8 frame holding the luma exactly as decoded (no range conversion) for
/// detection; an I420 frame (luma first, so detection reads the same plane) when the input was opened with color for
/// repair.</param>
/// <param name="PtsUs">The frame's presentation time as ffmpeg decoded it, microseconds (null when unknown).</param>
/// <param name="ReceivedAt">Live inputs: the wall-clock time (UTC) the frame arrived from ffmpeg; null for files.</param>
internal sealed record InputFrame(long Index, TimeSpan Timestamp, RawFrame Pixels, long? PtsUs = null, DateTimeOffset? ReceivedAt = null);
