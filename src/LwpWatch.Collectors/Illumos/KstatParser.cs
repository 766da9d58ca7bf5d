using System.Collections.Immutable;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One line of <c>kstat -p</c>: module:instance:name:statistic TAB value.</summary>
public sealed record KstatValue(string Module, int Instance, string Name, string Statistic, string Value);

/// <summary>The statistics of one <c>kstat -p</c> run, and a warning for each line that could not be read.</summary>
public sealed record KstatOutput(ImmutableArray<KstatValue> Values, ImmutableArray<string> Warnings);

/// <summary>
/// Parses the parseable (<c>-p</c>) output of kstat: illumos-gate kstat.c prints "%s:%d:%s:%s" (module,
/// instance, name, statistic), a TAB, then the value. The key's module, instance and statistic never contain
/// ':', but a kstat name might, so the name is everything between the second and the last ':'. A line that
/// cannot be read is a warning and is skipped (it belongs to one kstat, so it costs at most one zone); output
/// with no readable line at all is an error.
/// </summary>
public static class KstatParser
{
    public static KstatOutput Parse(string text, string input)
    {
        var result = ImmutableArray.CreateBuilder<KstatValue>();
        var warnings = ImmutableArray.CreateBuilder<string>();
        var lines = 0;
        foreach (var (number, line) in IllumosText.Lines(text))
        {
            lines++;
            try
            {
                result.Add(ParseLine(line, input, IllumosText.Line(number)));
            }
            catch (ParseException ex)
            {
                warnings.Add(ex.Message + "; line skipped");
            }
        }

        if (lines == 0)
        {
            throw new ParseException(input, "empty output");
        }

        if (result.Count == 0)
        {
            throw new ParseException(input, $"no line could be read; first: {warnings[0]}");
        }

        return new KstatOutput(result.ToImmutable(), warnings.ToImmutable());
    }

    private static KstatValue ParseLine(string line, string input, string where)
    {
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

        return new KstatValue(key[..first], instance, key[(second + 1)..last], statistic, value);
    }

    private static string Cut(string s) => IllumosNames.Printable(s);
}
