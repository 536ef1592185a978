using VideoQuality.Alarms;
using VideoQuality.Detection;

namespace VideoQuality.Cli.Output;

/// <summary>
/// What the CLI keeps of one detected frame, whichever backend produced it (the in-process pipeline or the gRPC service).
/// </summary>
/// <param name="Frame">Decoded frame index (0-based, as vqbench counts).</param>
/// <param name="Timestamp">Presentation time of the frame.</param>
/// <param name="Severity">Frame severity in [0,1].</param>
/// <param name="Class">Frame class.</param>
/// <param name="Mask">Union mask of flagged blocks (what vqbench scores).</param>
/// <param name="ModelVersion">Version of the detector model that produced it.</param>
/// <param name="PtsUs">Presentation time from ffmpeg (<see cref="Input.InputFrame.PtsUs"/>).</param>
/// <param name="ReceivedAt">Live inputs: wall-clock arrival (<see cref="Input.InputFrame.ReceivedAt"/>).</param>
internal sealed record FrameResult(long Frame, TimeSpan Timestamp, float Severity, FrameClass Class, BlockMask Mask, string ModelVersion = "",
    long? PtsUs = null, DateTimeOffset? ReceivedAt = null)
{
    public bool Flagged => Class != FrameClass.Clean;

    /// <summary>The frame as the alarm state machine sees it (`vq monitor` and the report's alarm windows).</summary>
    public AlarmSample ToAlarmSample() => new(Frame, (long)Timestamp.TotalMicroseconds, Severity, Class.ToVqbenchName());
}
