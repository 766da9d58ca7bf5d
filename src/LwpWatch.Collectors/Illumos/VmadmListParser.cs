using System.Collections.Immutable;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One VM from <c>vmadm list -p -o uuid,state,zone_state,max_lwps,zonepath,transition_expire,alias</c>.</summary>
/// <param name="MaxLwps">zone.max-lwps as configured; null when vmadm has none.</param>
/// <param name="TransitionExpire">When vmadm gives up on the current transition (provisioning: creation + 300 s); null when none.</param>
public sealed record VmadmEntry(string Uuid, string State, string ZoneState, long? MaxLwps, string ZonePath, DateTimeOffset? TransitionExpire, string? Alias);

/// <summary>
/// Parses vmadm's parseable listing: ':'-separated, no escaping. The alias is the last field so that a ':'
/// inside it can be rejoined; the other fields cannot contain one. Empty output is a node without VMs.
/// </summary>
public static class VmadmListParser
{
    public const string Fields = "uuid,state,zone_state,max_lwps,zonepath,transition_expire,alias";

    public const string Command = "vmadm list -p -o " + Fields;

    public static ImmutableArray<VmadmEntry> Parse(string text, string input = Command)
    {
        var result = ImmutableArray.CreateBuilder<VmadmEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (number, line) in IllumosText.Lines(text))
        {
            var where = IllumosText.Line(number);
            var f = line.Split(':', 7);
            if (f.Length != 7)
            {
                throw new ParseException(input, $"{where}: expected 7 ':'-separated fields ({Fields}), got {f.Length}");
            }

            if (!Guid.TryParseExact(f[0], "D", out _))
            {
                throw new ParseException(input, $"{where}: '{f[0]}' is not a VM uuid");
            }

            if (!seen.Add(f[0]))
            {
                throw new ParseException(input, $"{where}: VM {f[0]} listed twice");
            }

            if (f[1].Length == 0 || f[2].Length == 0)
            {
                throw new ParseException(input, $"{where}: empty state or zone_state");
            }

            long? maxLwps = f[3].Length == 0 ? null : IllumosText.NonNegative(f[3], input, $"{where}: max_lwps");
            if (!f[4].StartsWith('/'))
            {
                throw new ParseException(input, $"{where}: zonepath '{f[4]}' is not absolute");
            }

            DateTimeOffset? expire = null;
            if (f[5].Length > 0)
            {
                var ms = IllumosText.NonNegative(f[5], input, $"{where}: transition_expire");
                if (ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
                {
                    throw new ParseException(input, $"{where}: transition_expire {ms} is not an epoch time in ms");
                }

                expire = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }

            result.Add(new VmadmEntry(f[0], f[1], f[2], maxLwps, f[4], expire, f[6].Length == 0 ? null : f[6]));
        }

        return result.ToImmutable();
    }
}
