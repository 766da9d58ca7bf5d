using System.Globalization;

namespace LwpWatch.Collectors.Linux;

/// <summary>Pure parsers for the cgroup pids.* files (same format on v1 and v2).</summary>
public static class CgroupFileParser
{
    /// <summary>pids.max: "max" (unlimited, returned as null) or a non-negative integer.</summary>
    public static long? ParseMax(string text, string input)
    {
        var t = text.AsSpan().Trim();
        if (t.SequenceEqual("max"))
        {
            return null;
        }

        return ParseCount(text, input);
    }

    /// <summary>pids.current / pids.peak: one non-negative integer.</summary>
    public static long ParseCount(string text, string input)
    {
        var t = text.AsSpan().Trim();
        if (t.IsEmpty)
        {
            throw new ParseException(input, "empty, expected a number");
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            throw new ParseException(input, $"expected a non-negative integer, got '{Clip(t)}'");
        }

        return v;
    }

    /// <summary>pids.events / pids.events.local: flat-keyed "max N" lines; returns N (0 when the key is absent).</summary>
    public static long ParseEventsMax(string text, string input)
    {
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            var sp = line.IndexOf(' ');
            if (sp <= 0)
            {
                throw new ParseException(input, $"expected 'key value', got '{Clip(line)}'");
            }

            var key = line[..sp];
            var value = line[(sp + 1)..].Trim();
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                throw new ParseException(input, $"value of '{key}' is not a non-negative integer: '{Clip(value)}'");
            }

            if (key.SequenceEqual("max"))
            {
                return n;
            }
        }

        return 0;
    }

    /// <summary>cpu.pressure: "some avg10=1.23 avg60=... total=..." -> the some avg10 percentage.</summary>
    public static double? ParsePressureSomeAvg10(string text, string input)
    {
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (!line.StartsWith("some "))
            {
                continue;
            }

            var i = line.IndexOf("avg10=");
            if (i < 0)
            {
                throw new ParseException(input, "'some' line has no avg10");
            }

            var rest = line[(i + 6)..];
            var end = rest.IndexOf(' ');
            var num = end < 0 ? rest : rest[..end];
            if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                throw new ParseException(input, $"avg10 is not a number: '{Clip(num)}'");
            }

            return v;
        }

        return null;
    }

    private static string Clip(ReadOnlySpan<char> s) => s.Length > 40 ? string.Concat(s[..40], "...") : s.ToString();
}
