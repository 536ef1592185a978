using Grpc.Core;
using Prometheus;
using VideoQuality.Repair;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Streams;

namespace VideoQuality.Enhancer;

/// <summary>All Prometheus metrics of the Enhancer service (one registry per host); docs/OPERATIONS.md lists them.</summary>
internal sealed class EnhancerMetrics : ICallFailureMetrics, IStreamQueueMetrics
{
    private readonly Counter _frames;
    private readonly Counter _blocks;
    private readonly Counter _detections;
    private readonly Counter _fallbacks;
    private readonly Counter _retries;
    private readonly Counter _hedges;
    private readonly Counter _budgetExceeded;
    private readonly Gauge _hedgeDelay;
    private readonly Counter _failed;
    private readonly Counter _dropped;
    private readonly Gauge _circuit;
    private readonly Gauge _activeStreams;
    private readonly Gauge _queued;
    private readonly Gauge _modelInfo;
    private readonly Histogram _stage;
    private readonly Histogram _request;

    public EnhancerMetrics(IMetricFactory factory)
    {
        _frames = factory.CreateCounter("vq_enhancer_frames_processed_total", "Frames answered, by rpc and whether anything was repaired.", ["rpc", "repaired"]);
        _blocks = factory.CreateCounter("vq_enhancer_repaired_blocks_total", "8x8 blocks repaired, by method (model, temporal).", ["method"]);
        _detections = factory.CreateCounter("vq_enhancer_detections_total", "Detections by source (remote; local_hedge: the detector was late and in-process detection answered first; local_fallback: the detector failed or its circuit is open; local: no detector configured).", ["source"]);
        _fallbacks = factory.CreateCounter("vq_enhancer_fallback_detections_total", "Detector calls that failed, and frames detected in-process while the circuit was open, by reason (circuit_open, circuit_open_slow: opened by sustained slowness, timeout, or the gRPC code).", ["reason"]);
        _retries = factory.CreateCounter("vq_enhancer_detector_retries_total", "Retried detector calls.");
        _hedges = factory.CreateCounter("vq_enhancer_detector_hedges_total", "Detections whose detector call was late (past the hedging delay), so in-process detection started beside it, by which answered first (remote, local).", ["winner"]);
        _budgetExceeded = factory.CreateCounter("vq_enhancer_detection_budget_exceeded_total", "Detections that took longer than the frame's detection budget, by what set the budget (interval, deadline, max).", ["basis"]);
        _hedgeDelay = factory.CreateGauge("vq_enhancer_detector_hedge_delay_seconds", "Hedging delay of the latest detection: how long the detector may take before in-process detection starts beside it.");
        _failed = factory.CreateCounter("vq_enhancer_frames_failed_total", "Frames or calls that failed, by gRPC status code.", ["code"]);
        _dropped = factory.CreateCounter("vq_enhancer_frames_dropped_total", "Frames dropped by live-mode streams under overload.");
        _circuit = factory.CreateGauge("vq_enhancer_detector_circuit_state", "Circuit in front of the detector: 0 closed (remote), 1 half-open, 2 open (local fallback).");
        _activeStreams = factory.CreateGauge("vq_enhancer_active_streams", "EnhanceStream calls in progress.");
        _queued = factory.CreateGauge("vq_enhancer_queued_frames", "Frames waiting in the EnhanceStream queues (all streams).");
        _modelInfo = factory.CreateGauge("vq_enhancer_model_info", "Loaded enhancer model (value 1), with its cost profile (fast, quality; empty for models without profiles).", ["name", "version", "execution_provider", "profile"]);
        _stage = factory.CreateHistogram("vq_enhancer_stage_seconds", "Time per frame and stage (detect, repair, encode).", ["stage"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _request = factory.CreateHistogram("vq_enhancer_request_seconds", "End-to-end time per frame in the service, by rpc.", ["rpc"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
    }

    public void SetModel(EnhancerModelInfo m) => _modelInfo.WithLabels(m.Name, m.Version, m.ExecutionProvider, m.Profile).Set(1);

    public void SetCircuit(CircuitState state) => _circuit.Set((int)state);

    public void DetectorRetry() => _retries.Inc();

    public void Hedged(string winner) => _hedges.WithLabels(winner).Inc();

    public void BudgetExceeded(string basis) => _budgetExceeded.WithLabels(basis).Inc();

    public void SetHedgeDelay(TimeSpan delay) => _hedgeDelay.Set(delay == Timeout.InfiniteTimeSpan ? double.PositiveInfinity : delay.TotalSeconds);

    public void Detected(string source) => _detections.WithLabels(source).Inc();

    public void Fallback(string reason) => _fallbacks.WithLabels(reason).Inc();

    public void Answered(string rpc, bool repaired, int modelBlocks, int temporalBlocks, long detectUs, long repairUs, long encodeUs, long totalUs)
    {
        _frames.WithLabels(rpc, repaired ? "true" : "false").Inc();
        _blocks.WithLabels("model").Inc(modelBlocks);
        _blocks.WithLabels("temporal").Inc(temporalBlocks);
        _stage.WithLabels("detect").Observe(detectUs / 1e6);
        _stage.WithLabels("repair").Observe(repairUs / 1e6);
        _stage.WithLabels("encode").Observe(encodeUs / 1e6);
        _request.WithLabels(rpc).Observe(totalUs / 1e6);
    }

    public void Failed(StatusCode code) => _failed.WithLabels(code.ToString()).Inc();

    public void Dropped() => _dropped.Inc();

    public void Queued(int delta) => _queued.Inc(delta);

    public void StreamStarted() => _activeStreams.Inc();

    public void StreamEnded() => _activeStreams.Dec();
}
