using System.Collections.Immutable;

namespace LwpWatch.Collectors.Linux;

/// <summary>The cgroup2 mounts of a /proc/&lt;pid&gt;/mountinfo: how many there are and their super-block options.</summary>
public sealed record Cgroup2Mounts(int Count, ImmutableArray<string> SuperOptions)
{
    /// <summary>
    /// pids.events counts a refused fork in the forking task's cgroup again (v1-like). The flag lives on the one
    /// cgroup2 root and is system wide (kernel/cgroup/cgroup.c cgroup_show_options prints cgrp_dfl_root.flags for
    /// every cgroup2 mount), so one mount saying so is enough.
    /// </summary>
    public bool PidsLocalEvents => SuperOptions.Contains("pids_localevents");
}

/// <summary>
/// Pure parser for /proc/self/mountinfo (proc(5); kernel fs/proc_namespace.c show_mountinfo):
/// <c>id parent major:minor root mountpoint mount-options [optional fields...] - fstype source super-options</c>,
/// one mount per line, fields separated by single spaces (spaces inside a field are written as \040).
/// </summary>
public static class MountInfoParser
{
    public static Cgroup2Mounts ParseCgroup2(string text, string input)
    {
        var count = 0;
        var options = ImmutableArray.CreateBuilder<string>();
        var lineNumber = 0;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            if (raw.IsEmpty)
            {
                continue;
            }

            var fields = raw.ToString().Split(' ');
            var dash = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 10 || dash < 0 || fields.Length < dash + 4)
            {
                throw new ParseException(input, $"line {lineNumber}: expected 'id parent dev root mountpoint options ... - fstype source superoptions'");
            }

            if (fields[dash + 1] != "cgroup2")
            {
                continue;
            }

            count++;
            foreach (var o in fields[dash + 3].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!options.Contains(o))
                {
                    options.Add(o);
                }
            }
        }

        return new Cgroup2Mounts(count, options.ToImmutable());
    }
}
