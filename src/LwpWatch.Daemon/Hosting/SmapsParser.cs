using System.Globalization;

namespace LwpWatch.Daemon.Hosting;

/// <summary>One mapping of /proc/&lt;pid&gt;/smaps: its address range, permissions, file, resident and anonymous (copied-on-write) size.</summary>
public sealed record SmapsMapping(ulong Start, ulong End, string Perms, string Path, long RssKb, long AnonymousKb)
{
    /// <summary>Mapped read-only and private: nothing in it can have been written since it was mapped.</summary>
    public bool ReadOnlyPrivate => Perms.Length == 4 && Perms[0] == 'r' && Perms[1] == '-' && Perms[3] == 'p';
}

/// <summary>
/// Pure parser for /proc/&lt;pid&gt;/smaps (proc(5); kernel fs/proc/task_mmu.c: show_map_vma writes the header line
/// "start-end perms offset dev inode [path]", show_smap the "Key: value kB" lines, ending with VmFlags).
/// </summary>
public static class SmapsParser
{
    public static IReadOnlyList<SmapsMapping> Parse(string text)
    {
        var result = new List<SmapsMapping>();
        SmapsMapping? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            if (TryHeader(line, out var header))
            {
                if (current is not null)
                {
                    result.Add(current);
                }

                current = header;
                continue;
            }

            if (current is null)
            {
                throw new FormatException($"smaps: a field before the first mapping: '{Clip(line)}'");
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"smaps: not a mapping header nor a 'Key: value' line: '{Clip(line)}'");
            }

            var key = line[..colon];
            if (key is "Rss" or "Anonymous")
            {
                var value = line[(colon + 1)..].Trim();
                var kb = value.EndsWith(" kB", StringComparison.Ordinal) ? value[..^3].Trim() : value;
                if (!long.TryParse(kb, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    throw new FormatException($"smaps: {key} is not a number of kB: '{Clip(line)}'");
                }

                current = key == "Rss" ? current with { RssKb = n } : current with { AnonymousKb = n };
            }
        }

        if (current is not null)
        {
            result.Add(current);
        }

        return result;
    }

    private static bool TryHeader(string line, out SmapsMapping header)
    {
        header = null!;
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || fields[0].EndsWith(':'))
        {
            return false;
        }

        var dash = fields[0].IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
            || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
            || fields[1].Length != 4)
        {
            return false;
        }

        header = new SmapsMapping(start, end, fields[1], fields.Length == 6 ? fields[5].Trim() : "", 0, 0);
        return true;
    }

    private static string Clip(string s) => s.Length <= 80 ? s : s[..80] + "...";
}
