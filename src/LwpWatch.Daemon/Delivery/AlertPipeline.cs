using System.Collections.Immutable;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Logging;
using LwpWatch.Daemon.Pipeline;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// The poll loop's hand-off to alerting. On the poll loop (<see cref="Process"/>): feed the findings to the
/// tracker (pure, in memory) and hand the notifications plus the tracker state to a bounded buffer; no
/// disk and no network. Off the poll loop (<see cref="PersistPending"/>, driven by <see cref="AlertPersister"/>):
/// write them to the outbox in one transaction, then wake the delivery worker. Because rows and the state
/// that says "notified" are saved together, a crash before the write loses neither: the restarted tracker
/// has not marked them notified and decides them again. Also the source of /api/v1/alerts.
/// </summary>
public sealed class AlertPipeline : IPollObserver
{
    private static readonly TimeSpan StateSaveInterval = TimeSpan.FromMinutes(1);

    private readonly AlertTracker _tracker;
    private readonly Outbox _outbox;
    private readonly DeliverySignal _signal;
    private readonly ILogger _log;
    private readonly int _maxPending;
    private readonly DeliveryMetrics _metrics;
    private readonly Lock _gate = new();
    private readonly Lock _persistGate = new();
    private readonly SemaphoreSlim _pendingSignal = new(0, 1);
    private List<AlertNotification> _pending = [];
    private AlertTrackerState? _pendingState;
    private ImmutableArray<Alert> _current = [];
    private string _lastShape = "";
    private DateTimeOffset _lastSave = DateTimeOffset.MinValue;

    public AlertPipeline(AlertTracker tracker, Outbox outbox, DeliverySignal signal, DeliveryMetrics metrics, int maxPending, ILogger<AlertPipeline> log)
    {
        _metrics = metrics;
        _tracker = tracker;
        _outbox = outbox;
        _signal = signal;
        _log = log;
        _maxPending = maxPending;
        if (outbox.LoadState() is { } saved)
        {
            try
            {
                tracker.Import(saved);
                _current = tracker.Alerts;
                _log.AlertsRestored(_current.Length);
            }
            catch (InvalidDataException ex)
            {
                _log.AlertStateIgnored(ex.Message);
            }
        }
    }

    /// <summary>Alerts after the last poll (pending, firing, recently resolved).</summary>
    public ImmutableArray<Alert> Current => _current;

    /// <summary>Findings dropped because alerts.maxAlerts was reached.</summary>
    public long Untracked => _tracker.Untracked;

    public void OnPoll(PollResult result) => Process(result.Outcome, result.EvidenceIds);

    /// <param name="evidenceIds">Fingerprint -> evidence bundle id (the poll's <see cref="PollResult.EvidenceIds"/>).</param>
    public AlertUpdate Process(RuleOutcome outcome, IReadOnlyDictionary<string, string>? evidenceIds = null)
    {
        AlertUpdate update;
        lock (_gate)
        {
            var now = outcome.Snapshot.TakenAt;
            update = _tracker.Update(outcome.Findings, now, outcome.Snapshot, evidenceIds);
            _current = update.Alerts;

            // The state is saved when something that matters changed (or once a minute, for last-seen
            // times), and always with the notifications it produced.
            var shape = Shape(update.Alerts);
            var saveState = !update.Notifications.IsEmpty || shape != _lastShape || now - _lastSave >= StateSaveInterval || now < _lastSave;
            if (saveState)
            {
                _lastShape = shape;
                _lastSave = now;
                var state = _tracker.Export();
                lock (_persistGate)
                {
                    _pending.AddRange(update.Notifications);
                    if (_pending.Count > _maxPending)
                    {
                        // Only when the disk is wedged for a long time: keep the newest, say what was lost.
                        var drop = _pending.Count - _maxPending;
                        _log.HandOffOverflow(drop);
                        for (var i = 0; i < drop; i++)
                        {
                            _metrics.Count(_pending[i].Receiver, DeliveryMetrics.Overflow);
                        }

                        _pending.RemoveRange(0, drop);
                    }

                    _pendingState = state;
                }

                try
                {
                    _pendingSignal.Release();
                }
                catch (SemaphoreFullException)
                {
                    // A write is already due.
                }
            }
        }

        foreach (var n in update.Notifications)
        {
            _log.AlertNotified(
                n.Status == AlertNotification.Resolved ? LogLevel.Information : LogLevel.Warning,
                n.Status,
                n.Reason,
                n.Alert.Fingerprint,
                OutputNames.Severity(n.Alert.Severity),
                n.Receiver,
                n.Alert.Summary);
        }

        return update;
    }

    /// <summary>Writes everything handed off so far to the outbox (never throws). Returns the notifications written.</summary>
    public int PersistPending()
    {
        List<AlertNotification> batch;
        AlertTrackerState? state;
        lock (_persistGate)
        {
            if (_pending.Count == 0 && _pendingState is null)
            {
                return 0;
            }

            (batch, _pending) = (_pending, []);
            (state, _pendingState) = (_pendingState, null);
        }

        _outbox.Save(batch, state);
        if (batch.Count > 0)
        {
            _signal.Set();
        }

        return batch.Count;
    }

    /// <summary>Waits for the next hand-off (or the timeout).</summary>
    public Task<bool> WaitForPendingAsync(TimeSpan timeout, CancellationToken ct) => _pendingSignal.WaitAsync(timeout, ct);

    private static string Shape(ImmutableArray<Alert> alerts)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var a in alerts)
        {
            sb.Append(a.Fingerprint).Append('/').Append((int)a.State).Append('/').Append((int)a.Severity).Append(';');
        }

        return sb.ToString();
    }
}
