using Grpc.Core;
using Grpc.Core.Interceptors;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// Authentication, authorization and per-client rate limiting of every gRPC call except the health service
/// (probes call it without credentials). Runs before the exception-mapping interceptor, so a refused call never
/// reaches a service. Refusals are gRPC statuses with a message: UNAUTHENTICATED, PERMISSION_DENIED,
/// RESOURCE_EXHAUSTED (a plain HTTP 429 from ASP.NET's rate-limiting middleware would reach gRPC clients as
/// UNAVAILABLE, which the enhancer retries, so the limit is enforced here instead).
/// </summary>
internal sealed class AccessInterceptor(ClientAuthenticator authenticator, ClientRateLimiter limiter) : Interceptor
{
    private const string HealthPrefix = "/grpc.health.v1.Health/";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!IsOpen(context))
        {
            limiter.Acquire(context, await authenticator.AuthorizeAsync(context).ConfigureAwait(false));
        }

        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var reader = IsOpen(context) ? requestStream : await GuardAsync(requestStream, context).ConfigureAwait(false);
        return await continuation(reader, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (!IsOpen(context))
        {
            limiter.Acquire(context, await authenticator.AuthorizeAsync(context).ConfigureAwait(false));
        }

        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var reader = IsOpen(context) ? requestStream : await GuardAsync(requestStream, context).ConfigureAwait(false);
        await continuation(reader, responseStream, context).ConfigureAwait(false);
    }

    private static bool IsOpen(ServerCallContext context) => context.Method.StartsWith(HealthPrefix, StringComparison.Ordinal);

    /// <summary>Authorizes a streaming call; its messages then draw one permit each.</summary>
    private async Task<IAsyncStreamReader<TRequest>> GuardAsync<TRequest>(IAsyncStreamReader<TRequest> requests, ServerCallContext context)
    {
        var identity = await authenticator.AuthorizeAsync(context).ConfigureAwait(false);
        return limiter.Enabled ? new RateLimitedReader<TRequest>(requests, limiter, context, identity) : requests;
    }

    private sealed class RateLimitedReader<T>(IAsyncStreamReader<T> inner, ClientRateLimiter limiter, ServerCallContext context, ClientIdentity? identity) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            limiter.Acquire(context, identity);
            return true;
        }
    }
}
