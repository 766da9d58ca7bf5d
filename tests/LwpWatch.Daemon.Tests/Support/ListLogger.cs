using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Tests.Support;

/// <summary>
/// A logger that keeps what it is given (a hand fake: it models a log, so a test can read the lines back by
/// event id and property, as a log shipper would).
/// </summary>
public sealed class ListLogger : ILogger
{
    public sealed record Entry(LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Properties, Exception? Exception);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public IReadOnlyList<Entry> WithId(int id) => [.. _entries.Where(e => e.EventId.Id == id)];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var props = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (state is IEnumerable<KeyValuePair<string, object?>> kvs)
        {
            foreach (var (k, v) in kvs)
            {
                props[k] = v;
            }
        }

        _entries.Enqueue(new Entry(logLevel, eventId, formatter(state, exception), props, exception));
    }
}
