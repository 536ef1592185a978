using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace VideoQuality.ServiceDefaults;

/// <summary>Endpoint metadata: the endpoint answers only requests that arrived on this local (listening) port.</summary>
internal sealed record LocalPortMetadata(int Port);

/// <summary>
/// Pins endpoints to the port they are served on by the socket's local port (<see cref="ConnectionInfo.LocalPort"/>),
/// not by the request's authority as <c>RequireHost("*:port")</c> does: behind a proxy, a port-forward or a
/// Kubernetes Service whose port differs from the container port, the authority names the client's view of the
/// address, and host matching would answer every call with 404 / UNIMPLEMENTED.
/// </summary>
internal sealed class LocalPortMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    /// <summary>Runs with the host policy's order (after HTTP method matching).</summary>
    public override int Order => -100;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<LocalPortMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var port = httpContext.Connection.LocalPort;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i)
                && candidates[i].Endpoint.Metadata.GetMetadata<LocalPortMetadata>() is { } pinned
                && pinned.Port != port)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>Extensions that pin endpoints to a local port (<see cref="LocalPortMatcherPolicy"/>).</summary>
internal static class LocalPortRouting
{
    /// <summary>Serves the endpoints only on connections accepted on <paramref name="port"/>.</summary>
    public static TBuilder RequireLocalPort<TBuilder>(this TBuilder builder, int port) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(b => b.Metadata.Add(new LocalPortMetadata(port)));
        return builder;
    }
}
