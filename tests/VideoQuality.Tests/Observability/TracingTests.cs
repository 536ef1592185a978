using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using VideoQuality.Contracts.V1;
using VideoQuality.Detector;
using VideoQuality.Inference;
using VideoQuality.Tests.Support;
using Xunit.Abstractions;

namespace VideoQuality.Tests.Observability;

/// <summary>
/// Traces across enhancer -> detector over real loopback sockets, captured by an in-process ActivityListener: one trace
/// id from the caller through the enhancer's server span, its client call, the detector's server span (W3C traceparent
/// over the wire) and the inference stage spans.
/// </summary>
public sealed class TracingTests(ITestOutputHelper output)
{
    private const string TestSourceName = "VideoQuality.Tests.Tracing";
    private static readonly ActivitySource TestSource = new(TestSourceName);

    [Fact]
    public async Task One_trace_spans_the_enhancer_the_detector_and_the_inference_stages()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Microsoft.AspNetCore" or "System.Net.Http" or "Grpc.Net.Client" or InferenceTelemetry.SourceName
                || s.Name == TestSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var detector = await DetectorServer.StartAsync();
        await using var enhancer = await EnhancerServer.StartAsync($"http://127.0.0.1:{detector.GrpcPort}");
        ActivityTraceId traceId;
        using (var root = TestSource.StartActivity("caller", ActivityKind.Internal))
        {
            Assert.NotNull(root);
            traceId = root.TraceId;
            var frame = new Frame
            {
                Format = PixelFormat.I420, Width = 160, Height = 96, StreamId = "cam-1",
                Data = Google.Protobuf.ByteString.CopyFrom(Frames.I420(160, 96)),
            };
            var response = await enhancer.Client.EnhanceAsync(new EnhanceRequest { Frame = frame }, deadline: DateTime.UtcNow.AddSeconds(60));
            Assert.Equal(DetectionSource.Remote, response.DetectionSource);
        }

        // Server spans stop just after the response is sent: wait for both.
        List<Activity> trace = [];
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            trace = spans.Where(a => a.TraceId == traceId).ToList();
            if (trace.Count(a => a.Kind == ActivityKind.Server) >= 2 && trace.Any(a => a.OperationName == "repair"))
            {
                break;
            }

            await Task.Delay(50);
        }

        output.WriteLine(Tree(trace));
        var byId = trace.ToDictionary(a => a.SpanId);
        var enhancerServer = Assert.Single(trace, a => a.Kind == ActivityKind.Server && Method(a).Contains("Enhancer/Enhance", StringComparison.Ordinal));
        var detectorServer = Assert.Single(trace, a => a.Kind == ActivityKind.Server && Method(a).Contains("Detector/Detect", StringComparison.Ordinal));

        // The detector's server span is the child of a client span inside the enhancer's server span.
        Assert.True(byId.TryGetValue(detectorServer.ParentSpanId, out var client), "the detector server span's parent is not in the trace");
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.True(Descends(client, enhancerServer, byId), "the client span is not under the enhancer server span");

        // Inference stages under the detector's server span; repair under the enhancer's.
        foreach (var stage in new[] { "decode", "preprocess", "run", "postprocess" })
        {
            var span = Assert.Single(trace, a => a.Source.Name == InferenceTelemetry.SourceName && a.OperationName == stage);
            Assert.True(Descends(span, detectorServer, byId), $"{stage} is not under the detector server span");
            Assert.NotNull(span.GetTagItem("vq.model"));
        }

        var repair = Assert.Single(trace, a => a.OperationName == "repair");
        Assert.True(Descends(repair, enhancerServer, byId), "repair is not under the enhancer server span");
    }

    [Fact]
    public void No_tracer_provider_is_registered_without_an_otlp_endpoint()
    {
        Assert.False(ServiceDefaults.Extensions.TracingEnabled(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()));
        var (grpc, http) = DetectorServer.FreePorts();
        string[] ports = [$"--Ports:Grpc={grpc}", $"--Ports:Http={http}", "--Ports:Address=127.0.0.1"];
        using (var off = DetectorHost.Build(ports))
        {
            Assert.Null(off.Services.GetService<TracerProvider>());
        }

        using var on = DetectorHost.Build([.. ports, "--OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317"]);
        Assert.NotNull(on.Services.GetService<TracerProvider>());
    }

    private static string Method(Activity a) =>
        (a.GetTagItem("grpc.method") as string) ?? (a.GetTagItem("url.path") as string) ?? a.DisplayName;

    private static bool Descends(Activity span, Activity ancestor, Dictionary<ActivitySpanId, Activity> byId)
    {
        for (var a = span; a is not null; a = byId.GetValueOrDefault(a.ParentSpanId))
        {
            if (a.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The spans as an indented tree (what docs/OPERATIONS.md shows).</summary>
    internal static string Tree(List<Activity> trace)
    {
        var sb = new StringBuilder($"trace {trace.FirstOrDefault()?.TraceId}\n");
        var ids = trace.Select(a => a.SpanId).ToHashSet();
        void Print(Activity a, int depth)
        {
            sb.Append(' ', depth * 2).Append($"{a.Kind,-8} {a.Source.Name,-24} {Method(a),-45} {a.Duration.TotalMilliseconds,8:0.000} ms\n");
            foreach (var child in trace.Where(c => c.ParentSpanId == a.SpanId).OrderBy(c => c.StartTimeUtc))
            {
                Print(child, depth + 1);
            }
        }

        foreach (var root in trace.Where(a => !ids.Contains(a.ParentSpanId)).OrderBy(a => a.StartTimeUtc))
        {
            Print(root, 0);
        }

        return sb.ToString();
    }
}

/// <summary>Which requests get a server span when traces are exported.</summary>
public sealed class TracedRequestTests
{
    [Theory]
    [InlineData(50051, "/videoquality.v1.Detector/Detect", true)]
    [InlineData(8081, "/v1/detect", true)]
    [InlineData(8081, "/v1/enhance", true)]
    [InlineData(8081, "/metrics", false)]
    [InlineData(8081, "/readyz", false)]
    [InlineData(8081, "/swagger/v1/swagger.json", false)]
    [InlineData(9999, "/v1/detect", false)]
    public void Grpc_calls_and_rest_calls_are_traced_probes_and_scrapes_are_not(int localPort, string path, bool traced)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Connection.LocalPort = localPort;
        context.Request.Path = path;
        Assert.Equal(traced, VideoQuality.ServiceDefaults.Extensions.IsTraced(context, new VideoQuality.ServiceDefaults.PortsOptions { Grpc = 50051, Http = 8081 }));
    }
}
