using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Alerts;

/// <summary>
/// Turns each poll's findings into alerts with a lifecycle and decides who must be told what:
/// pending until alerts.for has passed, then firing (notified once per receiver, again after the receiver's
/// repeat interval or when the severity changes), then resolved (a resolve notification goes to every
/// receiver that was told it was firing). Pure and deterministic: time comes in with each call, no I/O.
/// Its whole state can be exported and imported, so a restart neither re-pages nor forgets to resolve.
/// </summary>
public sealed class AlertTracker(AlertsSettings settings, AlertRouter router)
{
    private readonly Dictionary<string, Alert> _alerts = new(StringComparer.Ordinal);

    /// <summary>Findings not tracked because alerts.maxAlerts was reached (cumulative).</summary>
    public long Untracked { get; private set; }

    public ImmutableArray<Alert> Alerts => Sorted();

    /// <summary>
    /// One poll. <paramref name="snapshot"/> supplies host and zone labels and tells whether collection was
    /// complete: when a collector failed, alerts whose finding is missing are held, not resolved, because
    /// "we could not see it" is not "it is over".
    /// </summary>
    /// <param name="evidenceIds">Fingerprint -> id of the finding's evidence bundle, when the daemon keeps them.</param>
    public AlertUpdate Update(IReadOnlyList<Finding> findings, DateTimeOffset now, Snapshot? snapshot = null, IReadOnlyDictionary<string, string>? evidenceIds = null)
    {
        var notifications = ImmutableArray.CreateBuilder<AlertNotification>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<string>(findings.Count);
        var zones = snapshot is null ? null : ZoneIndex(snapshot);

        foreach (var f in findings)
        {
            var fp = f.Fingerprint;
            if (!seen.Add(fp))
            {
                continue;
            }

            Alert alert;
            if (_alerts.TryGetValue(fp, out var existing) && existing.State != AlertState.Resolved)
            {
                alert = Refresh(existing, f, now, snapshot, zones, evidenceIds?.GetValueOrDefault(fp));
            }
            else
            {
                if (existing is null && _alerts.Count >= settings.MaxAlerts)
                {
                    Untracked++;
                    seen.Remove(fp);
                    continue;
                }

                alert = Refresh(null, f, now, snapshot, zones, evidenceIds?.GetValueOrDefault(fp));
            }

            if (alert.State == AlertState.Pending && now - alert.StartsAt >= settings.For)
            {
                alert = alert with { State = AlertState.Firing, FiredAt = now };
            }

            _alerts[fp] = alert;
            order.Add(fp);
        }

        var incomplete = snapshot is not null && snapshot.Collectors.Any(c => !c.Success);
        foreach (var (fp, alert) in _alerts.ToList())
        {
            if (seen.Contains(fp))
            {
                continue;
            }

            switch (alert.State)
            {
                case AlertState.Pending:
                    if (!incomplete)
                    {
                        _alerts.Remove(fp);
                    }

                    break;
                case AlertState.Firing:
                    if (!incomplete)
                    {
                        _alerts[fp] = Resolve(alert, now, notifications);
                    }

                    break;
                case AlertState.Resolved:
                    if (alert.EndsAt is { } end && now - end >= settings.ResolvedRetention)
                    {
                        _alerts.Remove(fp);
                    }
                    else
                    {
                        _alerts[fp] = RepushResolved(alert, now, notifications);
                    }

                    break;
            }
        }

        // Incidents are decided on this poll's states, after resolving: a symptom whose root cause just cleared
        // stands on its own again in this same poll (and is paged now if it outlived it).
        Inhibit();
        foreach (var fp in order)
        {
            if (_alerts[fp] is { State: AlertState.Firing } alert)
            {
                _alerts[fp] = Notify(alert, now, notifications);
            }
        }

        return new AlertUpdate(Sorted(), notifications.ToImmutable());
    }

    /// <summary>
    /// Sets every active alert's <see cref="Alert.InhibitedBy"/> to the firing root cause of its zone and host that
    /// folds it (highest in the chain first, then the most severe), as Alertmanager's inhibit_rules with
    /// <c>equal: [zone, host]</c> would, and every root cause's <see cref="Alert.Symptoms"/> to what it inhibits.
    /// Only a firing alert inhibits: a pending root cause is sent to nobody, so it must not silence anything yet.
    /// </summary>
    private void Inhibit()
    {
        var roots = new Dictionary<(string Zone, string Host), List<Alert>>();
        foreach (var a in _alerts.Values)
        {
            if (a.State == AlertState.Firing && RuleFactory.RoleOf(a.Rule).IsRootCause)
            {
                var key = (a.ZoneId, a.Labels.GetValueOrDefault("host", ""));
                if (!roots.TryGetValue(key, out var list))
                {
                    list = [];
                    roots[key] = list;
                }

                list.Add(a);
            }
        }

        var symptoms = new Dictionary<string, List<AlertSymptom>>(StringComparer.Ordinal);
        foreach (var (fp, a) in _alerts.ToList())
        {
            if (a.State == AlertState.Resolved)
            {
                continue;
            }

            Alert? head = null;
            if (roots.TryGetValue((a.ZoneId, a.Labels.GetValueOrDefault("host", "")), out var candidates))
            {
                foreach (var r in candidates)
                {
                    if (r.Fingerprint != a.Fingerprint && IncidentRole.Folds(r.Rule, r.Severity, r.ZoneId, a.Rule, a.Severity, a.ZoneId)
                        && (head is null || Higher(r, head)))
                    {
                        head = r;
                    }
                }
            }

            if (head is not null)
            {
                if (!symptoms.TryGetValue(head.Fingerprint, out var list))
                {
                    list = [];
                    symptoms[head.Fingerprint] = list;
                }

                list.Add(AlertSymptom.Of(a));
            }

            if (!string.Equals(a.InhibitedBy, head?.Fingerprint, StringComparison.Ordinal))
            {
                _alerts[fp] = a with { InhibitedBy = head?.Fingerprint };
            }
        }

        foreach (var (fp, a) in _alerts.ToList())
        {
            if (a.State == AlertState.Resolved)
            {
                continue;
            }

            ImmutableArray<AlertSymptom> folded = symptoms.TryGetValue(fp, out var list)
                ? [.. list.OrderByDescending(s => s.Severity).ThenBy(s => s.Fingerprint, StringComparer.Ordinal)]
                : [];
            if (!folded.SequenceEqual(a.Symptoms))
            {
                _alerts[fp] = a with { Symptoms = folded };
            }
        }
    }

    private static bool Higher(Alert a, Alert b)
    {
        var (la, lb) = (RuleFactory.RoleOf(a.Rule).Level, RuleFactory.RoleOf(b.Rule).Level);
        return la != lb ? la < lb : a.Severity > b.Severity;
    }

    public AlertTrackerState Export() => new() { Alerts = Sorted() };

    /// <summary>Replaces the current state with a saved one (at start-up, before the first poll).</summary>
    public void Import(AlertTrackerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Version != AlertTrackerState.CurrentVersion)
        {
            throw new InvalidDataException($"alert state version {state.Version} is not supported (expected {AlertTrackerState.CurrentVersion})");
        }

        _alerts.Clear();
        foreach (var a in state.Alerts)
        {
            if (_alerts.Count >= settings.MaxAlerts)
            {
                break;
            }

            // Comparers do not survive serialisation; ordinal keeps label order stable in every payload.
            _alerts[a.Fingerprint] = a with
            {
                Labels = a.Labels.WithComparers(StringComparer.Ordinal),
                Notified = a.Notified.WithComparers(StringComparer.Ordinal),
            };
        }
    }

    private Alert Notify(Alert alert, DateTimeOffset now, ImmutableArray<AlertNotification>.Builder sink)
    {
        var targets = router.Route(alert.Severity, alert.Labels);
        var notified = alert.Notified;
        var severityChanged = alert.NotifiedSeverity is { } was && was != alert.Severity;
        var considered = false;
        foreach (var r in targets)
        {
            if (alert.InhibitedBy is not null && router.FoldsIncidents(r))
            {
                // Its incident's head was (or will be) sent instead, listing it: one page per incident.
                continue;
            }

            considered = true;
            string? reason = !notified.TryGetValue(r, out var last) ? "new"
                : severityChanged ? "severity"
                : now - last >= router.RepeatInterval(r) ? "repeat"
                : null;
            if (reason is null)
            {
                continue;
            }

            notified = notified.SetItem(r, now);
            sink.Add(new AlertNotification
            {
                Receiver = r,
                Status = AlertNotification.Firing,
                Reason = reason,
                Alert = alert,
                CreatedAt = now,
                PreviousSeverity = reason == "severity" ? alert.NotifiedSeverity : null,
            });
        }

        return alert with { Notified = notified, NotifiedSeverity = considered ? alert.Severity : alert.NotifiedSeverity };
    }

    private Alert Resolve(Alert alert, DateTimeOffset now, ImmutableArray<AlertNotification>.Builder sink)
    {
        var resolved = alert with { State = AlertState.Resolved, EndsAt = now < alert.StartsAt ? alert.StartsAt : now };
        var known = router.ReceiverNames.ToHashSet(StringComparer.Ordinal);
        var notified = resolved.Notified;
        foreach (var r in alert.Notified.Keys)
        {
            // A receiver removed from the config since it was told cannot be told it is over.
            if (known.Contains(r) && router.SendResolved(r))
            {
                sink.Add(new AlertNotification { Receiver = r, Status = AlertNotification.Resolved, Reason = "resolved", Alert = resolved, CreatedAt = now });
                if (router.RepushesResolved(r))
                {
                    // From now on the time of the last resolve push, for RepushResolved.
                    notified = notified.SetItem(r, now);
                }
            }
        }

        return resolved with { Notified = notified };
    }

    /// <summary>
    /// Re-pushes a retained resolve to the receivers that want it (<see cref="AlertRouter.RepushesResolved"/>) every
    /// repeat interval, so an Alertmanager member that missed the first one still learns the alert is over.
    /// </summary>
    private Alert RepushResolved(Alert alert, DateTimeOffset now, ImmutableArray<AlertNotification>.Builder sink)
    {
        var notified = alert.Notified;
        foreach (var (r, last) in alert.Notified)
        {
            if (router.RepushesResolved(r) && router.SendResolved(r) && now - last >= router.RepeatInterval(r))
            {
                sink.Add(new AlertNotification { Receiver = r, Status = AlertNotification.Resolved, Reason = "repeat", Alert = alert, CreatedAt = now });
                notified = notified.SetItem(r, now);
            }
        }

        return notified == alert.Notified ? alert : alert with { Notified = notified };
    }

    private Alert Refresh(Alert? existing, Finding f, DateTimeOffset now, Snapshot? snapshot, Dictionary<string, Zone>? zones, string? evidenceId)
    {
        Zone? zone = null;
        zones?.TryGetValue(f.ZoneId, out zone);
        var labels = Labels(f, zone, snapshot?.Host, existing);
        var runbook = settings.RunbookUrl.Length == 0 ? null : settings.RunbookUrl
            .Replace("{rule}", f.Rule, StringComparison.Ordinal)
            .Replace("{alertname}", Alert.AlertName(f.Rule), StringComparison.Ordinal);
        if (existing is null)
        {
            return new Alert
            {
                Fingerprint = f.Fingerprint,
                Rule = f.Rule,
                ZoneId = f.ZoneId,
                Service = f.Service,
                Severity = f.Severity,
                State = AlertState.Pending,
                StartsAt = f.Since <= now ? f.Since : now,
                LastSeenAt = now,
                Summary = f.Summary,
                Description = Describe(f),
                Hints = f.Hints,
                EvidenceId = evidenceId,
                RunbookUrl = runbook,
                Labels = labels,
            };
        }

        return existing with
        {
            Severity = f.Severity,
            LastSeenAt = now,
            Summary = f.Summary,
            Description = Describe(f),
            Hints = f.Hints,
            EvidenceId = evidenceId ?? existing.EvidenceId,
            RunbookUrl = runbook,
            Labels = labels,
        };
    }

    private ImmutableSortedDictionary<string, string> Labels(Finding f, Zone? zone, string? host, Alert? existing)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in settings.ExtraLabels)
        {
            b[k] = v;
        }

        b["alertname"] = Alert.AlertName(f.Rule);
        b["severity"] = Output.OutputNames.Severity(f.Severity);
        b["rule"] = f.Rule;
        b["zone"] = f.ZoneId;
        if (f.Service is { } svc)
        {
            b["service"] = svc;
        }

        // Labels are an alert's identity in Alertmanager: once known, kind/name/host stay as they were for
        // the whole episode, even on a poll whose snapshot lacks the zone.
        var kind = zone?.Kind ?? existing?.Labels.GetValueOrDefault("kind");
        if (kind is not null)
        {
            b["kind"] = kind;
        }

        var name = zone is not null && !string.Equals(zone.Name, zone.Id, StringComparison.Ordinal) ? zone.Name : existing?.Labels.GetValueOrDefault("zone_name");
        if (name is not null)
        {
            b["zone_name"] = name;
        }

        var h = host ?? existing?.Labels.GetValueOrDefault("host");
        if (h is not null)
        {
            b["host"] = h;
        }

        return b.ToImmutable();
    }

    /// <summary>Evidence as readable "key: value" lines, for the description annotation.</summary>
    internal static string Describe(Finding f)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in f.Evidence)
        {
            if (sb.Length > 0)
            {
                sb.Append('\n');
            }

            sb.Append(k).Append(": ").Append(v.Display());
        }

        return sb.ToString();
    }

    private static Dictionary<string, Zone> ZoneIndex(Snapshot snapshot)
    {
        var d = new Dictionary<string, Zone>(snapshot.Zones.Length, StringComparer.Ordinal);
        foreach (var z in snapshot.Zones)
        {
            d[z.Id] = z;
        }

        return d;
    }

    private ImmutableArray<Alert> Sorted() =>
        [.. _alerts.Values.OrderBy(a => a.State).ThenByDescending(a => a.Severity).ThenBy(a => a.Fingerprint, StringComparer.Ordinal)];
}

/// <summary>The alerts after one poll, and the notifications that poll decided on (to be queued durably).</summary>
public sealed record AlertUpdate(ImmutableArray<Alert> Alerts, ImmutableArray<AlertNotification> Notifications);

/// <summary>What the tracker must remember across a restart.</summary>
public sealed record AlertTrackerState
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public ImmutableArray<Alert> Alerts { get; init; } = [];
}
