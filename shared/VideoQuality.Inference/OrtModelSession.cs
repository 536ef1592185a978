using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace VideoQuality.Inference;

/// <summary>
/// One loaded, verified model with its ONNX Runtime session. Runs go through <see cref="Acquire"/> /
/// <see cref="AcquireAsync"/>, which bound concurrency to <see cref="InferenceOptions.EffectiveConcurrency"/>
/// and hand out a pooled run context whose pinned float input buffers are reused from run to run
/// (OrtValues are created over them; nothing is copied into ORT).
/// </summary>
public sealed partial class OrtModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<RunContext> _contexts = [];
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private int _disposed;

    private OrtModelSession(ModelPackage package, InferenceSession session, string provider, int concurrency)
    {
        Package = package;
        _session = session;
        Provider = provider;
        Concurrency = concurrency;
        _slots = new SemaphoreSlim(concurrency, concurrency);
        _inputNames = package.Manifest.Inputs.Count > 0
            ? [.. package.Manifest.Inputs.Select(i => i.Name)]
            : [.. session.InputNames];
        _outputNames = package.Manifest.Outputs.Count > 0
            ? [.. package.Manifest.Outputs.Select(o => o.Name)]
            : [.. session.OutputNames];
        foreach (var name in _inputNames.Where(n => !session.InputMetadata.ContainsKey(n)))
        {
            throw new ModelLoadException($"{package.ModelPath}: manifest input '{name}' is not an input of the model");
        }

        foreach (var name in _outputNames.Where(n => !session.OutputMetadata.ContainsKey(n)))
        {
            throw new ModelLoadException($"{package.ModelPath}: manifest output '{name}' is not an output of the model");
        }
    }

    /// <summary>The verified model package.</summary>
    public ModelPackage Package { get; }

    /// <summary>The manifest.</summary>
    public ModelManifest Manifest => Package.Manifest;

    /// <summary>Execution provider actually in use (TensorRT, CUDA or CPU).</summary>
    public string Provider { get; }

    /// <summary>Maximum runs at once.</summary>
    public int Concurrency { get; }

    /// <summary>Input names in manifest order.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>Output names in manifest order.</summary>
    public IReadOnlyList<string> OutputNames => _outputNames;

    /// <summary>Creates a session for a verified package with the configured provider chain.</summary>
    public static OrtModelSession Create(ModelPackage package, InferenceOptions options, ILogger? logger = null)
    {
        var (session, provider) = ExecutionProviders.CreateSession(package.ModelPath, options, logger ?? NullLogger.Instance);
        try
        {
            return new OrtModelSession(package, session, provider, options.EffectiveConcurrency);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The one way a model is brought up: find <paramref name="kind"/> under the models root (highest version unless
    /// set), verify its sha256, create the session with the provider chain, wrap it with <paramref name="create"/> and
    /// warm it up. The session is disposed if wrapping or warm-up throws; <see cref="ModelLoadException"/> reports
    /// registry and provider failures (including RequireGpu without a GPU).
    /// </summary>
    public static T Open<T>(ModelOptions model, string kind, InferenceOptions options, ILogger logger,
        Func<OrtModelSession, T> create, Action<T> warmUp)
    {
        var package = ModelRegistry.Resolve(model.ResolveRoot(), kind, model.Version, model.Profile);
        var session = Create(package, options, logger);
        // No profile configured: the package came with the CPU default; a GPU provider gets the manifest's GPU default.
        if (string.IsNullOrEmpty(model.Profile) && session.Provider != ExecutionProviders.Cpu
            && package.Manifest.DefaultProfileFor(gpu: true) is { } gpuProfile && gpuProfile != package.Manifest.Profile)
        {
            session.Dispose();
            package = ModelRegistry.Load(package.Directory, gpuProfile);
            session = Create(package, options, logger);
        }

        try
        {
            var wrapped = create(session);
            var sw = Stopwatch.StartNew();
            warmUp(wrapped);
            Log.Loaded(logger, kind, package.Manifest.Name, package.Manifest.Version,
                package.Manifest.Profile.Length == 0 ? "-" : package.Manifest.Profile, session.Provider, package.Directory, sw.ElapsedMilliseconds);
            return wrapped;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Waits for a free run slot (blocking).</summary>
    public InferenceRun Acquire(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _slots.Wait(cancellationToken);
        return Rent();
    }

    /// <summary>Waits for a free run slot.</summary>
    public async ValueTask<InferenceRun> AcquireAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Rent();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (_contexts.TryTake(out var c))
        {
            c.Dispose();
        }

        _session.Dispose();
        _slots.Dispose();
    }

    private InferenceRun Rent()
    {
        if (!_contexts.TryTake(out var ctx))
        {
            ctx = new RunContext(_inputNames.Length);
        }

        return new InferenceRun(this, ctx);
    }

    internal void Return(RunContext ctx)
    {
        if (_disposed != 0)
        {
            ctx.Dispose();
            return;
        }

        _contexts.Add(ctx);
        _slots.Release();
    }

    internal IDisposableReadOnlyCollection<OrtValue> RunCore(RunContext ctx)
    {
        var values = new OrtValue[_inputNames.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ctx.Value(i) ?? throw new InvalidOperationException($"input '{_inputNames[i]}' was not set");
        }

        return _session.Run(ctx.RunOptions, _inputNames, values, _outputNames);
    }

    /// <summary>Reusable per-slot state: pinned input buffers and the OrtValues over them.</summary>
    internal sealed class RunContext : IDisposable
    {
        private readonly float[]?[] _buffers;
        private readonly long[]?[] _shapes;
        private readonly OrtValue?[] _values;

        public RunContext(int inputs)
        {
            _buffers = new float[inputs][];
            _shapes = new long[inputs][];
            _values = new OrtValue[inputs];
        }

        public RunOptions RunOptions { get; } = new();

        public OrtValue? Value(int i) => _values[i];

        public Span<float> Input(int i, ReadOnlySpan<long> shape)
        {
            long count = 1;
            foreach (var d in shape)
            {
                count *= d;
            }

            if (count <= 0 || count > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), "tensor shape is empty or too large");
            }

            var buffer = _buffers[i];
            if (buffer is null || buffer.Length < count)
            {
                _values[i]?.Dispose();
                _values[i] = null;
                buffer = _buffers[i] = GC.AllocateUninitializedArray<float>((int)count, pinned: true);
            }

            if (_values[i] is null || !_shapes[i].AsSpan().SequenceEqual(shape))
            {
                _values[i]?.Dispose();
                _shapes[i] = shape.ToArray();
                _values[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, (int)count), _shapes[i]!);
            }

            return buffer.AsSpan(0, (int)count);
        }

        public void Dispose()
        {
            foreach (var v in _values)
            {
                v?.Dispose();
            }

            RunOptions.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} model {Name} {Version} (profile {Profile}) loaded on {Provider} from {Directory}, warmed up in {ElapsedMs} ms")]
        public static partial void Loaded(ILogger logger, string kind, string name, string version, string profile, string provider, string directory, long elapsedMs);
    }
}

/// <summary>
/// One model run on a leased slot: fill the inputs, <see cref="Run"/>, read the outputs, dispose (which returns
/// the slot and its buffers to the pool). Not thread-safe; use from one thread at a time.
/// </summary>
public sealed class InferenceRun : IDisposable
{
    private readonly OrtModelSession _owner;
    private readonly OrtModelSession.RunContext _ctx;
    private IDisposableReadOnlyCollection<OrtValue>? _outputs;
    private bool _disposed;

    internal InferenceRun(OrtModelSession owner, OrtModelSession.RunContext ctx)
    {
        _owner = owner;
        _ctx = ctx;
    }

    /// <summary>The buffer of input <paramref name="index"/> (manifest order) for the given shape; write the values into it.</summary>
    public Span<float> Input(int index, ReadOnlySpan<long> shape) => _ctx.Input(index, shape);

    /// <summary>Runs the model on the current inputs.</summary>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _outputs?.Dispose();
        _outputs = null;
        _outputs = _owner.RunCore(_ctx);
    }

    /// <summary>Output <paramref name="index"/> (manifest order) of the last run; valid until the next run or dispose.</summary>
    public ReadOnlySpan<float> Output(int index) =>
        (_outputs ?? throw new InvalidOperationException("Run() has not been called"))[index].GetTensorDataAsSpan<float>();

    /// <summary>Shape of output <paramref name="index"/> of the last run.</summary>
    public long[] OutputShape(int index) =>
        (_outputs ?? throw new InvalidOperationException("Run() has not been called"))[index].GetTensorTypeAndShape().Shape;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _outputs?.Dispose();
        _owner.Return(_ctx);
    }
}
