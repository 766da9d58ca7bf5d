using System.Collections.Immutable;
using System.Globalization;

namespace LwpWatch.Collectors.Illumos;

/// <summary>The per-zone counters of <c>kstat -p zones:::</c> that tell thread starvation from other pressure.</summary>
/// <param name="ZoneId">The kstat instance, which is the numeric zone id.</param>
/// <param name="ForkfailCap">Forks refused by the zone's caps (zone.max-lwps / max-processes) since zone boot.</param>
public sealed record ZoneKstat(
    int ZoneId,
    string ZoneName,
    long ForkfailCap,
    long? ForkfailNomem,
    long? ForkfailNoproc,
    long? ForkfailMisc,
    long? NsecWaitrq);

/// <summary>The zones of one <c>kstat -p zones:::</c> run, and a warning for each kstat that could not be read.</summary>
public sealed record ZonesKstats(ImmutableArray<ZoneKstat> Zones, ImmutableArray<string> Warnings);

/// <summary>
/// Groups the <c>zones</c> module of <c>kstat -p</c> output by kstat (instance + name). The kstat name is the
/// zone name cut to 30 characters, so the zone is identified by the <c>zonename</c> statistic, never by the
/// kstat name. Lines of other modules (e.g. caps, when both were asked in one run) are ignored. A kstat that
/// cannot be read (no zonename, no forkfail_cap, a bad number, a zone under two kstats) is a warning naming it
/// and costs only that zone.
/// </summary>
public static class ZonesKstatParser
{
    public const string Module = "zones";

    public static ZonesKstats Parse(IReadOnlyList<KstatValue> values, string input)
    {
        var groups = new Dictionary<(int, string), Dictionary<string, string>>();
        var order = new List<(int, string)>();
        foreach (var v in values)
        {
            if (!string.Equals(v.Module, Module, StringComparison.Ordinal))
            {
                continue;
            }

            var key = (v.Instance, v.Name);
            if (!groups.TryGetValue(key, out var stats))
            {
                groups[key] = stats = new Dictionary<string, string>(StringComparer.Ordinal);
                order.Add(key);
            }

            stats[v.Statistic] = v.Value;
        }

        if (order.Count == 0)
        {
            throw new ParseException(input, "no zones::: statistics (the global zone always has them)");
        }

        var result = ImmutableArray.CreateBuilder<ZoneKstat>(order.Count);
        var warnings = ImmutableArray.CreateBuilder<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in order)
        {
            var stats = groups[key];
            var label = string.Create(CultureInfo.InvariantCulture, $"zones:{key.Item1}:{IllumosNames.Printable(key.Item2)}");
            try
            {
                var z = Read(key.Item1, stats, input, label);
                if (!seen.Add(z.ZoneName))
                {
                    throw new ParseException(input, $"{label}: zone '{IllumosNames.Printable(z.ZoneName)}' appears under two kstats");
                }

                result.Add(z);
            }
            catch (ParseException ex)
            {
                warnings.Add(ex.Message + "; that zone's counters are unknown this poll");
            }
        }

        if (result.Count == 0)
        {
            throw new ParseException(input, $"no zone kstat could be read; first: {warnings[0]}");
        }

        return new ZonesKstats(result.ToImmutable(), warnings.ToImmutable());
    }

    private static ZoneKstat Read(int instance, Dictionary<string, string> stats, string input, string label)
    {
        if (!stats.TryGetValue("zonename", out var zonename) || zonename.Length == 0)
        {
            throw new ParseException(input, $"{label}: no zonename statistic (kstat names are cut to 30 characters, so it is required)");
        }

        if (!stats.TryGetValue("forkfail_cap", out var cap))
        {
            throw new ParseException(input, $"{label}: no forkfail_cap statistic");
        }

        return new ZoneKstat(
            instance,
            zonename,
            IllumosText.NonNegative(cap, input, $"{label}:forkfail_cap"),
            Optional(stats, "forkfail_nomem", input, label),
            Optional(stats, "forkfail_noproc", input, label),
            Optional(stats, "forkfail_misc", input, label),
            Optional(stats, "nsec_waitrq", input, label));
    }

    private static long? Optional(Dictionary<string, string> stats, string name, string input, string label) =>
        stats.TryGetValue(name, out var text) ? IllumosText.NonNegative(text, input, $"{label}:{name}") : null;
}
