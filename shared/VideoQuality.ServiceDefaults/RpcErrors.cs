using System.Diagnostics.CodeAnalysis;
using Grpc.Core;

namespace VideoQuality.ServiceDefaults;

/// <summary>Small helpers that throw gRPC errors with a status and a caller-facing message.</summary>
public static class RpcErrors
{
    /// <summary>INVALID_ARGUMENT.</summary>
    [DoesNotReturn]
    public static void InvalidArgument(string message) => throw new RpcException(new Status(StatusCode.InvalidArgument, message));

    /// <summary>UNAVAILABLE.</summary>
    [DoesNotReturn]
    public static void Unavailable(string message) => throw new RpcException(new Status(StatusCode.Unavailable, message));

    /// <summary>Message of the UNAVAILABLE status a stream ends with when the host stops (SIGTERM): the frames it had
    /// accepted were answered; the client reconnects elsewhere.</summary>
    public const string ShuttingDownMessage = "server shutting down";

    /// <summary>UNAVAILABLE "server shutting down".</summary>
    [DoesNotReturn]
    public static void ShuttingDown() => Unavailable(ShuttingDownMessage);
}
