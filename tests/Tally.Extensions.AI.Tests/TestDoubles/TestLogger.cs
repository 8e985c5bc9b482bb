using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tally.Extensions.AI.Tests.TestDoubles;

/// <summary>Keeps every log entry, for tests that check what was logged and how often.</summary>
internal sealed class TestLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IReadOnlyList<string> At(LogLevel level) => [.. Entries.Where(e => e.Level == level).Select(e => e.Message)];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(TestLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
