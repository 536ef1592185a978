using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VideoQuality.Inference;
using VideoQuality.Media;

namespace VideoQuality.Detection;

/// <summary>
/// The in-process detector used by the Detector service, the enhancer's local fallback and the CLI. Every entry
/// point takes the same path; they differ only in where the temporal context comes from (a previous frame, a
/// <see cref="DetectionStream"/>, a caller-kept <see cref="RecurrentState"/>) and in how the run slot is awaited:
/// <list type="number">
/// <item>read (<see cref="Read"/>, stage "decode"): frame -&gt; luma (<see cref="FrameDecoder"/>), the previous frame
/// likewise, a caller-kept state checked against the frame;</item>
/// <item>acquire a run slot of <see cref="OrtModelSession"/> (blocking, or asynchronously); the wait counts as
/// inference time;</item>
/// <item>prepare (<see cref="Prepare"/>, stage "preprocess"): the temporal context (the previous frame when it has
/// the frame's size, else the stream's previous frame, else the frame itself), block features
/// (<see cref="BlockFeatures"/>) or luma tensors (<see cref="LumaTensor"/>) as the model takes them, the stream's
/// history updated;</item>
/// <item>run (<see cref="Finish"/>, stage "run"): the model, a recurrent one with the stream's or the caller's
/// state (<see cref="RunRecurrent"/>);</item>
/// <item>post-process (stage "postprocess"): <see cref="DetectorPostprocessor"/> and <see cref="RegionMerger"/>
/// -&gt; <see cref="DetectionResult"/>.</item>
/// </list>
/// Stage times come from <see cref="StageClock"/>. Thread-safe: concurrent calls are bounded by the session's
/// concurrency; each <see cref="DetectionStream"/> must be used by one caller at a time.
/// </summary>
public sealed class DetectorPipeline : IDisposable
{
    private readonly OrtModelSession _session;
    private readonly bool _ownsSession;
    private readonly DetectorPostprocessor _post;
    private readonly int _severityIndex;
    private readonly int _probsIndex;
    private readonly int _stateIndex;
    private readonly DetectorInputs _inputs;

    /// <summary>Wraps an existing session of a detector model.</summary>
    public DetectorPipeline(OrtModelSession session, bool ownsSession = true)
    {
        _session = session;
        _ownsSession = ownsSession;
        var m = session.Manifest;
        _inputs = DetectorInputsOf(session);

        _severityIndex = IndexOf(session.OutputNames, "severity", session.Package.ModelPath);
        _probsIndex = IndexOf(session.OutputNames, "block_probs", session.Package.ModelPath);
        _stateIndex = _inputs == DetectorInputs.Recurrent ? IndexOf(session.OutputNames, "next_state", session.Package.ModelPath) : -1;
        _post = new DetectorPostprocessor(m.Postprocess ?? new PostprocessSpec(), m.Block);
        Model = new DetectorModelInfo(m.Name, m.Version, session.Provider, m.Sha256.ToLowerInvariant());
    }

    /// <summary>Name, version, provider and sha256 of the model.</summary>
    public DetectorModelInfo Model { get; }

    /// <summary>The model's stride (input sides are padded to multiples of it).</summary>
    public int Stride => _session.Manifest.Stride;

    /// <summary>Mask block size in pixels.</summary>
    public int BlockSize => _session.Manifest.Block;

    /// <summary>The post-processing thresholds.</summary>
    public PostprocessSpec Postprocess => _post.Spec;

    /// <summary>Whether the model carries a per-stream state from frame to frame (detector 2.x): frames of a
    /// <see cref="DetectionStream"/> then see everything the stream showed before, calls without a stream start
    /// from a zero state.</summary>
    public bool IsRecurrent => _inputs == DetectorInputs.Recurrent;

    /// <summary>The underlying session.</summary>
    public OrtModelSession Session => _session;

    /// <summary>
    /// Finds the detector under <paramref name="model"/> (highest version unless set), verifies its sha256,
    /// creates the session with the provider chain of <paramref name="inference"/> and warms it up.
    /// Throws <see cref="ModelLoadException"/> on any failure (including RequireGpu without a GPU).
    /// </summary>
    public static DetectorPipeline Load(ModelOptions model, InferenceOptions inference, ILoggerFactory? loggerFactory = null)
    {
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<DetectorPipeline>();
        return OrtModelSession.Open(model, "detector", inference, logger, session => new DetectorPipeline(session), m => m.WarmUp());
    }

    /// <summary>Loads from a models folder with default inference options (CPU-friendly: chain TensorRT, CUDA, CPU).</summary>
    public static DetectorPipeline Load(string modelsRoot, string? version = null, InferenceOptions? inference = null, ILoggerFactory? loggerFactory = null) =>
        Load(new ModelOptions { Root = modelsRoot, Version = version }, inference ?? new InferenceOptions(), loggerFactory);

    /// <summary>Runs the model on a blank frame of the given size on every run slot, so the first real frame is not slow.</summary>
    public void WarmUp(int width = 640, int height = 360)
    {
        var blank = new byte[width * height];
        var runs = new List<InferenceRun>();
        try
        {
            for (int i = 0; i < _session.Concurrency; i++)
            {
                runs.Add(_session.Acquire());
            }

            foreach (var run in runs)
            {
                _ = Finish(run, Prepare(run, new Input(PlaneView.Packed(blank, width, height), null, null, 0), 0));
            }
        }
        finally
        {
            foreach (var run in runs)
            {
                run.Dispose();
            }
        }
    }

    /// <summary>A new stream history holder.</summary>
    public DetectionStream CreateStream(string? id = null) => new(id ?? string.Empty);

    /// <summary>
    /// Detects one frame. Temporal context: <paramref name="previous"/> when given and of the same size,
    /// else the frame itself. Throws <see cref="FrameFormatException"/> for unreadable frames.
    /// </summary>
    public DetectionResult Detect(RawFrame frame, RawFrame? previous = null, CancellationToken cancellationToken = default) =>
        Detect(Read(frame, previous), cancellationToken);

    /// <summary>Detects the next frame of <paramref name="stream"/> (its previous frame is the temporal context).</summary>
    public DetectionResult Detect(DetectionStream stream, RawFrame frame, CancellationToken cancellationToken = default) =>
        Detect(Read(frame, stream: stream), cancellationToken);

    /// <summary>
    /// As <see cref="Detect(RawFrame, RawFrame?, CancellationToken)"/>, waiting for a run slot asynchronously, for a
    /// stream whose recurrent state the caller keeps (unary calls): <paramref name="state"/> is the stream's state
    /// after its previous frame (null: a fresh state; one from another model version is not used,
    /// <see cref="DetectionResult.StateUsed"/> says so); with <paramref name="returnState"/> the result carries this
    /// frame's state in <see cref="DetectionResult.NextState"/>. A non-recurrent model ignores both. Throws
    /// <see cref="FrameFormatException"/> for unreadable frames and for a state that does not fit the frame.
    /// </summary>
    public async ValueTask<DetectionResult> DetectAsync(RawFrame frame, RawFrame? previous = null, RecurrentState? state = null,
        bool returnState = false, CancellationToken cancellationToken = default)
    {
        using var pending = await BeginAsync(Read(frame, previous, state: state, returnState: returnState), cancellationToken).ConfigureAwait(false);
        return pending.Run();
    }

    /// <summary>
    /// First half of a stream detection, for callers that overlap frames of one stream (the Detector service):
    /// decodes the frame, waits for a run slot and prepares the model inputs with the stream's history, in
    /// call order. <see cref="PendingDetection.Run"/> (on any thread) then runs the model; frames of one stream
    /// may run concurrently because each one's temporal context is already fixed here. Dispose the pending
    /// detection if it is never run.
    /// </summary>
    public ValueTask<PendingDetection> BeginAsync(DetectionStream stream, RawFrame frame, CancellationToken cancellationToken = default) =>
        BeginAsync(Read(frame, stream: stream), cancellationToken);

    /// <summary>Detects from luma planes directly (used by the golden-vector tests and by callers that already hold luma).</summary>
    public DetectionResult DetectLuma(PlaneView luma, PlaneView? previousLuma, CancellationToken cancellationToken = default)
    {
        FrameLimits.CheckSize(luma.Width, luma.Height);
        return Detect(new Input(luma, previousLuma, null, 0), cancellationToken);
    }

    /// <summary>A recurrent model on luma planes with an explicit state input (golden-vector tests); returns the
    /// model's next state too.</summary>
    internal DetectionResult DetectLuma(PlaneView luma, PlaneView? previousLuma, float[] state, out float[] nextState)
    {
        FrameLimits.CheckSize(luma.Width, luma.Height);
        var result = Detect(new Input(luma, previousLuma, null, 0) { GivenState = state, CaptureState = true }, CancellationToken.None);
        nextState = result.NextState?.Data ?? throw new InvalidOperationException("the model is not recurrent");
        return result;
    }

    /// <summary>Channels of the recurrent state (0 for a model without one).</summary>
    public int StateChannels => IsRecurrent ? _session.Manifest.Recurrent?.Channels ?? 0 : 0;

    /// <summary>Block rows and columns of the recurrent state for a frame: the model's grid of the padded frame.</summary>
    private (int Rows, int Cols) StateGrid(int width, int height) =>
        (LumaTensor.PadTo(height, Stride) / BlockFeatures.Block, LumaTensor.PadTo(width, Stride) / BlockFeatures.Block);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsSession)
        {
            _session.Dispose();
        }
    }

    /// <summary>Step 1: decodes the frame and the previous frame to luma and checks a caller-kept state (a state of
    /// another model version, or for a model without one, is not used).</summary>
    private Input Read(RawFrame frame, RawFrame? previous = null, DetectionStream? stream = null, RecurrentState? state = null,
        bool returnState = false)
    {
        long t0 = Stopwatch.GetTimestamp();
        var luma = Decode(frame).Luma;
        PlaneView? prev = previous is { } p ? DecodePrevious(p) : null;
        float[]? given = null;
        if (IsRecurrent && state is { Data.Length: > 0 } && state.ModelVersion == Model.Version)
        {
            var (rows, cols) = StateGrid(luma.Width, luma.Height);
            state.Check(StateChannels, rows, cols, luma.Width, luma.Height);
            given = state.Data;
        }

        return new Input(luma, prev, stream, StageClock.Micros(t0)) { GivenState = given, CaptureState = returnState };
    }

    /// <summary>Steps 2 to 5 on this thread, waiting for a run slot blocking.</summary>
    private DetectionResult Detect(Input input, CancellationToken cancellationToken)
    {
        long w0 = Stopwatch.GetTimestamp();
        using var run = _session.Acquire(cancellationToken);
        return Finish(run, Prepare(run, input, StageClock.Micros(w0)));
    }

    /// <summary>Steps 2 and 3, waiting for a run slot asynchronously; the pending detection does steps 4 and 5.</summary>
    private async ValueTask<PendingDetection> BeginAsync(Input input, CancellationToken cancellationToken)
    {
        long w0 = Stopwatch.GetTimestamp();
        var run = await _session.AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new PendingDetection(this, run, Prepare(run, input, StageClock.Micros(w0)));
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>Step 3: fills the model inputs (block features, or padded and scaled planes) with the temporal context
    /// and updates the stream history.</summary>
    private Prepared Prepare(InferenceRun run, Input input, long waitUs)
    {
        var (luma, stream) = (input.Luma, input.Stream);
        int w = luma.Width, h = luma.Height, stride = Stride;
        int pw = LumaTensor.PadTo(w, stride), ph = LumaTensor.PadTo(h, stride);
        using var span = InferenceTelemetry.StartStage("preprocess", Model.Name);
        long t0 = Stopwatch.GetTimestamp();
        PlaneView context;
        bool hasContext = true;
        if (input.Previous is { } p && p.Width == w && p.Height == h)
        {
            context = p;
        }
        else if (stream is null || !stream.TryGetPrevious(w, h, out context))
        {
            (context, hasContext) = (luma, false);
        }

        StateBinding? state = null;
        if (_inputs is DetectorInputs.Features or DetectorInputs.Recurrent)
        {
            ReadOnlySpan<long> shape = [1, BlockFeatures.Channels, ph / BlockFeatures.Block, pw / BlockFeatures.Block];
            BlockFeatures.Compute(luma, context, pw, ph, run.Input(0, shape));
        }
        else
        {
            ReadOnlySpan<long> shape = [1, 1, ph, pw];
            LumaTensor.Write(luma, run.Input(0, shape), pw, ph);
            LumaTensor.Write(context, run.Input(1, shape), pw, ph);
        }

        if (_inputs == DetectorInputs.Recurrent)
        {
            LumaTensor.Write(luma, run.Input(1, [1, 1, ph, pw]), pw, ph);
            state = new StateBinding { Stream = stream, Given = input.GivenState, Capture = input.CaptureState };
        }

        if (stream is not null)
        {
            stream.Remember(luma);
            stream.FramesDetected++;
            if (state is not null)
            {
                state.Predecessor = stream.ChainNext(out state.Done);
            }
        }

        return new Prepared(w, h, hasContext, state, input.DecodeUs, waitUs, StageClock.Micros(t0));
    }

    /// <summary>Steps 4 and 5: runs the model on prepared inputs and post-processes.</summary>
    private DetectionResult Finish(InferenceRun run, Prepared p)
    {
        int w = p.Width, h = p.Height, block = BlockSize;
        long t1, t2;
        using (InferenceTelemetry.StartStage("run", Model.Name))
        {
            t1 = Stopwatch.GetTimestamp();
            if (p.State is { } st)
            {
                RunRecurrent(run, st, h, w);
            }
            else
            {
                run.Run();
            }

            t2 = Stopwatch.GetTimestamp();
        }

        using var postSpan = InferenceTelemetry.StartStage("postprocess", Model.Name);

        float modelSeverity = run.Output(_severityIndex)[0];
        var probsShape = run.OutputShape(_probsIndex);
        if (probsShape.Length != 4 || probsShape[1] != 2)
        {
            throw new InvalidOperationException($"block_probs has shape [{string.Join(",", probsShape)}], expected [N,2,H/{block},W/{block}]");
        }

        int rows = (h + block - 1) / block, cols = (w + block - 1) / block;
        var post = _post.Apply(modelSeverity, run.Output(_probsIndex), (int)probsShape[2], (int)probsShape[3], rows, cols);
        var regions = RegionMerger.Merge(post.Mask, post.TransmissionMask, post.BlockProbabilities, w, h);
        long t3 = Stopwatch.GetTimestamp();

        RecurrentState? nextState = null;
        if (p.State is { Capture: true, Next: { } next })
        {
            var (stateRows, stateCols) = StateGrid(w, h);
            nextState = new RecurrentState(Model.Version, StateChannels, stateRows, stateCols, next);
        }

        return new DetectionResult
        {
            Width = w,
            Height = h,
            Severity = post.Severity,
            ModelSeverity = modelSeverity,
            Class = post.Class,
            Mask = post.Mask,
            CompressionMask = post.CompressionMask,
            TransmissionMask = post.TransmissionMask,
            Regions = regions,
            BlockProbabilities = post.BlockProbabilities,
            HasTemporalContext = p.HasContext,
            Timings = new StageTimings(p.DecodeUs, p.PreprocessUs, p.WaitUs + StageClock.Micros(t1, t2), StageClock.Micros(t2, t3)),
            Model = Model,
            StateUsed = p.State?.Given is not null,
            NextState = nextState,
        };
    }

    /// <summary>
    /// A recurrent run: waits until the stream's previous frame has stored its state (frames of one stream may have
    /// been prepared ahead), feeds that state (zeros without a stream or after a reset), runs, and stores the next
    /// state for the stream's next frame. The completion is signalled even when the run fails, so later frames of
    /// the stream do not wait forever.
    /// </summary>
    private void RunRecurrent(InferenceRun run, StateBinding st, int height, int width)
    {
        try
        {
            st.Predecessor.Wait();
            var (rows, cols) = StateGrid(width, height);
            var input = run.Input(2, [1, StateChannels, rows, cols]);
            if (st.Given is { } given)
            {
                given.AsSpan().CopyTo(input);
            }
            else if (st.Stream is null || !st.Stream.ReadState(input))
            {
                input.Clear();
            }

            run.Run();
            var next = run.Output(_stateIndex);
            if (next.Length != input.Length)
            {
                throw new InvalidOperationException($"next_state has {next.Length} values, the state input {input.Length}");
            }

            st.Stream?.StoreState(next);
            if (st.Capture)
            {
                st.Next = next.ToArray();
            }
        }
        finally
        {
            st.Done?.TrySetResult();
        }
    }

    /// <summary>Validates and decodes a frame to luma (span "decode").</summary>
    private DecodedFrame Decode(RawFrame frame)
    {
        using var span = InferenceTelemetry.StartStage("decode", Model.Name);
        return FrameDecoder.Decode(frame);
    }

    private static PlaneView DecodePrevious(RawFrame previous)
    {
        try
        {
            return FrameDecoder.Decode(previous).Luma;
        }
        catch (FrameFormatException ex)
        {
            throw new FrameFormatException($"previous frame: {ex.Message}", ex);
        }
    }

    private static int IndexOf(IReadOnlyList<string> names, string name, string model)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }

        throw new ModelLoadException($"{model}: detector output '{name}' missing (outputs: {string.Join(", ", names)})");
    }

    private static void CheckFeatures(OrtModelSession session)
    {
        string? definition = session.Manifest.Features?.Name is { } n ? $"{n}/{session.Manifest.Features.Version}" : null;
        if (definition != BlockFeatures.Definition || session.Manifest.Features!.Channels != BlockFeatures.Channels)
        {
            throw new ModelLoadException($"{session.Package.ModelPath}: the model takes features '{definition ?? "(unspecified)"}', this build computes '{BlockFeatures.Definition}' ({BlockFeatures.Channels} channels)");
        }
    }

    /// <summary>What the model takes: block features, luma and a recurrent state (2.x), block features (1.1.x) or luma
    /// planes (1.0.0, full graphs).</summary>
    private static DetectorInputs DetectorInputsOf(OrtModelSession session)
    {
        var names = session.InputNames;
        if (names is ["features"])
        {
            CheckFeatures(session);
            return DetectorInputs.Features;
        }

        if (names is ["luma", "prev_luma"])
        {
            return DetectorInputs.Planes;
        }

        if (names is ["features", "luma", "state"])
        {
            CheckFeatures(session);
            if (session.Manifest.Recurrent is not { Channels: > 0 })
            {
                throw new ModelLoadException($"{session.Package.ModelPath}: a recurrent detector's manifest must give recurrent.channels");
            }

            return DetectorInputs.Recurrent;
        }

        throw new ModelLoadException($"{session.Package.ModelPath}: a detector takes (features), (features, luma, state) or (luma, prev_luma), the manifest lists ({string.Join(", ", names)})");
    }

    private enum DetectorInputs
    {
        Planes,
        Features,
        Recurrent,
    }

    /// <summary>A read frame (step 1): its luma, the given previous frame, the stream, a caller-kept state.</summary>
    private readonly record struct Input(PlaneView Luma, PlaneView? Previous, DetectionStream? Stream, long DecodeUs)
    {
        public float[]? GivenState { get; init; }

        public bool CaptureState { get; init; }
    }

    /// <summary>A prepared frame (step 3): what the run and the post-processing need, with the stage times so far.</summary>
    internal readonly record struct Prepared(int Width, int Height, bool HasContext, StateBinding? State, long DecodeUs, long WaitUs, long PreprocessUs);

    /// <summary>Where a recurrent run's state comes from and goes to.</summary>
    internal sealed class StateBinding
    {
        public DetectionStream? Stream { get; init; }

        public Task Predecessor { get; set; } = Task.CompletedTask;

        public TaskCompletionSource? Done;

        public float[]? Given { get; init; }

        public bool Capture { get; init; }

        public float[]? Next { get; set; }
    }

    /// <summary>A frame whose model inputs are prepared and which holds a run slot until <see cref="Run"/> or dispose.</summary>
    public sealed class PendingDetection : IDisposable
    {
        private readonly DetectorPipeline _owner;
        private readonly InferenceRun _run;
        private readonly Prepared _prepared;
        private int _done;

        internal PendingDetection(DetectorPipeline owner, InferenceRun run, Prepared prepared)
        {
            _owner = owner;
            _run = run;
            _prepared = prepared;
        }

        /// <summary>Runs the model, post-processes and releases the run slot.</summary>
        public DetectionResult Run()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0)
            {
                throw new InvalidOperationException("this detection has already run or was disposed");
            }

            try
            {
                return _owner.Finish(_run, _prepared);
            }
            finally
            {
                _run.Dispose();
            }
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                _prepared.State?.Done?.TrySetResult();
                _run.Dispose();
            }
        }
    }
}
