using System.ComponentModel.DataAnnotations;

namespace VideoQuality.Inference;

/// <summary>ONNX Runtime settings (configuration section <c>Inference</c>).</summary>
public sealed class InferenceOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Inference";

    /// <summary>
    /// Execution providers to try, in order: any of TensorRT, CUDA, CPU. Empty (the default) means
    /// TensorRT, CUDA, CPU. (Starts empty because configuration binding appends to a pre-filled list.)
    /// </summary>
    public List<string> Providers { get; set; } = [];

    /// <summary>The chain actually walked: <see cref="Providers"/>, or the default chain when empty.</summary>
    public IReadOnlyList<string> EffectiveProviders => Providers.Count > 0 ? Providers : ExecutionProviders.DefaultChain;

    /// <summary>Fail instead of falling back to CPU when no GPU provider starts.</summary>
    public bool RequireGpu { get; set; }

    /// <summary>Threads per model run (ORT intra-op). Default 1; concurrency comes from <see cref="MaxConcurrency"/>.</summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Model runs at once; 0 = number of processors.</summary>
    [Range(0, 256)]
    public int MaxConcurrency { get; set; }

    /// <summary>GPU device id for CUDA/TensorRT.</summary>
    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>TensorRT engine cache folder (default: $TMPDIR/vq-trt-cache/&lt;hash of the model path&gt;; mount a volume there to keep engines across restarts).</summary>
    public string? TensorRtCachePath { get; set; }

    /// <summary>Use FP16 in TensorRT.</summary>
    public bool TensorRtFp16 { get; set; } = true;

    /// <summary>Effective concurrency.</summary>
    public int EffectiveConcurrency => MaxConcurrency > 0 ? MaxConcurrency : Environment.ProcessorCount;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var p in Providers)
        {
            if (!ExecutionProviders.TryNormalize(p, out _))
            {
                yield return new ValidationResult(
                    $"Inference:Providers contains unknown provider '{p}' (known: TensorRT, CUDA, CPU)", [nameof(Providers)]);
            }
        }
    }
}
