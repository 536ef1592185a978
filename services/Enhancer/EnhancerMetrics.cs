using Grpc.Core;
using Prometheus;

namespace VideoQuality.Enhancer;

/// <summary>All Prometheus metrics of the Enhancer service (one registry per host).</summary>
internal sealed class EnhancerMetrics
{
    private readonly Counter _frames;
    private readonly Counter _blocks;
    private readonly Counter _detections;
    private readonly Counter _retries;
    private readonly Counter _failed;
    private readonly Counter _dropped;
    private readonly Gauge _circuit;
    private readonly Gauge _activeStreams;
    private readonly Gauge _modelInfo;
    private readonly Histogram _stage;

    public EnhancerMetrics(IMetricFactory factory)
    {
        _frames = factory.CreateCounter("vq_enhancer_frames_total", "Frames answered, by rpc and whether anything was repaired.", ["rpc", "repaired"]);
        _blocks = factory.CreateCounter("vq_enhancer_repaired_blocks_total", "8x8 blocks repaired, by method (model, temporal).", ["method"]);
        _detections = factory.CreateCounter("vq_enhancer_detections_total", "Detections by source (remote, local_fallback).", ["source"]);
        _retries = factory.CreateCounter("vq_enhancer_detector_retries_total", "Retried detector calls.");
        _failed = factory.CreateCounter("vq_enhancer_failed_total", "Calls that failed, by gRPC status code.", ["code"]);
        _dropped = factory.CreateCounter("vq_enhancer_frames_dropped_total", "Frames dropped by live-mode streams under overload.");
        _circuit = factory.CreateGauge("vq_enhancer_detector_circuit_state", "Circuit in front of the detector: 0 closed (remote), 1 half-open, 2 open (local fallback).");
        _activeStreams = factory.CreateGauge("vq_enhancer_active_streams", "EnhanceStream calls in progress.");
        _modelInfo = factory.CreateGauge("vq_enhancer_model_info", "Loaded enhancer model (value 1).", ["name", "version", "execution_provider"]);
        _stage = factory.CreateHistogram("vq_enhancer_stage_seconds", "Time per frame and stage (detect, repair, encode, total).", ["stage"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
    }

    public void SetModel(string name, string version, string provider) => _modelInfo.WithLabels(name, version, provider).Set(1);

    public void SetCircuit(CircuitState state) => _circuit.Set((int)state);

    public void DetectorRetry() => _retries.Inc();

    public void Detected(bool remote) => _detections.WithLabels(remote ? "remote" : "local_fallback").Inc();

    public void Answered(string rpc, bool repaired, int modelBlocks, int temporalBlocks, long detectUs, long repairUs, long encodeUs, long totalUs)
    {
        _frames.WithLabels(rpc, repaired ? "true" : "false").Inc();
        _blocks.WithLabels("model").Inc(modelBlocks);
        _blocks.WithLabels("temporal").Inc(temporalBlocks);
        _stage.WithLabels("detect").Observe(detectUs / 1e6);
        _stage.WithLabels("repair").Observe(repairUs / 1e6);
        _stage.WithLabels("encode").Observe(encodeUs / 1e6);
        _stage.WithLabels("total").Observe(totalUs / 1e6);
    }

    public void Failed(StatusCode code) => _failed.WithLabels(code.ToString()).Inc();

    public void Dropped() => _dropped.Inc();

    public void StreamStarted() => _activeStreams.Inc();

    public void StreamEnded() => _activeStreams.Dec();
}
