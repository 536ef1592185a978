using System.IO.Compression;
using System.Text;
using System.Text.Json;
using VideoQuality.Cli.Detect;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Media;
using VideoQuality.Repair;

namespace VideoQuality.Bench;

/// <summary>
/// `repair-gt --data DATA --out DIR [--variants a,b] [--blend-ramp N] [--dilate PIXELS] [--chroma none|deblock]`: repairs every clip of a vqbench dataset with the dataset's
/// ground-truth masks (gt/*.npz comp_mask / trans_mask) instead of a detector, writing DIR/&lt;clip&gt;.y4m for
/// <c>vqbench.py score-enhance</c>. Isolates the repair (model, concealment, blending) from detection quality: the
/// C# counterpart of <c>python -m vqtrain.infer enhance</c> without --detector (an upper bound, not a result).
/// </summary>
internal static class GroundTruthRepair
{
    public static int Run(string[] args)
    {
        string? data = null, outDir = null, modelRoot = null;
        HashSet<string>? variants = null;
        var options = new RepairOptions();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--data": data = args[i + 1]; break;
                case "--out": outDir = args[i + 1]; break;
                case "--model-root": modelRoot = args[i + 1]; break;
                case "--variants": variants = [.. args[i + 1].Split(',')]; break;
                case "--blend-ramp": options.BlendRamp = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--chroma": options.Chroma = Enum.Parse<ChromaRepair>(args[i + 1], ignoreCase: true); break;
                case "--dilate": options.DilatePixels = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (data is null || outDir is null) throw new ArgumentException("repair-gt needs --data DATA --out DIR");
        Directory.CreateDirectory(outDir);
        using var repairer = FrameRepairer.Load(new ModelOptions { Root = modelRoot ?? ModelRegistry.DefaultRoot() }, EmbeddedDetector.Inference(1), options);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "manifest.json")));
        foreach (var clip in manifest.RootElement.GetProperty("clips").EnumerateArray())
        {
            string name = clip.GetProperty("clip").GetString()!, variant = clip.GetProperty("variant").GetString()!;
            if (variants is not null && !variants.Contains(variant)) continue;
            var comp = ReadNpyBool(Path.Combine(data, clip.GetProperty("gt").GetString()!), "comp_mask", out var shape);
            var trans = ReadNpyBool(Path.Combine(data, clip.GetProperty("gt").GetString()!), "trans_mask", out _);
            int rows = shape[1], cols = shape[2], n = rows * cols;
            using var reader = new Y4mReader(File.OpenRead(Path.Combine(data, clip.GetProperty("dist").GetString()!)));
            using var writer = new Y4mWriter(File.Create(Path.Combine(outDir, name + ".y4m")), reader.Width, reader.Height,
                Math.Max(1, reader.FrameRateNumerator), reader.FrameRateDenominator);
            var stream = repairer.CreateStream(name);
            var buffer = new byte[reader.FrameSize];
            long model = 0, temporal = 0;
            for (int f = 0; reader.ReadFrame(buffer); f++)
            {
                var c = BlockMask.FromBools(8, rows, cols, comp.AsSpan(f * n, n));
                var t = BlockMask.FromBools(8, rows, cols, trans.AsSpan(f * n, n));
                var r = repairer.Repair(stream, reader.AsRawFrame(buffer), c, t, FramePixelFormat.I420);
                writer.WriteFrame(r.Frame.Data.Span);
                model += r.ModelBlocks;
                temporal += r.TemporalBlocks;
            }

            Console.WriteLine($"{name}: {model} model blocks, {temporal} concealed blocks");
        }

        return 0;
    }

    /// <summary>Reads a boolean array from an .npz member (numpy format 1.0/2.0, C order).</summary>
    private static bool[] ReadNpyBool(string npz, string key, out int[] shape)
    {
        using var zip = ZipFile.OpenRead(npz);
        using var s = (zip.GetEntry(key + ".npy") ?? throw new InvalidDataException($"{npz}: no {key}")).Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        var bytes = ms.ToArray();
        int major = bytes[6];
        int headerLen = major == 1 ? BitConverter.ToUInt16(bytes, 8) : BitConverter.ToInt32(bytes, 8);
        int start = major == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(bytes, start, headerLen);
        if (!header.Contains("'|b1'", StringComparison.Ordinal) || header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{npz}/{key}: expected a C-order bool array, header {header}");
        }

        var dims = header[(header.IndexOf('(', StringComparison.Ordinal) + 1)..header.IndexOf(')', StringComparison.Ordinal)];
        shape = [.. dims.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)];
        return [.. bytes.Skip(start + headerLen).Select(b => b != 0)];
    }
}
