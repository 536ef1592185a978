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
}
