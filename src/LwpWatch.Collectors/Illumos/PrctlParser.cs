using System.Collections.Immutable;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One value line of <c>prctl -P</c>: name privilege value flag action recipient.</summary>
public sealed record PrctlValue(string Name, string Privilege, long Value, string Flag, string Action);

/// <summary>One zone's block of <c>prctl -P -n &lt;rctl&gt; -i zone z1 z2 ...</c>.</summary>
/// <param name="Usage">The 'usage' line, when printed.</param>
/// <param name="Limit">The lowest denying basic/privileged value; null when only the system maximum applies (no cap).</param>
public sealed record PrctlZone(int ZoneId, string ZoneName, long? Usage, long? Limit, ImmutableArray<PrctlValue> Values);

/// <summary>A zone prctl could not report, from its stderr.</summary>
/// <param name="AtCap">
/// "No controllable process found": prctl must inject an agent LWP into a process of the zone, which the
/// zone's own cap refuses when the zone is exactly at zone.max-lwps. So this failure itself hints the zone is at its cap.
/// </param>
public sealed record PrctlFailure(string Target, string Message, bool AtCap);

/// <summary>
/// Parses the raw (<c>-P</c>) prctl format only: integers, never the scaled human output ("2.00K" stands
/// for anything from 1996 to 2004). One run may list several zones; each block opens with "zone: ID: NAME".
/// </summary>
public static class PrctlParser
{
    private const string AtCapMessage = "No controllable process found";

    public static ImmutableArray<PrctlZone> Parse(string text, string input)
    {
        var result = ImmutableArray.CreateBuilder<PrctlZone>();
        (int Id, string Name, string Where)? header = null;
        var values = new List<PrctlValue>();
        foreach (var (number, line) in IllumosText.Lines(text))
        {
            var where = IllumosText.Line(number);
            if (line.StartsWith("NAME ", StringComparison.Ordinal) || line.StartsWith("NAME\t", StringComparison.Ordinal))
            {
                throw new ParseException(input, $"{where}: human-readable prctl output (scaled, lossy numbers); run prctl with -P");
            }

            if (line.StartsWith("zone:", StringComparison.Ordinal))
            {
                if (header is { } h)
                {
                    result.Add(Build(h.Id, h.Name, h.Where, values, input));
                }

                var parts = line.Split(':', 3);
                if (parts.Length != 3 || parts[2].Trim().Length == 0)
                {
                    throw new ParseException(input, $"{where}: header is not 'zone: ID: NAME'");
                }

                header = (IllumosText.Int(parts[1].Trim(), input, $"{where}: zone id"), parts[2].Trim(), where);
                values = [];
                continue;
            }

            if (header is null)
            {
                throw new ParseException(input, $"{where}: value line before any 'zone: ID: NAME' header");
            }

            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 6)
            {
                throw new ParseException(input, $"{where}: expected 6 fields (name privilege value flag action recipient), got {f.Length}");
            }

            if (f[1] is not ("usage" or "basic" or "privileged" or "system"))
            {
                throw new ParseException(input, $"{where}: unknown privilege '{f[1]}'");
            }

            // Values are unsigned 64-bit in the kernel; anything above long.MaxValue is "no limit" anyway.
            var value = ulong.TryParse(f[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var u)
                ? (u > long.MaxValue ? long.MaxValue : (long)u)
                : throw new ParseException(input, $"{where}: value '{f[2]}' is not a non-negative integer");
            values.Add(new PrctlValue(f[0], f[1], value, f[3], f[4]));
        }

        if (header is { } last)
        {
            result.Add(Build(last.Id, last.Name, last.Where, values, input));
        }

        return result.ToImmutable();
    }

    /// <summary>Each stderr line "prctl: TARGET: MESSAGE" (other lines are kept whole, target empty).</summary>
    public static ImmutableArray<PrctlFailure> ParseFailures(string stderr)
    {
        var result = ImmutableArray.CreateBuilder<PrctlFailure>();
        foreach (var (_, line) in IllumosText.Lines(stderr))
        {
            var trimmed = line.Trim();
            var rest = trimmed.StartsWith("prctl: ", StringComparison.Ordinal) ? trimmed[7..] : trimmed;
            var colon = rest.IndexOf(": ", StringComparison.Ordinal);
            var (target, message) = colon > 0 ? (rest[..colon], rest[(colon + 2)..]) : ("", rest);
            result.Add(new PrctlFailure(target, message, message.Contains(AtCapMessage, StringComparison.Ordinal)));
        }

        return result.ToImmutable();
    }

    private static PrctlZone Build(int id, string name, string where, List<PrctlValue> values, string input)
    {
        if (values.Count == 0)
        {
            throw new ParseException(input, $"{where}: zone {name} has no value lines");
        }

        long? usage = null;
        long? limit = null;
        foreach (var v in values)
        {
            if (v.Privilege == "usage")
            {
                usage = v.Value;
            }
            else if (v.Privilege != "system" && v.Action.Split(',').Contains("deny"))
            {
                limit = limit is { } l ? Math.Min(l, v.Value) : v.Value;
            }
        }

        return new PrctlZone(id, name, usage, limit, [.. values]);
    }
}
