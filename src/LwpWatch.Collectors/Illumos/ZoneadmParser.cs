using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One zone from <c>zoneadm list -pc</c>.</summary>
/// <param name="Id">Numeric zone id; null for zones that are not running ('-').</param>
public sealed record ZoneadmEntry(int? Id, string Name, string State, string ZonePath, string? Uuid, string? Brand, string? IpType);

/// <summary>Every zone <c>zoneadm list -pc</c> printed, and a warning (naming the zone where it can) for each line it could not read.</summary>
public sealed record ZoneadmListing(ImmutableArray<ZoneadmEntry> Zones, ImmutableArray<string> Warnings);

/// <summary>
/// Parses <c>zoneadm list -pc</c>: zoneid:zonename:state:zonepath:uuid:brand:ip-type:debugid. illumos-gate
/// zoneadm.c zone_print() writes the zonepath with each ':' as '\:' and nothing else escaped (a backslash is
/// printed as itself), the id as '-' for a zone that is not running, and an empty debugid when there is none;
/// releases before debugid print 7 fields. A line that cannot be read is a warning naming its zone and costs
/// only that zone; Oracle Solaris 11's 9-field format is refused as a whole (it is not illumos).
/// </summary>
public static class ZoneadmParser
{
    public const string Command = "zoneadm list -pc";

    /// <summary>zone_state_str() in libzonecfg, plus "unavailable" (newer illumos).</summary>
    private static readonly FrozenSet<string> States = FrozenSet.Create(
        StringComparer.Ordinal, "configured", "incomplete", "unavailable", "installed", "ready", "mounted", "running", "shutting_down", "down");

    public static ZoneadmListing Parse(string text, string input = Command)
    {
        var result = ImmutableArray.CreateBuilder<ZoneadmEntry>();
        var warnings = ImmutableArray.CreateBuilder<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var lines = 0;
        foreach (var (number, line) in IllumosText.Lines(text))
        {
            lines++;
            var where = IllumosText.Line(number);
            var f = Split(line);
            if (f.Count == 9)
            {
                // Solaris 11 appends the zone's file-mac-profile/boot environment fields (puppetlabs/facter PR 1329).
                throw new ParseException(input, $"{where}: 9 ':'-separated fields: this is Oracle Solaris 11's zoneadm, which LwpWatch does not support (illumos prints 8)");
            }

            var zone = f.Count > 1 && f[1].Length > 0 ? "zone " + IllumosNames.Printable(f[1]) : "a zone";
            var problem = Check(f, names);
            if (problem is not null)
            {
                warnings.Add($"{input}: {where}: {zone}: {problem}; that zone is left out this poll");
                continue;
            }

            int? id = f[0] == "-" ? null : IllumosText.Int(f[0], input, $"{where}: zone id");
            names.Add(f[1]);
            result.Add(new ZoneadmEntry(id, f[1], f[2], f[3], Empty(f[4]), Empty(f[5]), Empty(f[6])));
        }

        if (lines == 0)
        {
            throw new ParseException(input, "empty output (the global zone is always listed)");
        }

        if (result.Count == 0)
        {
            throw new ParseException(input, $"no line could be read: {warnings[0]}");
        }

        return new ZoneadmListing(result.ToImmutable(), warnings.ToImmutable());
    }

    private static string? Check(List<string> f, HashSet<string> names)
    {
        if (f.Count is not (7 or 8))
        {
            return $"expected 8 (or, older releases, 7) ':'-separated fields, got {f.Count}";
        }

        if (f[0] != "-" && !int.TryParse(f[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            return $"zone id '{IllumosNames.Printable(f[0])}' is neither a number nor '-'";
        }

        if (!IllumosNames.IsZoneName(f[1]))
        {
            return "not a valid zone name";
        }

        if (!States.Contains(f[2]))
        {
            return $"unknown zone state '{IllumosNames.Printable(f[2])}'";
        }

        if (!f[3].StartsWith('/'))
        {
            return $"zonepath '{IllumosNames.Printable(f[3])}' is not absolute";
        }

        return names.Contains(f[1]) ? "listed twice" : null;
    }

    private static string? Empty(string s) => s.Length == 0 ? null : s;

    /// <summary>Splits on ':' except where written '\:'; any other backslash is a character of the field.</summary>
    private static List<string> Split(string line)
    {
        var fields = new List<string>(8);
        var current = new StringBuilder();
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length && line[i + 1] == ':')
            {
                current.Append(':');
                i++;
            }
            else if (c == ':')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return fields;
    }
}
