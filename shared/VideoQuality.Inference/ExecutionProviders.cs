using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace VideoQuality.Inference;

/// <summary>
/// Builds an ONNX Runtime session by walking the provider chain (TensorRT with FP16 and engine cache, then
/// CUDA, then CPU by default). A provider that cannot start (no GPU, no CUDA/TensorRT libraries, a runtime
/// built without it) throws <see cref="OnnxRuntimeException"/>, <see cref="EntryPointNotFoundException"/> or
/// <see cref="DllNotFoundException"/>: it is logged and the next one is tried. With RequireGpu, ending on CPU is
/// an error.
/// </summary>
public static partial class ExecutionProviders
{
    /// <summary>TensorRT.</summary>
    public const string TensorRt = "TensorRT";

    /// <summary>CUDA.</summary>
    public const string Cuda = "CUDA";

    /// <summary>CPU.</summary>
    public const string Cpu = "CPU";

    /// <summary>The default chain.</summary>
    public static readonly IReadOnlyList<string> DefaultChain = [TensorRt, Cuda, Cpu];

    /// <summary>Canonical spelling of a provider name (case-insensitive; "tensorrt", "trt", "cuda", "cpu").</summary>
    public static bool TryNormalize(string name, out string canonical)
    {
        canonical = name.Trim().ToUpperInvariant() switch
        {
            "TENSORRT" or "TRT" => TensorRt,
            "CUDA" => Cuda,
            "CPU" => Cpu,
            _ => string.Empty,
        };
        return canonical.Length > 0;
    }

    /// <summary>
    /// Creates a session for <paramref name="modelPath"/> with the first provider of the chain that starts.
    /// Returns the session and the provider's canonical name. Throws <see cref="ModelLoadException"/> when none
    /// starts, or when <see cref="InferenceOptions.RequireGpu"/> is set and only CPU started.
    /// </summary>
    public static (InferenceSession Session, string Provider) CreateSession(string modelPath, InferenceOptions options, ILogger logger)
    {
        var failures = new List<string>();
        foreach (var raw in options.EffectiveProviders)
        {
            if (!TryNormalize(raw, out var provider))
            {
                throw new ModelLoadException($"unknown execution provider '{raw}' (known: TensorRT, CUDA, CPU)");
            }

            if (options.RequireGpu && provider == Cpu)
            {
                continue;
            }

            SessionOptions? so = null;
            try
            {
                so = CreateSessionOptions(provider, modelPath, options);
                var session = new InferenceSession(modelPath, so);
                Log.ProviderSelected(logger, provider, modelPath);
                return (session, provider);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                failures.Add($"{provider}: {FirstLine(ex.Message)}");
                Log.ProviderFailed(logger, provider, FirstLine(ex.Message));
            }
            finally
            {
                so?.Dispose();
            }
        }

        string tried = failures.Count == 0 ? "none tried" : string.Join("; ", failures);
        if (options.RequireGpu)
        {
            throw new ModelLoadException(
                $"Inference:RequireGpu is true but no GPU execution provider could be started ({tried})");
        }

        throw new ModelLoadException($"no execution provider could be started for {modelPath} ({tried})");
    }

    private static SessionOptions CreateSessionOptions(string provider, string modelPath, InferenceOptions options)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = 1,
            IntraOpNumThreads = options.IntraOpThreads,
        };
        try
        {
            switch (provider)
            {
                case TensorRt:
                {
                    // Default cache under the temp folder: the models folder is read-only in containers.
                    string cache = options.TensorRtCachePath ?? Path.Combine(Path.GetTempPath(), "vq-trt-cache",
                        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(modelPath))))[..16]);
                    Directory.CreateDirectory(cache);
                    using var trt = new OrtTensorRTProviderOptions();
                    trt.UpdateOptions(new Dictionary<string, string>
                    {
                        ["device_id"] = options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["trt_fp16_enable"] = options.TensorRtFp16 ? "1" : "0",
                        ["trt_engine_cache_enable"] = "1",
                        ["trt_engine_cache_path"] = cache,
                        ["trt_timing_cache_enable"] = "1",
                        ["trt_timing_cache_path"] = cache,
                    });
                    so.AppendExecutionProvider_Tensorrt(trt);
                    // Nodes TensorRT cannot take run on CUDA, not on CPU.
                    so.AppendExecutionProvider_CUDA(options.DeviceId);
                    break;
                }

                case Cuda:
                    so.AppendExecutionProvider_CUDA(options.DeviceId);
                    break;
                default:
                    break;
            }
        }
        catch
        {
            so.Dispose();
            throw;
        }

        return so;
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? s : s[..nl];
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "ONNX Runtime execution provider {Provider} selected for {ModelPath}")]
        public static partial void ProviderSelected(ILogger logger, string provider, string modelPath);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Execution provider {Provider} unavailable, trying the next one: {Reason}")]
        public static partial void ProviderFailed(ILogger logger, string provider, string reason);
    }
}
