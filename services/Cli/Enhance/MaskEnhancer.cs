using System.Runtime.CompilerServices;
using VideoQuality.Cli.Input;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection;
using VideoQuality.Repair;

namespace VideoQuality.Cli.Enhance;

/// <summary>
/// `vq enhance --masks DIR`: repair with given block masks instead of the detector (e.g. vqbench's ground truth from
/// <c>pred-from-gt</c>, to measure repair alone). Each input's masks are DIR/&lt;stem&gt;.jsonl in vqbench's prediction
/// format (<see cref="VqbenchLine.Read"/>), one line per frame. A frame's class picks the repair as the detector's
/// would: transmission = its mask is the transmission mask, compression = the compression mask, clean or no class =
/// nothing flagged; then <see cref="RepairPolicy"/> applies as for detector results. A file with fewer or more lines
/// than the input has frames, or a mask on another grid, fails the input.
/// </summary>
internal sealed class MaskEnhancer(FrameRepairer repairer, string masksDir, int threads) : IFrameEnhancer
{
    public string Description
    {
        get
        {
            var m = repairer.Model.Info;
            return $"masks from {masksDir} + {m.Name} {m.Version} in-process ({m.ExecutionProvider}, {threads} intra-op thread{(threads == 1 ? "" : "s")})";
        }
    }

    public async IAsyncEnumerable<EnhancedFrame> EnhanceAsync(IAsyncEnumerable<InputFrame> frames, string streamId, [EnumeratorCancellation] CancellationToken ct)
    {
        var path = Path.Combine(masksDir, streamId + ".jsonl");
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"no mask file {path}");
        }

        var lines = VqbenchLine.Read(path);
        var history = repairer.CreateStream(streamId);
        long n = 0;
        await foreach (var frame in frames.WithCancellation(ct))
        {
            if (n >= lines.Count)
            {
                throw new InvalidDataException($"{path}: {lines.Count} lines, but the input has more frames");
            }

            var line = lines[(int)n++];
            int rows = (frame.Pixels.Height + 7) / 8, cols = (frame.Pixels.Width + 7) / 8;
            var mask = line.Mask8(rows, cols);
            var empty = RepairPolicy.EmptyLike(mask);
            var cls = line.Class ?? FrameClass.Clean;
            var (comp, trans) = RepairPolicy.Select(repairer.Options, cls,
                cls == FrameClass.Compression ? mask : empty, cls == FrameClass.Transmission ? mask : empty);
            var r = repairer.Repair(history, frame.Pixels, comp, trans, Media.FramePixelFormat.I420, ct);
            yield return new EnhancedFrame(frame.Index, r.Frame.Data, r.ModelBlocks, r.TemporalBlocks, DetectionSource.Local);
        }

        if (n != lines.Count)
        {
            throw new InvalidDataException($"{path}: {lines.Count} lines, but the input has {n} frames");
        }
    }

    public ValueTask DisposeAsync()
    {
        repairer.Dispose();
        return ValueTask.CompletedTask;
    }
}
