using System.Globalization;

namespace LwpWatch.Collectors.Linux;

/// <summary>A process as /proc/&lt;pid&gt;/stat describes it (only what LwpWatch needs).</summary>
public sealed record ProcStat(int Pid, string Comm, long Threads);

/// <summary>Pure parser of /proc/&lt;pid&gt;/stat. comm may hold spaces and parentheses, so fields are counted after the last ')'.</summary>
public static class ProcStatParser
{
    public static ProcStat Parse(string text, string input)
    {
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open <= 0 || close < open)
        {
            throw new ParseException(input, "no '(comm)' field");
        }

        if (!int.TryParse(text.AsSpan(0, open).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            throw new ParseException(input, "pid is not a number");
        }

        var comm = text[(open + 1)..close];
        // After ')': field 3 (state) is index 0, so num_threads (field 20) is index 17.
        var rest = text.AsSpan(close + 1);
        var index = -1;
        foreach (var range in rest.Split(' '))
        {
            var f = rest[range];
            if (f.IsEmpty)
            {
                continue;
            }

            index++;
            if (index == 17)
            {
                if (!long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var threads))
                {
                    throw new ParseException(input, $"num_threads is not a number: '{f}'");
                }

                return new ProcStat(pid, comm, threads);
            }
        }

        throw new ParseException(input, $"only {index + 1} fields after comm, expected at least 18");
    }

    /// <summary>/proc/&lt;pid&gt;/cmdline: NUL-separated argv, cut to <paramref name="max"/> chars like psinfo's pr_psargs.</summary>
    public static string Cmdline(string raw, int max = 80)
    {
        var s = raw.TrimEnd('\0').Replace('\0', ' ');
        return s.Length > max ? s[..max] : s;
    }
}
