using Grpc.Core;
using Grpc.Net.Client;

namespace VideoQuality.Cli;

/// <summary>
/// Credentials of the CLI's remote calls, from the environment so they stay off the command line (and out of
/// process listings): <c>VQ_API_KEY</c> (sent as <c>x-api-key</c>) and/or <c>VQ_BEARER_TOKEN</c> (sent as
/// <c>authorization: Bearer</c>). Neither set: anonymous calls, as against `./vq serve`. docs/SECURITY.md.
/// </summary>
internal static class CliCredentials
{
    /// <summary>A channel to <paramref name="address"/> whose calls carry the configured credentials.</summary>
    public static GrpcChannel Channel(Uri address, GrpcChannelOptions options) =>
        Channel(address, options, Environment.GetEnvironmentVariable("VQ_API_KEY"), Environment.GetEnvironmentVariable("VQ_BEARER_TOKEN"));

    /// <summary>A channel to <paramref name="address"/> whose calls carry <paramref name="apiKey"/> and/or <paramref name="token"/>.</summary>
    public static GrpcChannel Channel(Uri address, GrpcChannelOptions options, string? apiKey, string? token)
    {
        if (!string.IsNullOrWhiteSpace(apiKey) || !string.IsNullOrWhiteSpace(token))
        {
            var credentials = CallCredentials.FromInterceptor((_, metadata) =>
            {
                if (!string.IsNullOrWhiteSpace(apiKey))
                {
                    metadata.Add("x-api-key", apiKey.Trim());
                }

                if (!string.IsNullOrWhiteSpace(token))
                {
                    metadata.Add("authorization", $"Bearer {token.Trim()}");
                }

                return Task.CompletedTask;
            });
            options.Credentials = ChannelCredentials.Create(address.Scheme == "https" ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials);
            options.UnsafeUseInsecureChannelCallCredentials = address.Scheme != "https";
        }

        return GrpcChannel.ForAddress(address, options);
    }
}
