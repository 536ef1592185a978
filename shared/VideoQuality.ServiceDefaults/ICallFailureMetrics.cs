using Grpc.Core;

namespace VideoQuality.ServiceDefaults;

/// <summary>
/// A service's counter of failed calls by gRPC status code. When one is registered, <see cref="ExceptionMappingInterceptor"/>
/// records every call that ends with a bad frame (INVALID_ARGUMENT) or an <see cref="RpcException"/>, unary and streaming
/// alike, so the services' handlers do not each catch and count.
/// </summary>
public interface ICallFailureMetrics
{
    /// <summary>Counts one failed call or stream with its status code.</summary>
    void Failed(StatusCode code);
}
