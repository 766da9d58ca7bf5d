using System.Collections.Immutable;
using System.Text.RegularExpressions;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Options;

/// <summary>alerts: how findings become alerts (pending -> firing -> resolved) and where they are routed.</summary>
public sealed record AlertsSettings
{
    /// <summary>How long a finding must keep firing before its alert fires (0 = at once). Rules have their own for-durations; this one is global.</summary>
    public TimeSpan For { get; init; } = TimeSpan.Zero;

    /// <summary>Re-notify a still-firing alert this often (receivers may override; alertmanager re-pushes every 1m by default).</summary>
    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromHours(4);

    /// <summary>Resolved alerts stay listed in /api/v1/alerts this long.</summary>
    public TimeSpan ResolvedRetention { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Bound on tracked alerts; findings beyond it are not tracked (and counted), so a flood cannot exhaust memory.</summary>
    public int MaxAlerts { get; init; } = 10_000;

    /// <summary>runbook_url annotation; "{rule}" is replaced by the rule name, "{alertname}" by the alert name (docs/runbooks/&lt;alertname&gt;.md). Empty = no runbook_url.</summary>
    public string RunbookUrl { get; init; } = "";

    /// <summary>Labels added to every alert (e.g. datacenter). They become part of each alert's identity in Alertmanager.</summary>
    public IReadOnlyDictionary<string, string> ExtraLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Ordered routes; an alert goes to the receivers of the first route that matches (and on, past a route with continue). No routes = every receiver.</summary>
    public IReadOnlyList<RouteSettings> Routes { get; init; } = [];

    public IEnumerable<string> Validate(string path, IReadOnlyList<ReceiverSettings> receivers)
    {
        if (For < TimeSpan.Zero)
        {
            yield return $"{path}.for: must not be negative";
        }

        if (RepeatInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{path}.repeatInterval: must be at least 1s, got {RepeatInterval}";
        }

        if (ResolvedRetention < TimeSpan.Zero)
        {
            yield return $"{path}.resolvedRetention: must not be negative";
        }

        if (MaxAlerts is < 1 or > 1_000_000)
        {
            yield return $"{path}.maxAlerts: must be in [1, 1000000], got {MaxAlerts}";
        }

        foreach (var key in ExtraLabels.Keys)
        {
            if (!RouteSettings.IsLabelName(key))
            {
                yield return $"{path}.extraLabels.{key}: not a valid Prometheus label name";
            }
        }

        var names = new HashSet<string>(receivers.Select(r => r.Name), StringComparer.Ordinal);
        for (var i = 0; i < Routes.Count; i++)
        {
            foreach (var problem in Routes[i].Validate($"{path}.routes[{i}]", names))
            {
                yield return problem;
            }
        }
    }
}

/// <summary>alerts.routes[]: which alerts go to which receivers. All conditions must hold.</summary>
public sealed record RouteSettings
{
    public IReadOnlyList<string> Receivers { get; init; } = [];

    /// <summary>Lowest severity routed here (info, warning, critical).</summary>
    public Severity MinSeverity { get; init; } = Severity.Info;

    /// <summary>Exact label matches.</summary>
    public IReadOnlyDictionary<string, string> Match { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Regex label matches, anchored (like Alertmanager's =~).</summary>
    public IReadOnlyDictionary<string, string> MatchRegex { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Keep evaluating later routes after this one matched.</summary>
    public bool Continue { get; init; }

    internal static bool IsLabelName(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    public IEnumerable<string> Validate(string path, IReadOnlySet<string> receiverNames)
    {
        if (Receivers.Count == 0)
        {
            yield return $"{path}.receivers: must name at least one receiver";
        }

        foreach (var r in Receivers)
        {
            if (!receiverNames.Contains(r))
            {
                yield return $"{path}.receivers: unknown receiver '{r}'";
            }
        }

        foreach (var (label, pattern) in MatchRegex)
        {
            string? error = null;
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException ex)
            {
                error = ex.Message;
            }

            if (error is not null)
            {
                yield return $"{path}.matchRegex.{label}: invalid regex: {error}";
            }
        }
    }
}
