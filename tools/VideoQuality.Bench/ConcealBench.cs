using System.Diagnostics;
using System.Globalization;
using VideoQuality.Cli.Enhance;
using VideoQuality.Media;
using VideoQuality.Repair;

namespace VideoQuality.Bench;

/// <summary>
/// `conceal --clip 640x360=PATH.y4m [--frames 30] [--repeat 3]`: time per 640x360 frame of temporal concealment alone
/// (<see cref="TemporalConcealer.Conceal"/>, global motion estimate included; no model, no format conversion) with 10%
/// of the blocks flagged as transmission damage (<see cref="RepairBench"/>'s 4x4-block clusters), each frame concealed
/// from the one before it, on the calling thread (its CPU time too: the cost on one core when others share the machine); also the global motion estimate alone. Repair settings from the
/// <c>Repair__*</c> environment variables.
/// </summary>
internal static class ConcealBench
{
    private const int W = 640, H = 360, Rows = H / 8, Cols = W / 8;

    public static int Run(string[] args)
    {
        var o = BenchOptions.Parse(args);
        if (!o.Clips.TryGetValue((W, H), out var clip)) throw new ArgumentException("conceal needs --clip 640x360=PATH.y4m");
        var frames = RepairBench.ReadI420(clip, o.Frames);
        var mask = RepairBench.Mask(0.10);
        var flagged = new bool[Rows * Cols];
        for (int i = 0; i < flagged.Length; i++) flagged[i] = Detection.MaskCodec.Get(mask.Bits, i);
        var options = EmbeddedEnhancer.RepairSettings();
        Console.WriteLine($"# conceal bench: {frames.Count} frames {W}x{H} of {clip}, {mask.Flagged} blocks flagged (10%), load average {DetectorBench.LoadAverage()}");
        Console.WriteLine("| step | ms/frame mean | p50 | p95 | process CPU ms/frame |");
        Console.WriteLine("|---|---|---|---|---|");
        Time("global motion estimate", frames, o.Repeat, (cur, prev) => TemporalConcealer.EstimateGlobal(cur, prev, flagged, Rows, Cols, options));
        Time("concealment (all)", frames, o.Repeat, (cur, prev) => TemporalConcealer.Conceal(cur, prev, flagged, Rows, Cols, options));
        return 0;
    }

    private static void Time(string step, List<RawFrame> frames, int repeat, Action<YuvImage, YuvImage> run)
    {
        var previous = frames.Select(f => YuvImage.From(FrameDecoder.Decode(f))).ToList();
        var ms = new List<double>();
        var cpu = TimeSpan.Zero;
        for (int r = -1; r < repeat; r++)
        {
            for (int i = 1; i < frames.Count; i++)
            {
                var cur = YuvImage.From(FrameDecoder.Decode(frames[i]));
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var t0 = Stopwatch.GetTimestamp();
                run(cur, previous[i - 1]);
                if (r >= 0) // the first round warms up the JIT
                {
                    ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    cpu += Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                }
            }
        }

        ms.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {step} | {ms.Average():0.00} | {ms[ms.Count / 2]:0.00} | {ms[(int)(0.95 * (ms.Count - 1))]:0.00} | {cpu.TotalMilliseconds / ms.Count:0.00} |"));
    }
}
