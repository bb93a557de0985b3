using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mistral.Console.Core.Execution;
using Xunit.Abstractions;

namespace Mistral.Console.Jobs.Tests.Ssh;

/// <summary>Collects a command's output lines and lets a test await one of them.</summary>
internal sealed class Lines
{
    private readonly ConcurrentQueue<OutputLine> all = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> waiters = new();

    public void Add(OutputLine line)
    {
        all.Enqueue(line);
        foreach (var (text, waiter) in waiters)
        {
            if (line.Text.Contains(text, StringComparison.Ordinal))
                waiter.TrySetResult();
        }
    }

    public IReadOnlyList<string> Of(OutputStream stream) => all.Where(l => l.Stream == stream).Select(l => l.Text).ToList();

    public IReadOnlyList<OutputLine> All => all.ToList();

    /// <summary>Register before starting the command.</summary>
    public Task Seen(string text) => waiters.GetOrAdd(text, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
}

/// <summary>Keeps every log message (to check for secrets) and echoes it to the test output.</summary>
internal sealed class ListLogger<T>(ITestOutputHelper? output = null) : ILogger<T>
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = $"{logLevel}: {formatter(state, exception)} {exception}";
        Messages.Enqueue(message);
        try
        {
            output?.WriteLine(message);
        }
        catch (InvalidOperationException)
        {
            // The test already finished (a late idle-close message).
        }
    }
}
