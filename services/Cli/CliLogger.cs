using Microsoft.Extensions.Logging;

namespace VideoQuality.Cli;

/// <summary>
/// The CLI's log: "vq: LEVEL: message" lines on the command's error writer (stderr, or the test's writer), at
/// <see cref="LogLevel.Information"/> and above. Commands are short-lived processes with no host, so this small logger
/// stands in for a logging provider; the libraries' [LoggerMessage] logs come out through it unchanged.
/// </summary>
internal sealed class CliLogger(TextWriter errors, LogLevel minimum = LogLevel.Information) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var level = logLevel switch
        {
            LogLevel.Warning => "warning",
            LogLevel.Error or LogLevel.Critical => "error",
            _ => "info",
        };
        lock (errors)
        {
            errors.WriteLine($"vq: {level}: {formatter(state, exception)}");
        }
    }
}
