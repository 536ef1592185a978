using System.Reflection;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi.Models;

namespace VideoQuality.ServiceDefaults;

/// <summary>
/// REST/JSON on the HTTP port: gRPC JSON transcoding of the methods the protos annotate with <c>google.api.http</c>
/// (e.g. <c>POST /v1/detect</c>), the OpenAPI document at <c>/swagger/v1/swagger.json</c> and Swagger UI at
/// <c>/swagger</c>. A transcoded call runs through the same gRPC interceptors as a gRPC call (authentication, rate
/// limits, exception mapping), so it is refused, limited and failed the same way; its gRPC status becomes the HTTP
/// status (INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, RESOURCE_EXHAUSTED 429,
/// UNAVAILABLE 503) with a JSON body <c>{"code", "message", "details"}</c> carrying the same message.
/// The HTTP port is cleartext (TLS is served on the gRPC port only): send API keys or tokens to it over a trusted
/// network or through a TLS-terminating proxy; with mutual TLS required, every REST call is UNAUTHENTICATED.
/// </summary>
internal static class RestApi
{
    /// <summary>Name (and version) of the one OpenAPI document.</summary>
    public const string DocumentName = "v1";

    /// <summary>Path of the OpenAPI document.</summary>
    public const string DocumentPath = $"/swagger/{DocumentName}/swagger.json";

    /// <summary>Registers transcoding and the OpenAPI generator; <paramref name="contracts"/>' XML documentation
    /// (the proto comments, generated beside the assembly) describes the operations and messages.</summary>
    public static void AddRestApi(this IGrpcServerBuilder grpc, string serviceName, Assembly contracts)
    {
        grpc.AddJsonTranscoding();
        var services = grpc.Services;
        services.AddGrpcSwagger();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = serviceName,
                Version = DocumentName,
                Description = "REST/JSON transcoding of the gRPC contract (protos/videoquality/v1): bytes fields are base64, " +
                              "field names lowerCamelCase, enums by name. Errors: HTTP status of the gRPC status, body {code, message, details}.",
            });
            var docs = Path.ChangeExtension(contracts.Location, ".xml");
            if (File.Exists(docs))
            {
                o.IncludeXmlComments(docs);
                o.IncludeGrpcXmlComments(docs, includeControllerXmlComments: true);
            }
        });
    }

    /// <summary>Room for the JSON around a request's base64 bytes (field names, sizes, ids).</summary>
    private const long JsonOverheadBytes = 64 * 1024;

    /// <summary>Pins an endpoint of a mapped gRPC service to its port: the gRPC method to the gRPC port, its transcoded
    /// REST route to the HTTP port, where the request body may be as large as the gRPC receive limit's message in JSON
    /// (base64 is 4/3 of the bytes; Kestrel's default of 30 MB would refuse frames that gRPC accepts).</summary>
    public static void PinToPort(EndpointBuilder endpoint, PortsOptions ports, GrpcLimitsOptions limits)
    {
        if (endpoint.Metadata.OfType<GrpcJsonTranscodingMetadata>().Any())
        {
            endpoint.Metadata.Add(new LocalPortMetadata(ports.Http));
            endpoint.Metadata.Add(new BodySizeLimit((limits.MaxReceiveMessageBytes + 2L) / 3 * 4 + JsonOverheadBytes));
        }
        else
        {
            endpoint.Metadata.Add(new LocalPortMetadata(ports.Grpc));
        }
    }

    /// <summary>Serves the OpenAPI document and Swagger UI on <paramref name="httpPort"/> only.</summary>
    public static void MapRestApi(this WebApplication app, int httpPort)
    {
        app.MapSwagger().RequireLocalPort(httpPort);
        app.UseWhen(c => c.Connection.LocalPort == httpPort, b => b.UseSwaggerUI(o => o.SwaggerEndpoint(DocumentPath, DocumentName)));
    }

    /// <summary>Request body limit of an endpoint (applied by endpoint routing).</summary>
    private sealed record BodySizeLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
}
