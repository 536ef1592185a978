using Grpc.Core;
using Prometheus;
using VideoQuality.Detection;

namespace VideoQuality.Detector;

/// <summary>All Prometheus metrics of the Detector service (one class, one registry per host).</summary>
internal sealed class DetectorMetrics
{
    private readonly Counter _processed;
    private readonly Counter _failed;
    private readonly Counter _dropped;
    private readonly Histogram _stage;
    private readonly Histogram _severity;
    private readonly Gauge _activeStreams;
    private readonly Gauge _modelInfo;

    /// <summary>Creates the metrics in the host's registry.</summary>
    public DetectorMetrics(IMetricFactory factory)
    {
        _processed = factory.CreateCounter("vq_detector_frames_processed_total", "Frames detected.", ["rpc"]);
        _failed = factory.CreateCounter("vq_detector_frames_failed_total", "Frames or calls that failed, by gRPC status code.", ["code"]);
        _dropped = factory.CreateCounter("vq_detector_frames_dropped_total", "Frames dropped by live-mode streams under overload.");
        _stage = factory.CreateHistogram("vq_detector_stage_seconds", "Time per frame and stage.", ["stage"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00005, 2, 16) });
        _severity = factory.CreateHistogram("vq_detector_severity", "Frame severity.",
            new HistogramConfiguration { Buckets = Histogram.LinearBuckets(0.1, 0.1, 10) });
        _activeStreams = factory.CreateGauge("vq_detector_active_streams", "DetectStream calls in progress.");
        _modelInfo = factory.CreateGauge("vq_detector_model_info", "Loaded model (value 1).", ["name", "version", "execution_provider"]);
    }

    /// <summary>Records the loaded model.</summary>
    public void SetModel(DetectorModelInfo m) => _modelInfo.WithLabels(m.Name, m.Version, m.ExecutionProvider).Set(1);

    /// <summary>Records one processed frame.</summary>
    public void Processed(string rpc, DetectionResult r, long queueUs = 0)
    {
        _processed.WithLabels(rpc).Inc();
        _severity.Observe(r.Severity);
        _stage.WithLabels("decode").Observe(r.Timings.DecodeUs / 1e6);
        _stage.WithLabels("preprocess").Observe(r.Timings.PreprocessUs / 1e6);
        _stage.WithLabels("inference").Observe(r.Timings.InferenceUs / 1e6);
        _stage.WithLabels("postprocess").Observe(r.Timings.PostprocessUs / 1e6);
        if (rpc == "stream")
        {
            _stage.WithLabels("queue").Observe(queueUs / 1e6);
        }
    }

    /// <summary>Records a failure.</summary>
    public void Failed(StatusCode code) => _failed.WithLabels(code.ToString()).Inc();

    /// <summary>Records a dropped frame.</summary>
    public void Dropped() => _dropped.Inc();

    /// <summary>A stream call started.</summary>
    public void StreamStarted() => _activeStreams.Inc();

    /// <summary>A stream call ended.</summary>
    public void StreamEnded() => _activeStreams.Dec();
}
