using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Pipeline;

namespace LwpWatch.Daemon.Hosting;

/// <summary>
/// The latest completed poll and its rendered exposition, swapped atomically by the poll loop and read by HTTP
/// handlers without locks: a scrape never waits for a poll and never sees half of one.
/// </summary>
public sealed class DaemonState(TimeProvider clock)
{
    private volatile Published? _current;

    public Published? Current => _current;

    public bool Ready => _current is not null;

    public DateTimeOffset StartedAt { get; } = clock.GetUtcNow();

    public void Publish(PollResult result, RenderedMetrics metrics) =>
        _current = new Published(result, metrics, clock.GetUtcNow());

    /// <summary>Healthy while polls keep completing: before the first one, for a grace period after start.</summary>
    public bool IsHealthy(TimeSpan maxAge)
    {
        var now = clock.GetUtcNow();
        var last = _current?.CompletedAt ?? StartedAt;
        return now - last <= maxAge;
    }

    public sealed record Published(PollResult Result, RenderedMetrics Metrics, DateTimeOffset CompletedAt);
}
