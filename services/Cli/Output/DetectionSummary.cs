using System.Globalization;
using System.Text;
using VideoQuality.Detection;

namespace VideoQuality.Cli.Output;

/// <summary>
/// Running summary of one input: frame counts per class and the worst damaged episodes. An episode is a run of
/// flagged frames, where gaps of up to <see cref="MergeGapFrames"/> clean frames do not end it. Only the
/// <see cref="KeepEpisodes"/> episodes with the highest peak severity are kept, so memory stays bounded on live inputs;
/// a report, which lists every episode, keeps them all (<c>keepEpisodes: int.MaxValue</c>).
/// </summary>
internal sealed class DetectionSummary(int keepEpisodes = DetectionSummary.KeepEpisodes)
{
    public const int MergeGapFrames = 5;
    public const int KeepEpisodes = 5;

    private readonly List<Episode> _worst = [];
    private Episode? _open;

    public long Frames { get; private set; }

    public long Flagged { get; private set; }

    public long Compression { get; private set; }

    public long Transmission { get; private set; }

    public TimeSpan LastTimestamp { get; private set; }

    /// <summary>The <see cref="KeepEpisodes"/> episodes with the highest peak severity, worst first.</summary>
    public IReadOnlyList<Episode> WorstEpisodes =>
        _worst.Concat(_open is null ? [] : [_open]).OrderByDescending(e => e.PeakSeverity).ThenBy(e => e.StartFrame).Take(KeepEpisodes).ToList();

    /// <summary>Every episode kept, in time order.</summary>
    public IReadOnlyList<Episode> Episodes => _worst.Concat(_open is null ? [] : [_open]).OrderBy(e => e.StartFrame).ToList();

    public void Add(FrameResult r)
    {
        Frames++;
        LastTimestamp = r.Timestamp;
        if (!r.Flagged)
        {
            if (_open is not null && r.Frame - _open.EndFrame > MergeGapFrames) Close();
            return;
        }
        Flagged++;
        if (r.Class == FrameClass.Transmission) Transmission++; else Compression++;
        _open ??= new Episode(r.Frame, r.Timestamp);
        _open.Add(r);
    }

    private void Close()
    {
        _worst.Add(_open!);
        _open = null;
        if (_worst.Count > keepEpisodes)
        {
            _worst.Sort((a, b) => b.PeakSeverity.CompareTo(a.PeakSeverity));
            _worst.RemoveRange(keepEpisodes, _worst.Count - keepEpisodes);
        }
    }

    /// <summary>Human summary: totals, then the worst episodes with hh:mm:ss.fff timestamps.</summary>
    public string Format(string input, string outputPath, int width, int height, double fps)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"{input} -> {outputPath}\n");
        var share = Frames == 0 ? 0 : 100.0 * Flagged / Frames;
        sb.Append(inv, $"  {Frames} frames ({width}x{height} @ {fps:0.##} fps, {Stamp(LastTimestamp)}), ");
        sb.Append(inv, $"{Flagged} flagged ({share:0.0}%): {Compression} compression, {Transmission} transmission\n");
        var worst = WorstEpisodes;
        if (worst.Count == 0)
        {
            sb.Append("  no macroblocking found\n");
            return sb.ToString();
        }
        sb.Append("  worst moments:\n");
        foreach (var e in worst)
        {
            sb.Append(inv, $"    {Stamp(e.StartTime)} - {Stamp(e.EndTime)}  {e.DominantClass.ToVqbenchName(),-12} frames {e.StartFrame}-{e.EndFrame}, ");
            sb.Append(inv, $"peak severity {e.PeakSeverity:0.00} at {Stamp(e.PeakTime)} (frame {e.PeakFrame}, {100 * e.PeakShare:0.#}% of blocks flagged)\n");
        }
        return sb.ToString();
    }

    /// <summary>hh:mm:ss.fff, rounded to the millisecond.</summary>
    public static string Stamp(TimeSpan t) =>
        TimeSpan.FromMilliseconds(Math.Round(t.TotalMilliseconds)).ToString(@"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    /// <summary>A run of flagged frames.</summary>
    internal sealed class Episode(long startFrame, TimeSpan startTime)
    {
        private long _compression;
        private long _transmission;
        private double _severitySum;
        private double _shareSum;

        public long StartFrame { get; } = startFrame;

        public TimeSpan StartTime { get; } = startTime;

        public long EndFrame { get; private set; } = startFrame;

        public TimeSpan EndTime { get; private set; } = startTime;

        public float PeakSeverity { get; private set; } = -1;

        public long PeakFrame { get; private set; }

        public TimeSpan PeakTime { get; private set; }

        public double PeakShare { get; private set; }

        /// <summary>Flagged frames in the episode.</summary>
        public long Frames => _compression + _transmission;

        /// <summary>Mean severity of the episode's flagged frames.</summary>
        public double MeanSeverity => Frames == 0 ? 0 : _severitySum / Frames;

        /// <summary>Mean share of blocks flagged over the episode's flagged frames.</summary>
        public double MeanShare => Frames == 0 ? 0 : _shareSum / Frames;

        public FrameClass DominantClass => _transmission > 0 && _transmission >= _compression ? FrameClass.Transmission : FrameClass.Compression;

        public void Add(FrameResult r)
        {
            EndFrame = r.Frame;
            EndTime = r.Timestamp;
            if (r.Class == FrameClass.Transmission) _transmission++; else _compression++;
            _severitySum += r.Severity;
            _shareSum += r.Mask.FlaggedFraction;
            if (r.Severity > PeakSeverity)
            {
                PeakSeverity = r.Severity;
                PeakFrame = r.Frame;
                PeakTime = r.Timestamp;
                PeakShare = r.Mask.FlaggedFraction;
            }
        }
    }
}
