using System.Collections.Immutable;
using System.Text.RegularExpressions;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Core.Alerts;

/// <summary>
/// Decides which named receivers get an alert, from its severity and labels. Routes are tried in order;
/// the first match wins unless it says continue. With no routes, every receiver gets every alert.
/// </summary>
public sealed class AlertRouter
{
    private readonly ImmutableArray<CompiledRoute> _routes;
    private readonly ImmutableSortedDictionary<string, ReceiverSettings> _receivers;
    private readonly AlertsSettings _alerts;

    public AlertRouter(AlertsSettings alerts, IReadOnlyList<ReceiverSettings> receivers)
    {
        _alerts = alerts;
        _receivers = receivers.ToImmutableSortedDictionary(r => r.Name, r => r, StringComparer.Ordinal);
        _routes = [.. alerts.Routes.Select(r => new CompiledRoute(
            r,
            r.MatchRegex.ToImmutableSortedDictionary(
                kv => kv.Key,
                kv => new Regex("^(?:" + kv.Value + ")$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)),
                StringComparer.Ordinal)))];
    }

    public IEnumerable<string> ReceiverNames => _receivers.Keys;

    public TimeSpan RepeatInterval(string receiver) =>
        _receivers.TryGetValue(receiver, out var r) ? r.EffectiveRepeatInterval(_alerts) : _alerts.RepeatInterval;

    public bool SendResolved(string receiver) => !_receivers.TryGetValue(receiver, out var r) || r.SendResolved;

    /// <summary>
    /// Whether this receiver is paged per incident (webhook, Slack, PagerDuty): an alert its incident's head
    /// inhibits is not sent to it. An Alertmanager gets every alert: its own inhibit_rules (packaging/alertmanager)
    /// do the folding there, and they need the symptoms to see them.
    /// </summary>
    public bool FoldsIncidents(string receiver) => !_receivers.TryGetValue(receiver, out var r) || r.Type != ReceiverSettings.Alertmanager;

    /// <summary>
    /// Whether a resolve is re-pushed every repeat interval while the resolved alert is retained, as Prometheus
    /// re-sends resolved alerts for its resolvedRetention (rules/alerting.go): an Alertmanager member that missed
    /// the first resolve would otherwise hold the alert as firing until its endsAt, and page it again once a peer
    /// logged the resolve. Only Alertmanager: a webhook, Slack or PagerDuty would show every resend.
    /// </summary>
    public bool RepushesResolved(string receiver) => _receivers.TryGetValue(receiver, out var r) && r.Type == ReceiverSettings.Alertmanager;

    public ImmutableArray<string> Route(Severity severity, IReadOnlyDictionary<string, string> labels)
    {
        if (_routes.IsEmpty)
        {
            return [.. _receivers.Keys];
        }

        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var route in _routes)
        {
            if (!route.Matches(severity, labels))
            {
                continue;
            }

            foreach (var name in route.Settings.Receivers)
            {
                if (_receivers.ContainsKey(name) && !result.Contains(name))
                {
                    result.Add(name);
                }
            }

            if (!route.Settings.Continue)
            {
                break;
            }
        }

        return result.ToImmutable();
    }

    private sealed record CompiledRoute(RouteSettings Settings, ImmutableSortedDictionary<string, Regex> Regexes)
    {
        public bool Matches(Severity severity, IReadOnlyDictionary<string, string> labels)
        {
            if (severity < Settings.MinSeverity)
            {
                return false;
            }

            foreach (var (k, v) in Settings.Match)
            {
                if (!labels.TryGetValue(k, out var actual) || !string.Equals(actual, v, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            foreach (var (k, re) in Regexes)
            {
                // A missing label matches as the empty string, as in Alertmanager.
                var actual = labels.TryGetValue(k, out var a) ? a : "";
                if (!re.IsMatch(actual))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
