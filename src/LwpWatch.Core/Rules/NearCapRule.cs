using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// near-cap: a zone's LWP/task usage is close to its cap. Levels rise at their threshold but fall only
/// below threshold - hysteresis, and must hold for `for` before firing.
/// </summary>
public sealed class NearCapRule(NearCapSettings settings, CapSizing? sizing = null) : IRule
{
    private readonly CapSizing _sizing = sizing ?? CapSizing.Default;

    private readonly Dictionary<string, State> _state = new(StringComparer.Ordinal);

    public string Name => RuleIds.NearCap;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var findings = new List<Finding>();
        if (!settings.Enabled)
        {
            return findings;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var zone in context.Current.Zones)
        {
            if (zone.Ratio is not { } ratio)
            {
                continue;
            }

            seen.Add(zone.Id);
            _state.TryGetValue(zone.Id, out var prev);
            var level = Level(ratio, prev?.Level ?? Severity.Info);
            var now = context.Now;
            var state = new State(
                level,
                level >= Severity.Warning ? Held(Shifted(prev?.WarnSince, context), now) : null,
                level >= Severity.Critical ? Held(Shifted(prev?.CritSince, context), now) : null);
            _state[zone.Id] = state;

            Severity? fire = null;
            if (state.CritSince is { } cs && now - cs >= settings.For)
            {
                fire = Severity.Critical;
            }
            else if (state.WarnSince is { } ws && now - ws >= settings.For)
            {
                fire = Severity.Warning;
            }

            if (fire is { } severity)
            {
                findings.Add(Build(zone, ratio, severity, context, _sizing.Suggest(zone, context.Current)));
            }
        }

        foreach (var gone in _state.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _state.Remove(gone);
        }

        return findings;
    }

    /// <summary>The level after hysteresis: rising uses the thresholds, holding uses threshold - hysteresis.</summary>
    private Severity Level(double ratio, Severity held)
    {
        if (ratio >= settings.Critical || (held == Severity.Critical && ratio >= settings.Critical - settings.Hysteresis))
        {
            return Severity.Critical;
        }

        if (ratio >= settings.Warning || (held >= Severity.Warning && ratio >= settings.Warning - settings.Hysteresis))
        {
            return Severity.Warning;
        }

        return Severity.Info;
    }

    private Finding Build(Zone zone, double ratio, Severity severity, RuleContext context, long n)
    {
        var pct = (ratio * 100).ToString("0.#", CultureInfo.InvariantCulture);
        return new Finding
        {
            Rule = Name,
            ZoneId = zone.Id,
            Severity = severity,
            Since = context.Now,
            Summary = string.Create(CultureInfo.InvariantCulture, $"{zone.DisplayName} uses {zone.Lwps} of {zone.LwpLimit} LWPs ({pct}%)"),
            Figures = EvidenceMap.Of(
                ("lwps", zone.Lwps),
                ("lwpLimit", zone.LwpLimit),
                ("ratio", Math.Round(ratio, 4)),
                ("peak", zone.Peak),
                ("denials", zone.Denials)),
            SuggestedLimit = n,
            Notes = Remediation.Notes(zone, context.Current),
            Hints = Remediation.RaiseCapCommands(Name, zone, n, context.Current),
        };
    }

    private sealed record State(Severity Level, DateTimeOffset? WarnSince, DateTimeOffset? CritSince);

    /// <summary>
    /// When a level started holding. A start in the future means the wall clock jumped back (NTP step, VM
    /// resume): the level has held at least for the time measured before the jump, so keep that much instead of
    /// letting now - since go negative, which silently dropped (and so resolved) firing alerts.
    /// </summary>
    private static DateTimeOffset? Shifted(DateTimeOffset? since, RuleContext context) => since is { } s ? context.Adjust(s) : null;

    private DateTimeOffset Held(DateTimeOffset? since, DateTimeOffset now) => since switch
    {
        null => now,
        { } s when s > now => now - settings.For,
        { } s => s,
    };
}
