using System.Collections.Immutable;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One line of <c>kstat -p</c>: module:instance:name:statistic TAB value.</summary>
public sealed record KstatValue(string Module, int Instance, string Name, string Statistic, string Value);

/// <summary>
/// Parses the parseable (<c>-p</c>) output of kstat. The key and the value are separated by a TAB; the key's
/// module, instance and statistic never contain ':', but a kstat name might, so the name is everything
/// between the second and the last ':'.
/// </summary>
public static class KstatParser
{
    public static ImmutableArray<KstatValue> Parse(string text, string input)
    {
        var result = ImmutableArray.CreateBuilder<KstatValue>();
        foreach (var (number, line) in IllumosText.Lines(text))
        {
            var where = IllumosText.Line(number);
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
            {
                throw new ParseException(input, $"{where}: no TAB between key and value in '{Cut(line)}'");
            }

            var key = line[..tab];
            var value = line[(tab + 1)..];
            var first = key.IndexOf(':', StringComparison.Ordinal);
            var second = first < 0 ? -1 : key.IndexOf(':', first + 1);
            var last = key.LastIndexOf(':');
            if (first <= 0 || second < 0 || last <= second)
            {
                throw new ParseException(input, $"{where}: key '{Cut(key)}' is not module:instance:name:statistic");
            }

            var instance = IllumosText.Int(key[(first + 1)..second], input, $"{where}: instance");
            var statistic = key[(last + 1)..];
            if (statistic.Length == 0)
            {
                throw new ParseException(input, $"{where}: empty statistic name in '{Cut(key)}'");
            }

            result.Add(new KstatValue(key[..first], instance, key[(second + 1)..last], statistic, value));
        }

        if (result.Count == 0)
        {
            throw new ParseException(input, "empty output");
        }

        return result.ToImmutable();
    }

    private static string Cut(string s) => s.Length > 80 ? s[..80] + "..." : s;
}
