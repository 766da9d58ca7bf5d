using System.Collections.Immutable;
using System.Globalization;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One zone resource cap from <c>kstat -p caps:::</c>, e.g. nprocs_zone_12.</summary>
/// <param name="Resource">lockedmem, nprocs, swapresv, cpucaps, ...</param>
/// <param name="ZoneId">The kstat instance, which is the numeric zone id.</param>
/// <param name="Value">The cap (UINT64_MAX, for unset byte caps, is clamped to long.MaxValue).</param>
public sealed record CapKstat(string Resource, int ZoneId, string ZoneName, long Usage, long Value)
{
    /// <summary>Count caps (nprocs) report an unset cap as INT32_MAX; byte caps as UINT64_MAX.</summary>
    public bool IsUnlimited => Value >= (string.Equals(Resource, "nprocs", StringComparison.Ordinal) ? CapsKstatParser.Unlimited : long.MaxValue);
}

/// <summary>The zone caps of one <c>kstat -p caps:::</c> run, and a warning for each cap kstat that could not be read.</summary>
public sealed record CapsKstats(ImmutableArray<CapKstat> Caps, ImmutableArray<string> Warnings);

/// <summary>
/// Zone caps from the <c>caps</c> module of <c>kstat -p</c>. Only kstats named &lt;resource&gt;_zone_&lt;id&gt;
/// are zone caps (project caps live in the same module). Joined on the <c>zonename</c> statistic; the
/// instance and the name's suffix are both the numeric zone id and must agree. illumos-gate zone.c fills
/// nprocs_zone_&lt;id&gt; from zone_nprocs (usage) and zone_nprocs_ctl (value: zone.max-processes as enforced now).
/// A kstat that cannot be read is a warning naming it and costs only that cap.
/// </summary>
public static class CapsKstatParser
{
    public const string Module = "caps";

    /// <summary>rctl "no limit" for counts (INT32_MAX), as the kernel reports an unset zone.max-processes.</summary>
    public const long Unlimited = int.MaxValue;

    private const string ZoneInfix = "_zone_";

    public static CapsKstats Parse(IReadOnlyList<KstatValue> values, string input)
    {
        var groups = new Dictionary<(int, string), Dictionary<string, string>>();
        var order = new List<(int, string)>();
        foreach (var v in values)
        {
            if (!string.Equals(v.Module, Module, StringComparison.Ordinal) || !v.Name.Contains(ZoneInfix, StringComparison.Ordinal))
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

        var result = ImmutableArray.CreateBuilder<CapKstat>(order.Count);
        var warnings = ImmutableArray.CreateBuilder<string>();
        foreach (var key in order)
        {
            var (instance, name) = key;
            var label = string.Create(CultureInfo.InvariantCulture, $"caps:{instance}:{IllumosNames.Printable(name)}");
            try
            {
                result.Add(Read(instance, name, groups[key], input, label));
            }
            catch (ParseException ex)
            {
                warnings.Add(ex.Message + "; that cap is unknown this poll");
            }
        }

        return new CapsKstats(result.ToImmutable(), warnings.ToImmutable());
    }

    private static CapKstat Read(int instance, string name, Dictionary<string, string> stats, string input, string label)
    {
        var at = name.LastIndexOf(ZoneInfix, StringComparison.Ordinal);
        var resource = name[..at];
        var suffix = name[(at + ZoneInfix.Length)..];
        if (resource.Length == 0 || IllumosText.Int(suffix, input, $"{label}: zone id in the kstat name") != instance)
        {
            throw new ParseException(input, $"{label}: name does not end in _zone_{instance.ToString(CultureInfo.InvariantCulture)}");
        }

        if (!stats.TryGetValue("zonename", out var zonename) || zonename.Length == 0)
        {
            throw new ParseException(input, $"{label}: no zonename statistic");
        }

        return new CapKstat(resource, instance, zonename, Required(stats, "usage", input, label), Required(stats, "value", input, label));
    }

    private static long Required(Dictionary<string, string> stats, string name, string input, string label)
    {
        if (!stats.TryGetValue(name, out var text))
        {
            throw new ParseException(input, $"{label}: no {name} statistic");
        }

        // Unset byte caps are UINT64_MAX, which does not fit a long.
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            throw new ParseException(input, $"{label}:{name}: '{text}' is not a non-negative integer");
        }

        return v > long.MaxValue ? long.MaxValue : (long)v;
    }
}
