using System.Globalization;

namespace LwpWatch.Collectors.Linux;

/// <summary>Pure parsers for cgroup memory.events (v2) and memory.oom_control (v1): flat "key value" lines.</summary>
public static class PressureParser
{
    /// <summary>The value of <paramref name="key"/> in a flat-keyed file, null when the key is absent.</summary>
    public static long? FlatKeyed(string text, string key, string input)
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
                throw new ParseException(input, $"expected 'key value', got '{(line.Length > 40 ? line[..40].ToString() : line.ToString())}'");
            }

            if (!line[..sp].SequenceEqual(key))
            {
                continue;
            }

            var value = line[(sp + 1)..].Trim();
            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ParseException(input, $"value of '{key}' is not a non-negative integer");
        }

        return null;
    }

    /// <summary>v2 memory.events: oom + oom_kill (times the cgroup hit its memory limit / had a task killed).</summary>
    public static long MemoryEventsFailures(string text, string input) =>
        (FlatKeyed(text, "oom", input) ?? 0) + (FlatKeyed(text, "oom_kill", input) ?? 0);

    /// <summary>v1 memory.oom_control: oom_kill (v1 keeps no count of limit hits).</summary>
    public static long OomControlKills(string text, string input) => FlatKeyed(text, "oom_kill", input) ?? 0;
}
