using System.Globalization;

namespace LwpWatch.Collectors.Illumos;

/// <summary>Small helpers shared by the illumos parsers: numbered lines and strict invariant numbers.</summary>
internal static class IllumosText
{
    /// <summary>Non-blank lines with their 1-based line numbers (so errors can point at the line).</summary>
    public static IEnumerable<(int Number, string Line)> Lines(string text)
    {
        var n = 0;
        foreach (var raw in text.Split('\n'))
        {
            n++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length > 0)
            {
                yield return (n, line);
            }
        }
    }

    public static long Long(string value, string input, string what)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            throw new ParseException(input, $"{what}: '{value}' is not an integer");
        }

        return v;
    }

    public static long NonNegative(string value, string input, string what)
    {
        var v = Long(value, input, what);
        if (v < 0)
        {
            throw new ParseException(input, $"{what}: {v} is negative");
        }

        return v;
    }

    public static int Int(string value, string input, string what)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            throw new ParseException(input, $"{what}: '{value}' is not a non-negative integer");
        }

        return v;
    }

    public static string Line(int number) => string.Create(CultureInfo.InvariantCulture, $"line {number}");
}
