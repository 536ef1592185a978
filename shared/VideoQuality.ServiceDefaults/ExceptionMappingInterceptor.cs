using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using VideoQuality.Media;

namespace VideoQuality.ServiceDefaults;

/// <summary>
/// Maps library exceptions to gRPC statuses in one place: <see cref="FrameFormatException"/> to
/// INVALID_ARGUMENT (with its message), cancellation of the call to CANCELLED / DEADLINE_EXCEEDED.
/// Anything else is left to gRPC (UNKNOWN, logged by the framework). Calls that end with INVALID_ARGUMENT from a bad frame
/// or with an <see cref="RpcException"/> are counted in the service's <see cref="ICallFailureMetrics"/> when it has one.
/// </summary>
internal sealed partial class ExceptionMappingInterceptor(ILogger<ExceptionMappingInterceptor> logger, ICallFailureMetrics? failures = null) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
        catch (RpcException ex)
        {
            failures?.Failed(ex.StatusCode);
            throw;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
        catch (RpcException ex)
        {
            failures?.Failed(ex.StatusCode);
            throw;
        }
    }

    private RpcException? Map(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case FrameFormatException ffe:
                Log.BadFrame(logger, context.Method, ffe.Message);
                failures?.Failed(StatusCode.InvalidArgument);
                return new RpcException(new Status(StatusCode.InvalidArgument, ffe.Message));
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(context.Deadline <= DateTime.UtcNow
                    ? new Status(StatusCode.DeadlineExceeded, "deadline exceeded")
                    : new Status(StatusCode.Cancelled, "call cancelled"));
            default:
                return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Rejected frame on {Method}: {Reason}")]
        public static partial void BadFrame(ILogger logger, string method, string reason);
    }
}
