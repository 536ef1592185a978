using VideoQuality.Media;

namespace VideoQuality.Cli.Input;

/// <summary>One decoded frame of an input: its index in the stream, its presentation time and its 8-bit luma plane.</summary>
/// <param name="Timestamp">Index / frame rate: the pipe carries no timestamps, so a constant rate is assumed.</param>
/// <param name="Luma">A tightly packed GRAY8 frame holding the luma exactly as decoded (no range conversion); an I420
/// frame (luma first, so detection reads the same plane) when the input was opened with color for repair.</param>
internal sealed record InputFrame(long Index, TimeSpan Timestamp, RawFrame Luma);
