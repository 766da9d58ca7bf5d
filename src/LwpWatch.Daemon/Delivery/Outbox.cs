using System.Text.Json;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Logging;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// The durable outbox. Every notification is written to SQLite before anything tries to send it. When the
/// database cannot be written (disk full, I/O error, file gone) alerts keep flowing from memory: rows and
/// the tracker state are held in a bounded buffer, the condition is logged and exposed
/// (lwpwatch_outbox_store_healthy 0), and the worker keeps trying to reopen the store and flush the buffer.
/// Thread-safe: the poll loop queues, the delivery worker drains.
/// </summary>
public sealed class Outbox : IDisposable
{
    private readonly string _path;
    private readonly DeliverySettings _settings;
    private readonly DeliveryMetrics _metrics;
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();

    // Memory side, used only while the store is unhealthy.
    private readonly List<OutboxRow> _memory = [];
    private readonly HashSet<long> _deletedInStore = [];
    private readonly Dictionary<long, OutboxRow> _rescheduledInStore = [];
    private string? _unsavedState;
    private long _nextMemoryId = -1;

    private OutboxStore? _store;
    private DateTimeOffset _nextReopen;
    private int _depth;

    public Outbox(string path, DeliverySettings settings, DeliveryMetrics metrics, ILogger logger, TimeProvider clock)
    {
        _path = path;
        _settings = settings;
        _metrics = metrics;
        _log = logger;
        _clock = clock;
        TryOpen();
        RefreshStats();
    }

    public bool Healthy
    {
        get
        {
            lock (_gate)
            {
                return _store is not null && _memory.Count == 0 && _unsavedState is null;
            }
        }
    }

    /// <summary>
    /// Nothing queued and nothing to repair: the worker may sleep until signalled instead of querying SQLite
    /// every tick (an idle daemon spent most of its CPU on that).
    /// </summary>
    public bool Idle
    {
        get
        {
            lock (_gate)
            {
                return _depth == 0 && _store is not null && _memory.Count == 0 && _unsavedState is null
                    && _deletedInStore.Count == 0 && _rescheduledInStore.Count == 0;
            }
        }
    }

    /// <summary>The tracker state saved by the last run, or null (first start, unreadable, or corrupt: logged).</summary>
    public AlertTrackerState? LoadState()
    {
        lock (_gate)
        {
            try
            {
                var json = _store?.LoadState();
                return json is null ? null : JsonSerializer.Deserialize(json, OutboxJson.Default.AlertTrackerState);
            }
            catch (Exception ex) when (ex is JsonException or Microsoft.Data.Sqlite.SqliteException or IOException or NotSupportedException)
            {
                _log.AlertStateUnreadable(_path, ex.Message);
                return null;
            }
        }
    }

    /// <summary>
    /// Queues the poll's notifications and the tracker state. Never throws: the poll must go on. A store
    /// failure keeps everything in memory (see the class); anything else unexpected is logged, and what was
    /// not queued is counted (result="unwritable").
    /// </summary>
    public void Save(IReadOnlyList<AlertNotification> notifications, AlertTrackerState? state)
    {
        try
        {
            SaveCore(notifications, state);
        }
        catch (Exception ex)
        {
            // Last resort, not a path anything known takes: the rows are lost, so they are counted and logged.
            foreach (var n in notifications)
            {
                _metrics.Count(n?.Receiver ?? "", DeliveryMetrics.Unwritable);
            }

            _log.OutboxQueueFailed(ex, notifications.Count, ex.Message);
        }
    }

    private void SaveCore(IReadOnlyList<AlertNotification> notifications, AlertTrackerState? state)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var rows = new List<OutboxRow>(notifications.Count);
        var sources = new List<AlertNotification>(notifications.Count);
        foreach (var n in notifications)
        {
            if (ToRow(n, now) is { } row)
            {
                rows.Add(row);
                sources.Add(n);
            }
        }

        var stateJson = state is null ? null : StateJson(state);
        lock (_gate)
        {
            KeepPendingSeverityEnds(rows, sources, now);
            if (_store is not null && _memory.Count == 0)
            {
                try
                {
                    CountOverflow(_store.Save(rows, stateJson, now, _settings.MaxQueued));
                    RefreshStatsLocked();
                    return;
                }
                catch (Exception ex) when (IsStoreError(ex))
                {
                    Fail(ex, "queue notifications");
                }
            }

            foreach (var r in rows)
            {
                AddToMemory(r);
            }

            _unsavedState = stateJson ?? _unsavedState;
            RefreshStatsLocked();
        }
    }

    /// <summary>
    /// A queued row is replaced by a newer notification of the same episode (same receiver, key and status), so
    /// what the queued one still had to say must survive into the newer one: a severity change tells Alertmanager
    /// to end the alert under its old severity label (a different alert there), and a repeat queued over it before
    /// it went out would drop that, leaving the old label set firing until its endsAt and paging again once the
    /// episode resolves (found by Delivery/AlertmanagerClusterTests on the Triton replay: warning, repeat, severity
    /// critical, repeat). Called under the lock.
    /// </summary>
    private void KeepPendingSeverityEnds(List<OutboxRow> rows, List<AlertNotification> sources, long now)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            var n = sources[i];
            if (n.Status != AlertNotification.Firing || n.PreviousSeverity is not null)
            {
                continue;
            }

            var queued = _memory.Find(m => m.Receiver == n.Receiver && m.Key == rows[i].Key && m.Status == n.Status)?.Payload;
            if (queued is null && _store is not null && _memory.Count == 0)
            {
                try
                {
                    queued = _store.Queued(n.Receiver, rows[i].Key, n.Status);
                }
                catch (Exception ex) when (IsStoreError(ex))
                {
                    // Saving right after fails the same way and keeps everything in memory; nothing to merge then.
                    continue;
                }
            }

            if (queued is null)
            {
                continue;
            }

            AlertNotification? old;
            try
            {
                old = JsonSerializer.Deserialize(queued, OutboxJson.Default.AlertNotification);
            }
            catch (JsonException)
            {
                continue;
            }

            if (old?.PreviousSeverity is { } prev && prev != n.Alert.Severity && ToRow(n with { PreviousSeverity = prev }, now) is { } merged)
            {
                rows[i] = merged;
            }
        }
    }

    private OutboxRow? ToRow(AlertNotification n, long now)
    {
        try
        {
            return OutboxRow.From(n, now);
        }
        catch (Exception ex)
        {
            // One notification that cannot be written must not take the rest of the poll's with it.
            _metrics.Count(n?.Receiver ?? "", DeliveryMetrics.Unwritable);
            _log.NotificationUnwritable(ex, n?.Receiver, ex.Message);
            return null;
        }
    }

    /// <summary>The state as JSON, or null (keep the last saved one) when it cannot be written.</summary>
    private string? StateJson(AlertTrackerState state)
    {
        try
        {
            return JsonSerializer.Serialize(state, OutboxJson.Default.AlertTrackerState);
        }
        catch (Exception ex)
        {
            _log.AlertStateUnwritable(ex, ex.Message);
            return null;
        }
    }

    /// <summary>One receiver's rows due now, oldest first, from the store and the memory buffer.</summary>
    public IReadOnlyList<OutboxRow> Due(string receiver, int limit)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            var due = new List<OutboxRow>();
            if (_store is not null)
            {
                try
                {
                    foreach (var r in _store.Due(receiver, now, limit + _deletedInStore.Count + _rescheduledInStore.Count))
                    {
                        if (_deletedInStore.Contains(r.Id))
                        {
                            continue;
                        }

                        var row = _rescheduledInStore.GetValueOrDefault(r.Id, r);
                        if (row.NextMs <= now)
                        {
                            due.Add(row);
                        }
                    }
                }
                catch (Exception ex) when (IsStoreError(ex))
                {
                    Fail(ex, "read due notifications");
                }
            }

            foreach (var r in _memory)
            {
                if (r.NextMs <= now && r.Receiver == receiver)
                {
                    due.Add(r);
                }
            }

            return due.Count <= limit ? due : due.GetRange(0, limit);
        }
    }

    /// <summary>
    /// Drops (logged, counted) rows for receivers no longer configured: after a config change they can
    /// never be delivered. Called once when delivery starts.
    /// </summary>
    public void DropUnknownReceivers(IReadOnlySet<string> known)
    {
        List<OutboxRow> orphans = [];
        lock (_gate)
        {
            try
            {
                foreach (var r in _store?.Receivers() ?? [])
                {
                    if (!known.Contains(r))
                    {
                        orphans.AddRange(_store!.ForReceiver(r));
                    }
                }
            }
            catch (Exception ex) when (IsStoreError(ex))
            {
                Fail(ex, "look for orphaned notifications");
            }
        }

        foreach (var row in orphans)
        {
            _log.NotificationReceiverGone(row.Status, row.Key, row.Receiver);
            Drop(row, DeliveryMetrics.UnknownReceiver);
        }
    }

    public void Delivered(OutboxRow row) => Remove(row, DeliveryMetrics.Delivered);

    public void Drop(OutboxRow row, string result) => Remove(row, result);

    /// <summary>Records a failed attempt and when to try again.</summary>
    public void Failed(OutboxRow row, DateTimeOffset next, string error)
    {
        var updated = row with { NextMs = next.ToUnixTimeMilliseconds(), Attempts = row.Attempts + 1, LastError = error };
        _metrics.Count(row.Receiver, DeliveryMetrics.Retry);
        lock (_gate)
        {
            if (row.Id < 0)
            {
                var i = _memory.FindIndex(r => r.Id == row.Id);
                if (i >= 0)
                {
                    // Keeps a payload queued over the one that failed: the retry sends the newest.
                    _memory[i] = _memory[i] with { NextMs = updated.NextMs, Attempts = updated.Attempts, LastError = error };
                }

                return;
            }

            try
            {
                if (_store is null)
                {
                    throw new IOException("store closed");
                }

                _store.Reschedule(row.Id, updated.NextMs, updated.Attempts, error);
            }
            catch (Exception ex) when (IsStoreError(ex))
            {
                if (ex is not IOException)
                {
                    Fail(ex, "reschedule a notification");
                }

                _rescheduledInStore[row.Id] = updated;
            }
        }
    }

    /// <summary>Expires old rows, retries a failed store, refreshes the gauges. Called by the worker every tick.</summary>
    public void Maintain()
    {
        var now = _clock.GetUtcNow();
        var cutoff = (now - _settings.MaxAge).ToUnixTimeMilliseconds();
        lock (_gate)
        {
            if (_store is null || _memory.Count > 0 || _unsavedState is not null || _deletedInStore.Count > 0 || _rescheduledInStore.Count > 0)
            {
                TryRecover(now);
            }

            var expired = new List<OutboxRow>();
            if (_store is not null)
            {
                try
                {
                    expired.AddRange(_store.Expire(cutoff));
                }
                catch (Exception ex) when (IsStoreError(ex))
                {
                    Fail(ex, "expire old notifications");
                }
            }

            expired.AddRange(_memory.Where(r => r.CreatedMs < cutoff));
            _memory.RemoveAll(r => r.CreatedMs < cutoff);
            foreach (var r in expired)
            {
                _metrics.Count(r.Receiver, DeliveryMetrics.Expired);
                _log.NotificationExpired(r.Status, r.Key, r.Receiver, _settings.MaxAge, r.Attempts, r.LastError ?? "none");
            }

            RefreshStatsLocked();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _store?.Dispose();
            _store = null;
        }
    }

    private void Remove(OutboxRow row, string result)
    {
        lock (_gate)
        {
            if (row.Id < 0)
            {
                // Only the payload that was sent: one queued over it meanwhile is still to be sent (see DeleteSent).
                _memory.RemoveAll(r => r.Id == row.Id && r.Payload == row.Payload);
            }
            else
            {
                try
                {
                    if (_store is null)
                    {
                        throw new IOException("store closed");
                    }

                    _store.DeleteSent(row.Id, row.Payload);
                }
                catch (Exception ex) when (IsStoreError(ex))
                {
                    if (ex is not IOException)
                    {
                        Fail(ex, "remove a sent notification");
                    }

                    // Remembered so it is not sent again, and deleted once the store is back.
                    _deletedInStore.Add(row.Id);
                }
            }

            RefreshStatsLocked();
        }

        // Counted after the gauges are updated, so a reader that sees the count sees the new depth too.
        _metrics.Count(row.Receiver, result);
    }

    private void AddToMemory(OutboxRow r)
    {
        var i = _memory.FindIndex(m => m.Receiver == r.Receiver && m.Key == r.Key && m.Status == r.Status);
        if (i >= 0)
        {
            _memory[i] = _memory[i] with { Payload = r.Payload, CreatedMs = r.CreatedMs };
            return;
        }

        _memory.Add(r with { Id = _nextMemoryId-- });
        while (_memory.Count > _settings.MaxQueued)
        {
            CountOverflow([_memory[0]]);
            _memory.RemoveAt(0);
        }
    }

    private void CountOverflow(IReadOnlyList<OutboxRow> trimmed)
    {
        foreach (var t in trimmed)
        {
            _metrics.Count(t.Receiver, DeliveryMetrics.Overflow);
            _log.NotificationOverflow(t.Status, t.Key, t.Receiver, _settings.MaxQueued);
        }
    }

    private void TryRecover(DateTimeOffset now)
    {
        if (_store is null)
        {
            if (now < _nextReopen)
            {
                return;
            }

            _nextReopen = now + TimeSpan.FromSeconds(5);
            if (!TryOpen())
            {
                return;
            }
        }

        try
        {
            foreach (var id in _deletedInStore)
            {
                _store!.Delete(id);
            }

            _deletedInStore.Clear();
            foreach (var r in _rescheduledInStore.Values)
            {
                _store!.Reschedule(r.Id, r.NextMs, r.Attempts, r.LastError ?? "");
            }

            _rescheduledInStore.Clear();

            // Attempts and schedules carry over: a row already failing keeps its backoff.
            CountOverflow(_store!.Save([.. _memory], _unsavedState, now.ToUnixTimeMilliseconds(), _settings.MaxQueued));
            var flushed = _memory.Count;
            _memory.Clear();
            _unsavedState = null;
            _metrics.SetStoreHealthy(true);
            _log.OutboxStoreRecovered(_path, flushed);
        }
        catch (Exception ex) when (IsStoreError(ex))
        {
            Fail(ex, "flush the memory buffer");
        }
    }

    private bool TryOpen()
    {
        try
        {
            _store = new OutboxStore(_path);
            return true;
        }
        catch (Exception ex) when (IsStoreError(ex))
        {
            Fail(ex, "open");
            return false;
        }
    }

    private void Fail(Exception ex, string what)
    {
        _metrics.StoreError();
        _metrics.SetStoreHealthy(false);
        _log.OutboxStoreFailed(_path, what, ex.Message, _settings.MaxQueued);
        _store?.Dispose();
        _store = null;
        _nextReopen = _clock.GetUtcNow() + TimeSpan.FromSeconds(1);
    }

    private static bool IsStoreError(Exception ex) =>
        ex is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException or InvalidOperationException;

    private void RefreshStats()
    {
        lock (_gate)
        {
            RefreshStatsLocked();
        }
    }

    private void RefreshStatsLocked()
    {
        var depth = 0;
        long? oldest = null;
        if (_store is not null)
        {
            try
            {
                (depth, oldest) = _store.Stats();
                depth -= _deletedInStore.Count;
            }
            catch (Exception ex) when (IsStoreError(ex))
            {
                Fail(ex, "count queued notifications");
            }
        }

        foreach (var r in _memory)
        {
            depth++;
            oldest = oldest is { } o ? Math.Min(o, r.CreatedMs) : r.CreatedMs;
        }

        _depth = Math.Max(depth, 0);
        _metrics.SetQueue(_depth, oldest);
    }
}
