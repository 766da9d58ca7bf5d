using System.Diagnostics;
using Tmds.DBus.Protocol;

namespace LwpWatch.Collectors.Bus;

/// <summary>
/// Calls D-Bus methods in process (Tmds.DBus.Protocol): no busctl fork per call. One connection per bus address,
/// kept between polls (one AUTH + Hello per address, not per poll) and dropped on any transport failure or
/// timeout, so a peer that stopped answering costs one bounded wait per call and a fresh connection next time.
/// Every call, the connect included, is bounded by its timeout and the caller's token: a hung bus never holds
/// a poll (node_exporter #2585 hung its scrape on exactly that).
/// </summary>
public sealed class DBusClient : IDisposable
{
    /// <summary>Bound of one reply as JSON: ListUnits of a host with 10,000 units is about 3 MB.</summary>
    public const int MaxReplyJsonBytes = 16 * 1024 * 1024;

    private readonly Dictionary<string, Entry> _connections = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>The process-wide client (connections are per address, so one is enough).</summary>
    public static DBusClient Shared { get; } = new();

    public async Task<BusReply> CallAsync(BusCall call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        Entry? entry = null;
        try
        {
            // A connection that was fine and has since been closed by the peer (dbus-daemon restarted) gets one
            // retry on a fresh connection within the same budget; anything else is this call's answer.
            for (var attempt = 0; ; attempt++)
            {
                entry = GetEntry(call.Address);
                var wasReady = entry.Ready.IsCompletedSuccessfully;
                try
                {
                    await entry.Ready.WaitAsync(cts.Token).ConfigureAwait(false);
                    var json = await entry.Connection.CallMethodAsync(Build(entry.Connection, call), static (m, _) => BusJson.FromReply(m, MaxReplyJsonBytes)).WaitAsync(cts.Token).ConfigureAwait(false);
                    return new BusReply { Call = call, Json = json, Duration = sw.Elapsed };
                }
                catch (DBusConnectionClosedException) when (wasReady && attempt == 0)
                {
                    Drop(entry);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Drop(entry);
            return new BusReply { Call = call, TimedOut = true, Duration = sw.Elapsed, Error = "no answer within the timeout" };
        }
        catch (DBusErrorReplyException ex)
        {
            // The peer answered with an error (unknown unit, access denied): the connection is fine.
            return new BusReply { Call = call, ErrorName = ex.ErrorName, Error = ex.ErrorMessage, Duration = sw.Elapsed };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Connect refused, socket gone, connection closed, malformed reply: drop it, the next call reconnects.
            Drop(entry);
            return new BusReply { Call = call, Error = ex.Message, Duration = sw.Elapsed };
        }
    }

    public void Dispose()
    {
        List<Entry> all;
        lock (_lock)
        {
            _disposed = true;
            all = [.. _connections.Values];
            _connections.Clear();
        }

        foreach (var e in all)
        {
            e.Connection.Dispose();
        }
    }

    private static MessageBuffer Build(DBusConnection connection, BusCall call)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(
            destination: call.Destination,
            path: call.Path,
            @interface: call.Interface,
            member: call.Member,
            signature: call.Args.Length == 0 ? null : call.Signature,
            flags: MessageFlags.NoAutoStart);
        foreach (var a in call.Args)
        {
            writer.WriteString(a);
        }

        return writer.CreateMessage();
    }

    private Entry GetEntry(string address)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_connections.TryGetValue(address, out var e))
            {
                var c = new DBusConnection(new DBusConnectionOptions(address) { AutoConnect = false });
                e = new Entry(c, c.ConnectAsync().AsTask());
                _connections[address] = e;
            }

            return e;
        }
    }

    /// <summary>Forgets the connection and closes it (which also ends a connect or call still waiting on it).</summary>
    private void Drop(Entry? entry)
    {
        if (entry is null)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var (k, v) in _connections)
            {
                if (ReferenceEquals(v, entry))
                {
                    _connections.Remove(k);
                    break;
                }
            }
        }

        entry.Connection.Dispose();
        _ = entry.Ready.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private sealed record Entry(DBusConnection Connection, Task Ready);
}
