using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace VideoQuality.ServiceDefaults;

/// <summary>
/// Runs a service host as its Program.cs does. A port that is already in use ends the process with one line on
/// stderr naming the setting and the port (<c>Ports:Grpc 50051 is already in use</c>) and exit code
/// <see cref="PortInUseExitCode"/>, instead of an unhandled exception's stack trace (exit 134). The ports are tried
/// with Kestrel's own bind before the host starts, because a bind failure inside the host's start is logged with its
/// stack trace by the host before it reaches the caller; one taken in between still ends with the one line (after
/// that log).
/// </summary>
public static class ServiceRunner
{
    /// <summary>Exit code of a host that could not bind one of its ports.</summary>
    public const int PortInUseExitCode = 2;

    /// <summary>Runs <paramref name="app"/> until it stops and returns <paramref name="exitCode"/>'s value then, or
    /// <see cref="PortInUseExitCode"/> after writing the one-line reason to stderr when a port could not be bound.</summary>
    public static async Task<int> RunServiceAsync(this WebApplication app, Func<int> exitCode)
    {
        // Invalid ports are left to the host's start, which reports every invalid option at once.
        var ports = ValidPorts(app.Services);
        var busy = ports is null ? null : FirstPortInUse(ports);
        if (busy is null)
        {
            try
            {
                await app.RunAsync().ConfigureAwait(false);
                return exitCode();
            }
            catch (IOException ex) when (ex.InnerException is AddressInUseException && ports is not null && FirstPortInUse(ports) is { } taken)
            {
                busy = taken;
            }
        }

        await Console.Error.WriteLineAsync(PortInUse(busy.Value.Setting, busy.Value.Port, ports!.Address)).ConfigureAwait(false);
        return PortInUseExitCode;
    }

    private static PortsOptions? ValidPorts(IServiceProvider services)
    {
        try
        {
            return services.GetRequiredService<IOptions<PortsOptions>>().Value;
        }
        catch (OptionsValidationException)
        {
            return null;
        }
    }

    /// <summary>The one line printed for a port in use.</summary>
    internal static string PortInUse(string setting, int port, string address) =>
        $"{setting} {port} is already in use (address {address}): stop what holds it or choose another port";

    /// <summary>The first of the ports that Kestrel's own bind refuses as in use, or null when both are free.</summary>
    internal static (string Setting, int Port)? FirstPortInUse(PortsOptions ports)
    {
        if (!IPAddress.TryParse(ports.Address, out var ip))
        {
            return null; // reported by options validation at start
        }

        foreach (var (setting, port) in new[] { ("Ports:Grpc", ports.Grpc), ("Ports:Http", ports.Http) })
        {
            try
            {
                SocketTransportOptions.CreateDefaultBoundListenSocket(new IPEndPoint(ip, port)).Dispose();
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return (setting, port);
            }
        }

        return null;
    }
}
