using System.Globalization;

namespace LwpWatch.Collectors.Linux;

/// <summary>Pure parsers for /proc/sys/kernel/{threads-max,pid_max} and /proc/loadavg.</summary>
public static class HostLimitsParser
{
    public static long ParseSingle(string text, string input) => CgroupFileParser.ParseCount(text, input);

    /// <summary>/proc/loadavg: "0.00 0.01 0.05 2/345 6789" -> (running 2, total 345).</summary>
    public static (long Running, long Total) ParseLoadavg(string text, string input)
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length < 4)
        {
            throw new ParseException(input, $"expected 5 fields, got {fields.Length}");
        }

        var slash = fields[3].IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0
            || !long.TryParse(fields[3].AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var running)
            || !long.TryParse(fields[3].AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total))
        {
            throw new ParseException(input, $"field 4 must be running/total, got '{fields[3]}'");
        }

        return (running, total);
    }
}
