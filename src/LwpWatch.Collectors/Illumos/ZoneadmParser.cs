using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One zone from <c>zoneadm list -pc</c>.</summary>
/// <param name="Id">Numeric zone id; null for zones that are not running ('-').</param>
public sealed record ZoneadmEntry(int? Id, string Name, string State, string ZonePath, string? Uuid, string? Brand, string? IpType);

/// <summary>
/// Parses <c>zoneadm list -pc</c>: zoneid:zonename:state:zonepath:uuid:brand:ip-type[:debugid]. Current illumos
/// prints 8 fields, older releases 7. A ':' inside a field (zonepath) is written '\:' and a backslash '\\'.
/// </summary>
public static class ZoneadmParser
{
    public const string Command = "zoneadm list -pc";

    private static readonly FrozenSet<string> States = FrozenSet.Create(
        StringComparer.Ordinal, "configured", "incomplete", "unavailable", "installed", "ready", "mounted", "running", "shutting_down", "down");

    public static ImmutableArray<ZoneadmEntry> Parse(string text, string input = Command)
    {
        var result = ImmutableArray.CreateBuilder<ZoneadmEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (number, line) in IllumosText.Lines(text))
        {
            var where = IllumosText.Line(number);
            var f = Split(line, input, where);
            if (f.Count is not (7 or 8))
            {
                throw new ParseException(input, $"{where}: expected 8 (or, older releases, 7) ':'-separated fields, got {f.Count}");
            }

            int? id = f[0] == "-" ? null : IllumosText.Int(f[0], input, $"{where}: zone id");
            if (f[1].Length == 0)
            {
                throw new ParseException(input, $"{where}: empty zone name");
            }

            if (!States.Contains(f[2]))
            {
                throw new ParseException(input, $"{where}: unknown zone state '{f[2]}'");
            }

            if (!f[3].StartsWith('/'))
            {
                throw new ParseException(input, $"{where}: zonepath '{f[3]}' is not absolute");
            }

            if (!names.Add(f[1]))
            {
                throw new ParseException(input, $"{where}: zone '{f[1]}' listed twice");
            }

            result.Add(new ZoneadmEntry(id, f[1], f[2], f[3], Empty(f[4]), Empty(f[5]), Empty(f[6])));
        }

        if (result.Count == 0)
        {
            throw new ParseException(input, "empty output (the global zone is always listed)");
        }

        return result.ToImmutable();
    }

    private static string? Empty(string s) => s.Length == 0 ? null : s;

    private static List<string> Split(string line, string input, string where)
    {
        var fields = new List<string>(8);
        var current = new StringBuilder();
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\')
            {
                if (i + 1 >= line.Length)
                {
                    throw new ParseException(input, $"{where}: line ends inside a '\\' escape");
                }

                current.Append(line[++i]);
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
