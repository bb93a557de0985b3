using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mistral.Console.Tests.Shared;

/// <summary>Keeps every log message, its structured values and exceptions, from every category.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;
    public string All => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)}";
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                line += " | " + string.Join(", ", values.Select(v => $"{v.Key}={v.Value}"));
            if (exception is not null) line += " | " + exception;
            owner._lines.Enqueue(line);
        }
    }
}
