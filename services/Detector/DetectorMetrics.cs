using Grpc.Core;
using Prometheus;
using VideoQuality.Alarms;
using VideoQuality.Detection;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Streams;

namespace VideoQuality.Detector;

/// <summary>
/// All Prometheus metrics of the Detector service (one class, one registry per host); docs/OPERATIONS.md lists them.
/// Per-stream series (<c>stream</c> label) go through the <see cref="StreamLabels"/> cardinality guard.
/// </summary>
internal sealed class DetectorMetrics : IAlarmMetrics, ICallFailureMetrics, IStreamQueueMetrics
{
    /// <summary>Severity bucket bounds, written out so that <c>le="0.7"</c> is exactly the SLO bound.</summary>
    private static readonly double[] SeverityBuckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    private readonly StreamLabels _streams;
    private readonly Counter _processed;
    private readonly Counter _failed;
    private readonly Counter _dropped;
    private readonly Histogram _stage;
    private readonly Histogram _request;
    private readonly Histogram _severity;
    private readonly Counter _flaggedFrames;
    private readonly Counter _flaggedBlocks;
    private readonly Gauge _activeStreams;
    private readonly Gauge _queued;
    private readonly Gauge _modelInfo;
    private readonly Counter _alarmsRaised;
    private readonly Gauge _activeAlarms;
    private readonly Gauge _outboxDepth;
    private readonly Counter _outboxOverflow;
    private readonly Gauge _mqttConnected;
    private readonly Counter _mqttPublished;
    private string _model = "unknown";

    /// <summary>Creates the metrics in the host's registry.</summary>
    public DetectorMetrics(IMetricFactory factory, StreamLabels streams)
    {
        _streams = streams;
        _processed = factory.CreateCounter("vq_detector_frames_processed_total", "Frames detected, by rpc (unary, stream).", ["rpc"]);
        _failed = factory.CreateCounter("vq_detector_frames_failed_total", "Frames or calls that failed, by gRPC status code.", ["code"]);
        _dropped = factory.CreateCounter("vq_detector_frames_dropped_total", "Frames dropped by live-mode streams under overload.");
        _stage = factory.CreateHistogram("vq_detector_stage_seconds", "Time per frame, by model and stage (decode, preprocess, run, postprocess; queue for streams).", ["model", "stage"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00005, 2, 16) });
        _request = factory.CreateHistogram("vq_detector_request_seconds", "End-to-end time per frame in the service (unary: the call; stream: frame read to response written), by rpc.", ["rpc"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        _severity = factory.CreateHistogram("vq_detector_severity", "Frame severity, by stream (cardinality-guarded).", ["stream"],
            new HistogramConfiguration { Buckets = SeverityBuckets });
        _flaggedFrames = factory.CreateCounter("vq_detector_flagged_frames_total", "Frames at or above the model's severity threshold, by class (compression, transmission).", ["class"]);
        _flaggedBlocks = factory.CreateCounter("vq_detector_flagged_blocks_total", "8x8 blocks flagged, by class (compression, transmission).", ["class"]);
        _activeStreams = factory.CreateGauge("vq_detector_active_streams", "DetectStream calls in progress.");
        _queued = factory.CreateGauge("vq_detector_queued_frames", "Frames waiting in the DetectStream queues (all streams).");
        _modelInfo = factory.CreateGauge("vq_detector_model_info", "Loaded model (value 1).", ["name", "version", "execution_provider"]);
        _alarmsRaised = factory.CreateCounter("vq_detector_alarms_raised_total", "Macroblocking alarms raised, by stream (cardinality-guarded) and class.", ["stream", "class"]);
        _activeAlarms = factory.CreateGauge("vq_detector_active_alarms", "Streams whose alarm is raised now.");
        _outboxDepth = factory.CreateGauge("vq_detector_alarm_outbox_depth", "Alarm events waiting to be published to MQTT.");
        _outboxOverflow = factory.CreateCounter("vq_detector_alarm_outbox_overflow_total", "Alarm events dropped because the outbox was full (broker unreachable too long).");
        _mqttConnected = factory.CreateGauge("vq_detector_mqtt_connected", "1 while the alarm publisher is connected to the MQTT broker.");
        _mqttPublished = factory.CreateCounter("vq_detector_mqtt_published_total", "MQTT messages published, by kind (alarm, telemetry).", ["kind"]);
    }

    /// <summary>Records the loaded model.</summary>
    public void SetModel(DetectorModelInfo m)
    {
        _model = m.Name;
        _modelInfo.WithLabels(m.Name, m.Version, m.ExecutionProvider).Set(1);
    }

    /// <summary>Records one processed frame and its end-to-end time in the service.</summary>
    public void Processed(string rpc, string streamId, DetectionResult r, double requestSeconds, long queueUs = 0)
    {
        _processed.WithLabels(rpc).Inc();
        _request.WithLabels(rpc).Observe(requestSeconds);
        _severity.WithLabels(_streams.For(streamId)).Observe(r.Severity);
        _stage.WithLabels(_model, "decode").Observe(r.Timings.DecodeUs / 1e6);
        _stage.WithLabels(_model, "preprocess").Observe(r.Timings.PreprocessUs / 1e6);
        _stage.WithLabels(_model, "run").Observe(r.Timings.InferenceUs / 1e6);
        _stage.WithLabels(_model, "postprocess").Observe(r.Timings.PostprocessUs / 1e6);
        if (rpc == "stream")
        {
            _stage.WithLabels(_model, "queue").Observe(queueUs / 1e6);
        }

        if (r.Class != FrameClass.Clean)
        {
            _flaggedFrames.WithLabels(r.Class.ToVqbenchName()).Inc();
        }

        _flaggedBlocks.WithLabels("compression").Inc(r.CompressionMask.Flagged);
        _flaggedBlocks.WithLabels("transmission").Inc(r.TransmissionMask.Flagged);
    }

    /// <summary>Records a failure.</summary>
    public void Failed(StatusCode code) => _failed.WithLabels(code.ToString()).Inc();

    /// <summary>Records a dropped frame.</summary>
    public void Dropped() => _dropped.Inc();

    /// <summary>A frame entered (+1) or left (-1) a stream queue.</summary>
    public void Queued(int delta) => _queued.Inc(delta);

    /// <summary>A stream call started.</summary>
    public void StreamStarted() => _activeStreams.Inc();

    /// <summary>A stream call ended.</summary>
    public void StreamEnded() => _activeStreams.Dec();

    /// <inheritdoc />
    public void AlarmRaised(string streamId, string damageClass)
    {
        _alarmsRaised.WithLabels(_streams.For(streamId), damageClass).Inc();
        _activeAlarms.Inc();
    }

    /// <inheritdoc />
    public void AlarmCleared(string streamId) => _activeAlarms.Dec();

    /// <inheritdoc />
    public void OutboxDepth(int depth) => _outboxDepth.Set(depth);

    /// <inheritdoc />
    public void OutboxOverflow() => _outboxOverflow.Inc();

    /// <inheritdoc />
    public void BrokerConnected(bool connected) => _mqttConnected.Set(connected ? 1 : 0);

    /// <inheritdoc />
    public void Published(string kind) => _mqttPublished.WithLabels(kind).Inc();
}
