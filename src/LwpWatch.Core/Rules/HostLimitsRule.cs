using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// host-limits: the host itself running out of tasks (Linux kernel.threads-max / kernel.pid_max against the
/// task count; every thread takes a pid) or its process table refusing forks (illumos forkfail_noproc rising
/// in any zone). No zone cap helps then, so the finding says so.
/// </summary>
public sealed class HostLimitsRule(HostLimitsSettings settings) : IRule
{
    public string Name => RuleIds.HostLimits;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var findings = new List<Finding>();
        if (!settings.Enabled)
        {
            return findings;
        }

        var host = context.Current.Host;
        if (context.Current.HostLimits is { Tasks: { } tasks } h && Ceiling(h) is var (limit, name))
        {
            var ratio = (double)tasks / limit;
            if (ratio >= settings.Warning)
            {
                var key = name == "threads-max" ? "kernel.threads-max" : "kernel.pid_max";
                var n = Math.Max(limit * 2, tasks * 2);
                findings.Add(new Finding
                {
                    Rule = Name,
                    ZoneId = host,
                    Severity = ratio >= settings.Critical ? Severity.Critical : Severity.Warning,
                    Since = context.Now,
                    Summary = string.Create(CultureInfo.InvariantCulture, $"host {host} has {tasks} tasks of {key}={limit} ({ratio * 100:0.#}%): forks fail host-wide, whatever the zone caps"),
                    Figures = EvidenceMap.Of(("tasks", tasks), ("threadsMax", h.ThreadsMax), ("pidMax", h.PidMax), ("ratio", Math.Round(ratio, 4)), ("limitingKey", key)),
                    // kernel.pid_max cannot exceed PID_MAX_LIMIT (4194304 on 64-bit, include/linux/threads.h).
                    Hints =
                    [
                        Hint.Command(Name, host, HintEffect.Live, ShellWord.Literal("sysctl"), ShellWord.Literal("-w"),
                            ShellWord.Literal(string.Create(CultureInfo.InvariantCulture, $"{key}={(key == "kernel.pid_max" ? Math.Min(n, 4_194_304) : n)}"))),
                    ],
                });
            }
        }

        if (context.Previous is { } prev)
        {
            long rose = 0;
            foreach (var z in context.Current.Zones)
            {
                if (z.Pressure?.ProcessTableFailures is { } now && SnapshotIndex.Zone(prev, z.Id)?.Pressure?.ProcessTableFailures is { } before && now > before)
                {
                    rose += now - before;
                }
            }

            if (rose > 0)
            {
                findings.Add(new Finding
                {
                    Rule = Name,
                    ZoneId = host,
                    Service = "process-table",
                    Severity = Severity.Critical,
                    Since = context.Now,
                    Summary = string.Create(CultureInfo.InvariantCulture, $"host {host}: {rose} forks refused because the host process table is full (forkfail_noproc): no zone cap change helps"),
                    Figures = EvidenceMap.Of(("forkfailNoproc", rose)),
                    // Read-only: the processes with their zone and LWP count (a hint is one argv, so no pipeline into sort).
                    Hints = [Hint.Command(Name, host, HintEffect.ReadOnly, [.. "ps -e -o zone,pid,nlwp,args".Split(' ').Select(ShellWord.Literal)])],
                });
            }
        }

        return findings;
    }

    private static (long Limit, string Name)? Ceiling(HostLimits h) => (h.ThreadsMax, h.PidMax) switch
    {
        ({ } t, { } p) => t <= p ? (t, "threads-max") : (p, "pid_max"),
        ({ } t, null) => (t, "threads-max"),
        (null, { } p) => (p, "pid_max"),
        _ => null,
    };
}
