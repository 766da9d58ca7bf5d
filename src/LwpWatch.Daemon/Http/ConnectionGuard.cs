using System.Collections.Concurrent;
using System.Diagnostics;
using LwpWatch.Daemon.Metrics;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace LwpWatch.Daemon.Http;

/// <summary>
/// Admission that idle clients cannot exhaust. A plain connection cap (Kestrel's MaxConcurrentConnections) is
/// held by whoever opens connections first: 256 idle keep-alive connections from any local user made /healthz
/// and /metrics refuse for as long as Kestrel's keep-alive timeout (issue 13). Here every new connection is
/// admitted; when more than <see cref="Limit"/> are open, the stalest ones make room: first those with no request
/// in flight (idle keep-alive, or never sent a byte), oldest activity first, then, only if every connection is
/// busy, the longest-running request. So a prober's fresh connection always gets served, and the most one client
/// can do by flooding is make the others reconnect. Per source address limits would not help on loopback, where
/// every local user is 127.0.0.1 (and may bind any 127/8 address).
/// </summary>
public sealed class ConnectionGuard(int limit) : IMetricsSource
{
    /// <summary>Connections held open at most; above it the stalest are closed.</summary>
    public const int DefaultLimit = 256;

    private readonly ConcurrentDictionary<string, Tracked> _open = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private long _evicted;

    public int Limit { get; } = limit;

    public int Open => _open.Count;

    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Connection middleware (ListenOptions.Use): tracks the connection and makes room when over the limit.</summary>
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var id = connection.ConnectionId;
        _open[id] = new Tracked(connection, Stopwatch.GetTimestamp());
        try
        {
            if (_open.Count > Limit)
            {
                MakeRoom(id);
            }

            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            _open.TryRemove(id, out _);
        }
    }

    /// <summary>HTTP middleware: marks the connection busy for the request, and active when it ends.</summary>
    public async Task OnRequestAsync(HttpContext context, RequestDelegate next)
    {
        if (!_open.TryGetValue(context.Connection.Id, out var t))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        t.Touch(busy: +1);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            t.Touch(busy: -1);
        }
    }

    public void Register(ScrapeMetrics metrics)
    {
        var open = metrics.Gauge("lwpwatch_http_connections", "HTTP connections open now.");
        var evicted = metrics.Counter("lwpwatch_http_connections_evicted_total", "Idle (or, if all were busy, longest-running) HTTP connections closed to admit a new one above the connection limit.");
        metrics.OnScrape(() =>
        {
            open.Set(Open);
            evicted.IncTo(Evicted);
        });
    }

    private void MakeRoom(string newcomer)
    {
        lock (_evicting)
        {
            // Down to 90% in one pass, so a flood pays one scan per ~limit/10 connections, not one per connection.
            var excess = _open.Count - (Limit * 9 / 10);
            if (_open.Count <= Limit || excess <= 0)
            {
                return;
            }

            var victims = _open
                .Where(kv => !string.Equals(kv.Key, newcomer, StringComparison.Ordinal))
                .Select(kv => (kv.Key, kv.Value, Busy: kv.Value.Busy, At: kv.Value.LastActive))
                .OrderBy(v => v.Busy)
                .ThenBy(v => v.At)
                .Take(excess)
                .ToList();
            foreach (var (key, tracked, _, _) in victims)
            {
                if (_open.TryRemove(key, out _))
                {
                    Interlocked.Increment(ref _evicted);
                    tracked.Connection.Abort(new ConnectionAbortedException("closed to admit a new connection above the connection limit"));
                }
            }
        }
    }

    private sealed class Tracked(ConnectionContext connection, long openedAt)
    {
        private long _lastActive = openedAt;
        private int _busy;

        public ConnectionContext Connection { get; } = connection;

        public long LastActive => Volatile.Read(ref _lastActive);

        public bool Busy => Volatile.Read(ref _busy) > 0;

        public void Touch(int busy)
        {
            Interlocked.Add(ref _busy, busy);
            Volatile.Write(ref _lastActive, Stopwatch.GetTimestamp());
        }
    }
}
