using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using VideoQuality.Cli.Detect;
using VideoQuality.Cli.Input;
using VideoQuality.Contracts.V1;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Repair;

namespace VideoQuality.Cli.Enhance;

/// <summary>
/// In-process repair: the Detection library's <see cref="DetectorPipeline"/> (with a <see cref="DetectionStream"/> per
/// input) and the Repair library's <see cref="FrameRepairer"/> (with a <see cref="RepairStream"/> per input), the same
/// code the Enhancer service runs.
/// </summary>
internal sealed class EmbeddedEnhancer(DetectorPipeline detector, FrameRepairer repairer, int threads) : IFrameEnhancer
{
    /// <summary>Repair settings from the same <c>Repair__*</c> environment variables the enhancer service reads
    /// (e.g. <c>Repair__DilatePixels=4</c>), validated like the service's options; defaults otherwise.</summary>
    public static RepairOptions RepairSettings()
    {
        var options = new ConfigurationBuilder().AddEnvironmentVariables().Build()
            .GetSection(RepairOptions.SectionName).Get<RepairOptions>() ?? new RepairOptions();
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true))
        {
            throw new ArgumentException("Repair__* environment variables: " + string.Join("; ", errors.Select(e => e.ErrorMessage)));
        }

        return options;
    }

    public static EmbeddedEnhancer Create(string modelRoot, int? threads, string? profile = null)
    {
        var inference = EmbeddedDetector.Inference(threads);
        var detector = DetectorPipeline.Load(modelRoot, version: null, inference);
        try
        {
            return new EmbeddedEnhancer(detector, FrameRepairer.Load(new ModelOptions { Root = modelRoot, Profile = profile }, inference, RepairSettings()), inference.IntraOpThreads);
        }
        catch
        {
            detector.Dispose();
            throw;
        }
    }

    public string Description
    {
        get
        {
            var m = repairer.Model.Info;
            return $"{detector.Model.Name} {detector.Model.Version} + {m.Name} {m.Version}{(m.Profile.Length > 0 ? $" ({m.Profile} profile)" : "")} in-process ({m.ExecutionProvider}, {threads} intra-op thread{(threads == 1 ? "" : "s")})";
        }
    }

    public async IAsyncEnumerable<EnhancedFrame> EnhanceAsync(IAsyncEnumerable<InputFrame> frames, string streamId, [EnumeratorCancellation] CancellationToken ct)
    {
        var detection = detector.CreateStream(streamId);
        var history = repairer.CreateStream(streamId);
        await foreach (var frame in frames.WithCancellation(ct))
        {
            var d = detector.Detect(detection, frame.Pixels, ct);
            var (comp, trans) = RepairPolicy.Select(repairer.Options, d.Class, d.CompressionMask, d.TransmissionMask);
            var r = repairer.Repair(history, frame.Pixels, comp, trans, Media.FramePixelFormat.I420, ct);
            yield return new EnhancedFrame(frame.Index, r.Frame.Data, r.ModelBlocks, r.TemporalBlocks, DetectionSource.Local);
        }
    }

    public ValueTask DisposeAsync()
    {
        repairer.Dispose();
        detector.Dispose();
        return ValueTask.CompletedTask;
    }
}
