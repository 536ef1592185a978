using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using VideoQuality.Contracts.V1;
using VideoQuality.Tests.Security;
using VideoQuality.Tests.Support;

namespace VideoQuality.Tests.Service;

/// <summary>REST/JSON requests over real HTTP/1.1, as curl or a web tool sends them.</summary>
internal static class Rest
{
    /// <summary>A JSON body for POST /v1/detect or /v1/enhance: the request message as the transcoder reads it.</summary>
    public static JsonContent Body(IMessage request) =>
        JsonContent.Create(JsonNode.Parse(JsonFormatter.Default.Format(request)));

    /// <summary>A raw GRAY8 frame in the JSON shape README's curl example sends.</summary>
    public static JsonObject Gray8Json(int width, int height, byte[] pixels) => new()
    {
        ["frame"] = new JsonObject
        {
            ["format"] = "PIXEL_FORMAT_GRAY8",
            ["width"] = width,
            ["height"] = height,
            ["data"] = Convert.ToBase64String(pixels),
        },
    };

    public static async Task<T> ParseAsync<T>(HttpResponseMessage response) where T : IMessage<T>, new()
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"HTTP {(int)response.StatusCode}: {body}");
        return JsonParser.Default.Parse<T>(body);
    }

    /// <summary>The error body of a refused call: <c>{"code": grpc status, "message": ..., "details": []}</c>.</summary>
    public static async Task<(StatusCode Code, string Message)> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((StatusCode)json.RootElement.GetProperty("code").GetInt32(), json.RootElement.GetProperty("message").GetString()!);
    }
}

[Collection("detector server")]
public class DetectorRestTests(DetectorServerFixture fixture)
{
    private DetectorServer Server => fixture.Server;

    [Fact]
    public async Task Post_v1_detect_answers_in_json_what_grpc_answers()
    {
        var request = new DetectRequest { Frame = UnaryTests.I420Frame(64, 48, seed: 5, seq: 9, stream: "rest"), PreviousFrame = UnaryTests.I420Frame(64, 48, seed: 4) };
        using var response = await Server.Http.PostAsync("/v1/detect", Rest.Body(request));
        var rest = await Rest.ParseAsync<DetectResponse>(response);
        var grpc = await Server.Client.DetectAsync(request);

        Assert.Equal(("rest", 9UL), (rest.StreamId, rest.Sequence));
        Assert.Equal(grpc.Severity, rest.Severity);
        Assert.Equal(grpc.DamageClass, rest.DamageClass);
        Assert.Equal(grpc.Mask, rest.Mask);
        Assert.Equal(grpc.Regions, rest.Regions);
        Assert.Equal(grpc.Model, rest.Model);
        Assert.True(rest.HasTemporalContext);
    }

    [Fact]
    public async Task A_gray8_frame_in_readme_json_shape_is_detected()
    {
        using var response = await Server.Http.PostAsJsonAsync("/v1/detect", Rest.Gray8Json(64, 48, Frames.BlockyLuma(64, 48)));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("DAMAGE_CLASS_", (string)json["damageClass"]!);
        Assert.Equal("CPU", (string)json["model"]!["executionProvider"]!);
        Assert.Equal(64, (int)json["width"]!);
    }

    [Fact]
    public async Task A_bad_frame_is_http_400_with_the_grpc_invalid_argument_message()
    {
        var bad = new DetectRequest { Frame = new Frame { Format = PixelFormat.Gray8, Width = 64, Height = 47, Data = ByteString.CopyFrom(new byte[64 * 48]) } };
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await Server.Client.DetectAsync(bad));
        Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);

        using var response = await Server.Http.PostAsync("/v1/detect", Rest.Body(bad));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((StatusCode.InvalidArgument, grpc.Status.Detail), await Rest.ErrorAsync(response));
    }

    /// <summary>The JSON body may be as large as a gRPC message at Grpc:MaxReceiveMessageBytes (8 MiB here) in base64, not
    /// Kestrel's 30 MB default: a 9 MiB frame (12 MiB of base64) is refused here, so an 8K frame fits the product's 64 MiB.</summary>
    [Fact]
    public async Task The_rest_body_limit_follows_the_grpc_receive_limit()
    {
        using var response = await Server.Http.PostAsJsonAsync("/v1/detect", Rest.Gray8Json(3072, 3072, new byte[3072 * 3072]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Request body too large", (await Rest.ErrorAsync(response)).Message);
    }

    [Fact]
    public async Task The_openapi_document_describes_v1_detect_with_the_proto_comments_and_swagger_ui_is_served()
    {
        var doc = JsonNode.Parse(await Server.Http.GetStringAsync("/swagger/v1/swagger.json"))!;
        var detect = doc["paths"]!["/v1/detect"]!["post"]!;
        Assert.StartsWith("Detects one frame.", (string)detect["summary"]!);
        var schema = doc["components"]!["schemas"]!["DetectRequest"]!;
        Assert.Equal("Request of Detector.Detect.", (string)schema["description"]!);
        Assert.StartsWith("Return this frame's state", (string)schema["properties"]!["returnState"]!["description"]!);

        using var ui = await Server.Http.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Contains("swagger-ui", await ui.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rest_is_served_on_the_http_port_and_not_on_the_grpc_port()
    {
        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await h2c.PostAsync($"http://127.0.0.1:{Server.GrpcPort}/v1/detect", Rest.Body(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) }));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

public class EnhancerRestTests
{
    [Fact]
    public async Task Post_v1_enhance_answers_in_json_what_grpc_answers()
    {
        await using var enhancer = await EnhancerServer.StartAsync(detectorAddress: null);
        var request = new EnhanceRequest
        {
            Frame = new Frame { Format = PixelFormat.I420, Width = 64, Height = 48, Data = ByteString.CopyFrom(Frames.I420(64, 48, seed: 2)), Sequence = 3 },
            OutputFormat = PixelFormat.Gray8,
        };
        using var response = await enhancer.Http.PostAsync("/v1/enhance", Rest.Body(request));
        var rest = await Rest.ParseAsync<EnhanceResponse>(response);
        var grpc = await enhancer.Client.EnhanceAsync(request);

        Assert.Equal(PixelFormat.Gray8, rest.Frame.Format);
        Assert.Equal(3UL, rest.Frame.Sequence);
        Assert.Equal(grpc.Frame.Data, rest.Frame.Data);
        Assert.Equal(grpc.DetectionSource, rest.DetectionSource);
        Assert.Equal(grpc.Detection.Mask, rest.Detection.Mask);

        var doc = JsonNode.Parse(await enhancer.Http.GetStringAsync("/swagger/v1/swagger.json"))!;
        Assert.NotNull(doc["paths"]!["/v1/enhance"]!["post"]);
    }
}

/// <summary>The security options apply to REST calls as to gRPC calls.</summary>
public class RestAuthTests(SecuredDetectorFixture fixture) : IClassFixture<SecuredDetectorFixture>
{
    private DetectorServer Server => fixture.Server;

    private static HttpRequestMessage Detect(string? header = null, string? value = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = Rest.Body(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) }) };
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        return request;
    }

    [Fact]
    public async Task A_rest_call_without_an_api_key_is_401_and_with_one_it_passes()
    {
        using var anonymous = await Server.Http.SendAsync(Detect());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var (code, message) = await Rest.ErrorAsync(anonymous);
        Assert.Equal(StatusCode.Unauthenticated, code);
        Assert.Contains("credentials required", message);

        using var wrong = await Server.Http.SendAsync(Detect("x-api-key", TestCredentials.OpsKey + "x"));
        Assert.Equal((HttpStatusCode.Unauthorized, (StatusCode.Unauthenticated, "invalid API key")), (wrong.StatusCode, await Rest.ErrorAsync(wrong)));

        using var ok = await Server.Http.SendAsync(Detect("x-api-key", TestCredentials.OpsKey));
        Assert.Equal("CPU", (await Rest.ParseAsync<DetectResponse>(ok)).Model.ExecutionProvider);
    }

    [Fact]
    public async Task A_rest_call_with_a_bearer_token_passes()
    {
        using var ok = await Server.Http.SendAsync(Detect("authorization", $"Bearer {TestCredentials.Token()}"));
        Assert.Equal("CPU", (await Rest.ParseAsync<DetectResponse>(ok)).Model.ExecutionProvider);
    }
}

public class RestRateLimitTests
{
    [Fact]
    public async Task Rest_calls_over_the_rate_limit_are_http_429_with_the_grpc_message()
    {
        await using var detector = await DetectorServer.StartAsync(["--RateLimit:PermitsPerSecond=1", "--RateLimit:Burst=2"]);
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            detector.Http.PostAsync("/v1/detect", Rest.Body(new DetectRequest { Frame = UnaryTests.I420Frame(64, 48) }))));

        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.OK).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
        var (code, message) = await Rest.ErrorAsync(refused[0]);
        Assert.Equal(StatusCode.ResourceExhausted, code);
        Assert.StartsWith("rate limit exceeded", message);
        Assert.InRange(responses.Count(r => r.StatusCode == HttpStatusCode.OK), 2, 5);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }
}
