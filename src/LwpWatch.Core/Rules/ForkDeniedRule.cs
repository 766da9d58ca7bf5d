using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// fork-denied: the zone's denial counter (forkfail_cap, pids.events max) rose. A counter that went down
/// means the zone rebooted or the cgroup was recreated: the baseline resets and nothing fires.
/// </summary>
public sealed class ForkDeniedRule(ForkDeniedSettings settings, CapSizing? sizing = null) : IRule
{
    private readonly CapSizing _sizing = sizing ?? CapSizing.Default;

    private readonly Dictionary<string, State> _state = new(StringComparer.Ordinal);

    public string Name => RuleIds.ForkDenied;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var findings = new List<Finding>();
        if (!settings.Enabled)
        {
            return findings;
        }

        var now = context.Now;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var zone in context.Current.Zones)
        {
            // An unlimited cgroup refuses nothing itself; its subtree's refusals belong to a capped zone.
            if (zone.Denials is not { } count || zone.LwpLimit is null)
            {
                continue;
            }

            seen.Add(zone.Id);
            var prev = _state.GetValueOrDefault(zone.Id);
            if (prev is not null && context.ClockStep != TimeSpan.Zero)
            {
                // A last rise now in the future would hold the finding open until the clock caught up.
                prev = prev with { LastRise = prev.LastRise is { } r ? context.Adjust(r) : null, EpisodeSince = prev.EpisodeSince is { } e ? context.Adjust(e) : null };
            }

            var state = Advance(prev, count, now, zone);
            _state[zone.Id] = state;
            if (state.LastRise is { } rise && now - rise < settings.Window)
            {
                findings.Add(Build(zone, state, context, _sizing.Suggest(zone, context.Current)));
            }
        }

        foreach (var gone in _state.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _state.Remove(gone);
        }

        return findings;
    }

    private State Advance(State? prev, long count, DateTimeOffset now, Zone zone)
    {
        if (prev is null)
        {
            // No baseline: the counter is "since cgroup creation / zone boot". Report it once found, with a
            // severity that depends on whether the zone is at its cap now.
            return count > 0
                ? new State(count, now, now, count, FirstSight: true, FirstSightCritical: zone.Ratio >= settings.FirstSightCriticalRatio, WindowStartCount: 0)
                : new State(count, null, null, 0, false, false, count);
        }

        if (count < prev.Last)
        {
            return new State(count, null, null, 0, false, false, count);
        }

        if (count > prev.Last)
        {
            var continues = prev.LastRise is { } r && now - r < settings.Window;
            var episodeStart = continues ? prev.EpisodeSince : now;
            var windowStart = continues ? prev.WindowStartCount : prev.Last;
            return new State(count, now, episodeStart, count - windowStart, false, false, windowStart);
        }

        return prev with { Last = count };
    }

    private Finding Build(Zone zone, State state, RuleContext context, long n)
    {
        var severity = state.FirstSight && !state.FirstSightCritical ? Severity.Warning : Severity.Critical;
        // The whole counter too: a 5-minute episode alone understates a unit that was refused before LwpWatch looked.
        var since = Diagnosis.SinceStart(Diagnosis.StartedAt(zone, context.Current));
        var summary = state.FirstSight
            ? string.Create(CultureInfo.InvariantCulture, $"{zone.DisplayName}: {state.Last} forks/threads refused by its cap {since} (usage {zone.Lwps}/{Limit(zone)})")
            : string.Create(CultureInfo.InvariantCulture, $"{zone.DisplayName}: {state.Rise} forks/threads refused by its cap since {state.EpisodeSince?.UtcDateTime:HH:mm:ss}Z{(state.Last > state.Rise ? $", {state.Last} {since}" : "")} (usage {zone.Lwps}/{Limit(zone)})");
        return new Finding
        {
            Rule = Name,
            ZoneId = zone.Id,
            Severity = severity,
            Since = state.EpisodeSince ?? context.Now,
            Summary = string.Create(CultureInfo.InvariantCulture, $"{summary}"),
            Figures = EvidenceMap.Of(
                ("denials", state.Last),
                ("denialsInEpisode", state.Rise),
                ("firstSight", state.FirstSight ? true : null),
                ("lwps", zone.Lwps),
                ("lwpLimit", zone.LwpLimit)),
            SuggestedLimit = n,
            Notes = Remediation.Notes(zone, context.Current),
            Hints = Remediation.RaiseCapCommands(Name, zone, n, context.Current),
        };
    }

    private static string Limit(Zone z) => z.LwpLimit?.ToString(CultureInfo.InvariantCulture) ?? "unlimited";

    private sealed record State(
        long Last,
        DateTimeOffset? LastRise,
        DateTimeOffset? EpisodeSince,
        long Rise,
        bool FirstSight,
        bool FirstSightCritical,
        long WindowStartCount);
}
