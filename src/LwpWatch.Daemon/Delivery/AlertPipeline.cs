using System.Collections.Immutable;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Logging;
using LwpWatch.Core.Rules;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// The poll loop's hand-off to alerting: feed the findings to the tracker, queue the resulting
/// notifications and the tracker state durably (a local SQLite write, never a network call), wake the
/// delivery worker. Also the source of /api/v1/alerts and lwpwatch_alerts.
/// </summary>
public sealed class AlertPipeline
{
    private static readonly TimeSpan StateSaveInterval = TimeSpan.FromMinutes(1);

    private readonly AlertTracker _tracker;
    private readonly Outbox _outbox;
    private readonly DeliverySignal _signal;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private ImmutableArray<Alert> _current = [];
    private string _lastShape = "";
    private DateTimeOffset _lastSave = DateTimeOffset.MinValue;

    public AlertPipeline(AlertTracker tracker, Outbox outbox, DeliverySignal signal, ILogger<AlertPipeline> log)
    {
        _tracker = tracker;
        _outbox = outbox;
        _signal = signal;
        _log = log;
        if (outbox.LoadState() is { } saved)
        {
            tracker.Import(saved);
            _current = tracker.Alerts;
            _log.LogInformation(LogEvents.FindingFired, "restored {Count} alerts from the saved state", _current.Length);
        }
    }

    /// <summary>Alerts after the last poll (pending, firing, recently resolved).</summary>
    public ImmutableArray<Alert> Current => _current;

    public AlertUpdate Process(RuleOutcome outcome)
    {
        lock (_gate)
        {
            var now = outcome.Snapshot.TakenAt;
            var update = _tracker.Update(outcome.Findings, now, outcome.Snapshot);
            _current = update.Alerts;

            // Save the state when something that matters changed (or once a minute for last-seen times);
            // notifications are always saved, and in the same transaction as the state that produced them.
            var shape = Shape(update.Alerts);
            var saveState = !update.Notifications.IsEmpty || shape != _lastShape || now - _lastSave >= StateSaveInterval || now < _lastSave;
            if (saveState || !update.Notifications.IsEmpty)
            {
                _outbox.Save(update.Notifications, saveState ? _tracker.Export() : null);
                _lastShape = shape;
                _lastSave = now;
            }

            foreach (var n in update.Notifications)
            {
                _log.Log(
                    n.Status == AlertNotification.Resolved ? LogLevel.Information : LogLevel.Warning,
                    n.Status == AlertNotification.Resolved ? LogEvents.FindingResolved : LogEvents.FindingFired,
                    "alert {Status} ({Reason}) {Fingerprint} severity {Severity} -> {Receiver}: {Summary}",
                    n.Status,
                    n.Reason,
                    n.Alert.Fingerprint,
                    Alert.SeverityLabel(n.Alert.Severity),
                    n.Receiver,
                    n.Alert.Summary);
            }

            if (!update.Notifications.IsEmpty)
            {
                _signal.Set();
            }

            return update;
        }
    }

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
