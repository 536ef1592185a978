using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using VideoQuality.Detection;
using VideoQuality.Inference;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Inference;

public class ProviderChainTests
{
    private static bool HasNvidiaGpu => File.Exists("/dev/nvidiactl");

    [Fact]
    public void Default_chain_tensorrt_cuda_cpu_falls_back_to_the_first_provider_that_starts()
    {
        var options = new InferenceOptions { MaxConcurrency = 1 };
        Assert.Equal(["TensorRT", "CUDA", "CPU"], options.EffectiveProviders);
        using var pipeline = DetectorPipeline.Load(TestModels.Root, inference: options);
        if (!HasNvidiaGpu)
        {
            Assert.Equal("CPU", pipeline.Model.ExecutionProvider);
        }
        else
        {
            Assert.Contains(pipeline.Model.ExecutionProvider, ExecutionProviders.DefaultChain);
        }

        Assert.Equal(pipeline.Model.ExecutionProvider, pipeline.Session.Provider);
    }

    [Fact]
    public void Require_gpu_without_a_gpu_fails_with_a_clear_error()
    {
        var options = new InferenceOptions { RequireGpu = true, MaxConcurrency = 1 };
        if (HasNvidiaGpu)
        {
            using var onGpu = DetectorPipeline.Load(TestModels.Root, inference: options);
            Assert.NotEqual("CPU", onGpu.Model.ExecutionProvider);
            return;
        }

        var ex = Assert.Throws<ModelLoadException>(() => DetectorPipeline.Load(TestModels.Root, inference: options));
        Assert.Contains("Inference:RequireGpu is true but no GPU execution provider could be started", ex.Message);
        Assert.Contains("CUDA:", ex.Message);
    }

    [Fact]
    public void Gpu_only_chain_without_cpu_fails_instead_of_silently_using_cpu()
    {
        var options = new InferenceOptions { Providers = ["CUDA"], MaxConcurrency = 1 };
        if (HasNvidiaGpu)
        {
            using var onGpu = DetectorPipeline.Load(TestModels.Root, inference: options);
            Assert.Equal("CUDA", onGpu.Model.ExecutionProvider);
            return;
        }

        var ex = Assert.Throws<ModelLoadException>(() => DetectorPipeline.Load(TestModels.Root, inference: options));
        Assert.Contains("no execution provider could be started", ex.Message);
    }

    [Fact]
    public void Unknown_provider_names_fail_validation()
    {
        var options = new InferenceOptions { Providers = ["CPU", "DirectML"] };
        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();
        Assert.Contains(errors, e => e.ErrorMessage!.Contains("unknown provider 'DirectML'"));
        Assert.True(ExecutionProviders.TryNormalize("trt", out var c) && c == "TensorRT");
    }

    [Fact]
    public void Runs_are_bounded_by_max_concurrency()
    {
        var package = ModelRegistry.Resolve(TestModels.Root, "detector");
        using var session = OrtModelSession.Create(package, TestModels.CpuOptions(maxConcurrency: 1));
        using var first = session.Acquire();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.ThrowsAny<OperationCanceledException>(() => session.Acquire(cts.Token));
    }
}

public class ModelRegistryTests
{
    [Fact]
    public void Sha256_mismatch_is_refused()
    {
        using var tmp = new TempDir();
        var dir = TestModels.CopyDetectorTo(tmp.Path, "1.0.0");
        var manifestPath = Path.Combine(dir, "manifest.json");
        var json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        json["sha256"] = new string('0', 64);
        File.WriteAllText(manifestPath, json.ToJsonString());
        var ex = Assert.Throws<ModelLoadException>(() => ModelRegistry.Resolve(tmp.Path, "detector"));
        Assert.Contains("does not match manifest sha256 0000", ex.Message);
    }

    [Fact]
    public void Modified_model_file_is_refused()
    {
        using var tmp = new TempDir();
        var dir = TestModels.CopyDetectorTo(tmp.Path, "1.0.0");
        using (var f = File.OpenWrite(Path.Combine(dir, "model.onnx")))
        {
            f.Seek(0, SeekOrigin.End);
            f.WriteByte(0);
        }

        Assert.Throws<ModelLoadException>(() => DetectorPipeline.Load(tmp.Path, inference: TestModels.CpuOptions()));
    }

    [Fact]
    public void Highest_semantic_version_is_chosen_unless_one_is_configured()
    {
        using var tmp = new TempDir();
        TestModels.CopyDetectorTo(tmp.Path, "0.9.0");
        TestModels.CopyDetectorTo(tmp.Path, "0.10.0");
        TestModels.CopyDetectorTo(tmp.Path, "0.10.0-rc1");
        Directory.CreateDirectory(Path.Combine(tmp.Path, "detector", "latest"));
        Assert.Equal(["0.10.0", "0.10.0-rc1", "0.9.0"], ModelRegistry.ListVersions(tmp.Path, "detector"));
        Assert.EndsWith("0.10.0", ModelRegistry.Resolve(tmp.Path, "detector").Directory);
        Assert.EndsWith("0.9.0", ModelRegistry.Resolve(tmp.Path, "detector", "0.9.0").Directory);

        // A root that contains models/ works too.
        var outer = Path.Combine(tmp.Path, "outer");
        Directory.CreateDirectory(Path.Combine(outer, "models"));
        Directory.Move(Path.Combine(tmp.Path, "detector"), Path.Combine(outer, "models", "detector"));
        Assert.EndsWith("0.10.0", ModelRegistry.Resolve(outer, "detector").Directory);
    }

    [Fact]
    public void Missing_model_is_a_clear_error()
    {
        using var tmp = new TempDir();
        var ex = Assert.Throws<ModelLoadException>(() => ModelRegistry.Resolve(tmp.Path, "detector"));
        Assert.Contains("no detector model found", ex.Message);
    }

    [Fact]
    public void Onnx_runtime_is_present_and_reports_its_providers() =>
        Assert.Contains("CPUExecutionProvider", OrtEnv.Instance().GetAvailableProviders());
}
