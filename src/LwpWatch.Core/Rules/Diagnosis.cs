using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// The differential diagnosis of one stuck service/provision, pure over the rule context. The thread cap is
/// blamed only with evidence (the zone or a limiting ancestor at/near its cap, or refusing forks in the
/// window); otherwise CPU (PSI or nsec_waitrq growth), memory (OOM / forkfail_nomem rising), a dependency
/// that is itself failed/offline, or honestly "unknown".
/// </summary>
public static class Diagnosis
{
    public static Verdict Diagnose(string zoneId, ServiceState? service, RuleContext ctx, CapStarvationSettings s)
    {
        // The limit that bites may sit on an ancestor cgroup (a pod or container slice above the unit).
        foreach (var candidate in LimitCandidates(zoneId, ctx.Current))
        {
            var (denials, sinceStart, span) = DenialsInWindow(candidate, ctx, s.DenialWindow);
            var atCap = candidate.Ratio >= s.NearRatio || (candidate.Lwps is { } u && candidate.LwpLimit is { } l && u >= l);
            // A counter seen once has unknown age: it proves starvation only together with usage at the cap.
            if (atCap || (denials > 0 && !sinceStart))
            {
                var why = string.Create(CultureInfo.InvariantCulture, $"{candidate.DisplayName} at {candidate.Lwps}/{candidate.LwpLimit} threads{Refusals(candidate, denials, sinceStart, span, StartedAt(candidate, ctx.Current))}");
                return new Verdict(VerdictCause.ThreadCap, why, candidate, denials, sinceStart, DenialSpan: span);
            }
        }

        var zone = SnapshotIndex.Zone(ctx.Current, zoneId);
        var headroom = zone is { LwpLimit: { } cap, Lwps: { } used }
            ? string.Create(CultureInfo.InvariantCulture, $"not short of threads ({used}/{cap})")
            : zone is { Lwps: { } used2 } ? string.Create(CultureInfo.InvariantCulture, $"not short of threads ({used2}, no cap)") : "no thread cap evidence";

        if (zone?.Pressure is { } p)
        {
            if (p.CpuPressureAvg10 is { } psi && psi >= s.CpuPressurePercent)
            {
                return new Verdict(VerdictCause.Cpu, string.Create(CultureInfo.InvariantCulture, $"{headroom}; CPU starved: cpu.pressure some avg10={psi:0.##}%"), null, 0, false);
            }

            if (WaitRqPerSecond(zoneId, ctx) is { } wait && wait >= s.CpuWaitPerSecond)
            {
                return new Verdict(VerdictCause.Cpu, string.Create(CultureInfo.InvariantCulture, $"{headroom}; CPU starved: runnable threads waited {wait:0.##} CPU-s per second (nsec_waitrq)"), null, 0, false);
            }

            if (MemoryFailuresInWindow(zoneId, ctx, s.DenialWindow) is > 0 and var mem)
            {
                return new Verdict(VerdictCause.Memory, string.Create(CultureInfo.InvariantCulture, $"{headroom}; memory: {mem} OOM/allocation failures in the last {Fmt(s.DenialWindow)}"), null, 0, false);
            }
        }

        if (service is not null && !service.Dependencies.IsDefaultOrEmpty)
        {
            // An SMF FMRI names a service in every zone (each zone's svc:/milestone/network is its own): on illumos a
            // dependency is the one in the same zone. systemd units of one manager sit in different cgroups (zones).
            var sameZone = zone?.Kind == ZoneKind.IllumosZone;
            foreach (var dep in service.Dependencies)
            {
                foreach (var other in ctx.Current.Services)
                {
                    if (other.Name == dep && (!sameZone || other.ZoneId == service.ZoneId)
                        && other.State is "failed" or "maintenance" or "offline" or "degraded" && !other.InTransition)
                    {
                        return new Verdict(VerdictCause.Dependency, $"{headroom}; it needs {dep}, which is {other.State}", null, 0, false);
                    }
                }
            }
        }

        return new Verdict(VerdictCause.Unknown, $"{headroom}; no CPU, memory or failed-dependency evidence: look at the service's own start method and log", null, 0, false);
    }

    /// <summary>
    /// For a provision racing vmadm's deadline: usage fitted by least squares over the samples in the window
    /// (at least two, still rising at the last one) reaches the cap before the deadline. Firing then, while the
    /// zone still has LWPs to spare, is what lets prctl act at all (it cannot on a zone exactly at its cap)
    /// and saves the evidence before vmadm stops the zone.
    /// </summary>
    public static Verdict? ProjectBeforeDeadline(Zone zone, DateTimeOffset deadline, RuleContext ctx, TimeSpan window)
    {
        if (zone.LwpLimit is not { } cap || zone.Lwps is not { } used || used >= cap || deadline <= ctx.Now)
        {
            return null;
        }

        var samples = ctx.History.Of(zone.Id);
        var cutoff = (ctx.Now - window).UtcTicks;
        var from = samples.Length;
        while (from > 0 && samples[from - 1].TicksUtc >= cutoff)
        {
            from--;
        }

        // At least two usage figures in the window, the last one still higher than the one before it.
        long? last = null, beforeLast = null;
        var n = 0;
        foreach (var sample in samples[from..])
        {
            if (sample.Lwps is { } u)
            {
                beforeLast = last;
                last = u;
                n++;
            }
        }

        if (n < 2 || last <= beforeLast || ExhaustionForecastRule.Fit(samples[from..], ctx.Now) is not var (a, b, _) || b <= 0)
        {
            return null;
        }

        var seconds = (cap - Math.Max(a, used)) / b;
        var left = (deadline - ctx.Now).TotalSeconds;
        if (seconds >= left)
        {
            return null;
        }

        var detail = string.Create(CultureInfo.InvariantCulture,
            $"{zone.DisplayName} at {used}/{cap} threads and rising {b * 60:0}/min: at its cap in ~{Math.Max(0, (long)seconds)}s, before vmadm's deadline in {(long)left}s");
        return new Verdict(VerdictCause.ThreadCap, detail, zone, 0, false, Projected: true);
    }

    /// <summary>The zone itself, then its ancestors (cgroup paths), each only if it has a cap.</summary>
    public static IEnumerable<Zone> LimitCandidates(string zoneId, Snapshot snapshot)
    {
        var id = zoneId;
        for (var depth = 0; depth < 64 && id.Length > 0; depth++)
        {
            if (SnapshotIndex.Zone(snapshot, id) is { LwpLimit: not null } z)
            {
                yield return z;
            }

            var slash = id.LastIndexOf('/');
            if (slash <= 0)
            {
                yield break;
            }

            id = id[..slash];
        }
    }

    /// <summary>
    /// ", 116 refused since it started at 01:00:00Z (+60 in the last 1m00s)": every refusal the counter holds (it
    /// counts from the cgroup's creation / the zone's boot), then what LwpWatch itself saw rise, over the span it
    /// really watched (a window reaching back before LwpWatch's first sample would claim refusals it never saw, or
    /// miss them). The start time is printed when the manager says it (<see cref="StartedAt"/>).
    /// </summary>
    public static string Refusals(Zone zone, long rise, bool sinceStart, TimeSpan span, DateTimeOffset? started = null)
    {
        if (zone.Denials is not (> 0 and var total))
        {
            return "";
        }

        return !sinceStart && rise > 0 && rise < total && span > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $", {total} refused {SinceStart(started)} (+{rise} in the last {Fmt(span)})")
            : string.Create(CultureInfo.InvariantCulture, $", {total} refused {SinceStart(started)}");
    }

    /// <summary>"since it started at 01:00:00Z" when the start is known, else "since it started".</summary>
    public static string SinceStart(DateTimeOffset? started) => started is { } t
        ? string.Create(CultureInfo.InvariantCulture, $"since it started at {t.UtcDateTime:HH:mm:ss}Z")
        : "since it started";

    /// <summary>
    /// When the zone's counters began: the start of the unit that owns the cgroup (systemd creates a unit's cgroup
    /// when it starts and removes it when it stops, so pids.events counts from that start). Null when no manager
    /// says (a mkdir'ed cgroup, an illumos zone: the counter still counts from creation/boot, only the time is
    /// unknown; kernfs gives a cgroup directory the time its inode was instantiated, not its creation, so the
    /// directory's mtime cannot tell).
    /// </summary>
    public static DateTimeOffset? StartedAt(Zone zone, Snapshot snapshot)
    {
        if (zone.Unit is not { } unit)
        {
            return null;
        }

        foreach (var s in snapshot.Services)
        {
            if (s.StartedAt is { } t && t <= snapshot.TakenAt && string.Equals(s.Name, unit, StringComparison.Ordinal)
                && string.Equals(s.ZoneId, zone.Id, StringComparison.Ordinal))
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>
    /// Denials of a zone within the window: now minus the oldest sample in it (a counter that went down reset:
    /// count from the reset), and the time from that sample to now. With a single sample the whole counter is
    /// returned and flagged "since start".
    /// </summary>
    public static (long Denials, bool SinceStart, TimeSpan Span) DenialsInWindow(Zone zone, RuleContext ctx, TimeSpan window)
    {
        if (zone.Denials is not { } now)
        {
            return (0, false, TimeSpan.Zero);
        }

        var cutoff = (ctx.Now - window).UtcTicks;
        var nowTicks = ctx.Now.UtcTicks;
        long? baseline = null;
        long baselineTicks = nowTicks;
        var prev = (long?)null;
        foreach (var sample in ctx.History.Of(zone.Id))
        {
            // The current poll is `now` itself, not a baseline.
            if (sample.TicksUtc < cutoff || sample.TicksUtc == nowTicks)
            {
                continue;
            }

            if (sample.Denials is { } d)
            {
                if (prev is { } p && d < p)
                {
                    baseline = 0; // reset inside the window
                    baselineTicks = sample.TicksUtc;
                }
                else if (baseline is null)
                {
                    baseline = d;
                    baselineTicks = sample.TicksUtc;
                }

                prev = d;
            }
        }

        if (baseline is null)
        {
            return (now, true, TimeSpan.Zero);
        }

        var span = TimeSpan.FromTicks(nowTicks - baselineTicks);
        if (prev is { } last && now < last)
        {
            return (now, false, span); // reset between the last sample and now
        }

        return (now - baseline.Value, false, span);
    }

    /// <summary>Memory failures over the window (from the first sample in it to now; a counter that went down restarted: all of now).</summary>
    private static long? MemoryFailuresInWindow(string zoneId, RuleContext ctx, TimeSpan window)
    {
        var cutoff = (ctx.Now - window).UtcTicks;
        long? first = null;
        foreach (var sample in ctx.History.Of(zoneId))
        {
            if (sample.TicksUtc >= cutoff && sample.MemoryFailures is { } v)
            {
                first = v;
                break;
            }
        }

        var cur = SnapshotIndex.Zone(ctx.Current, zoneId)?.Pressure?.MemoryFailures;
        return cur is { } n && first is { } f ? (n >= f ? n - f : n) : null;
    }

    /// <summary>nsec_waitrq growth between the previous and the current poll, in seconds waited per wall second.</summary>
    private static double? WaitRqPerSecond(string zoneId, RuleContext ctx)
    {
        if (ctx.Previous is not { } prev || SnapshotIndex.Zone(prev, zoneId)?.Pressure?.CpuWaitNanos is not { } a
            || SnapshotIndex.Zone(ctx.Current, zoneId)?.Pressure?.CpuWaitNanos is not { } b || b < a)
        {
            return null;
        }

        var wall = (ctx.Now - prev.TakenAt).TotalSeconds;
        return wall <= 0 ? null : (b - a) / 1e9 / wall;
    }

    public static string Fmt(TimeSpan t) => t.TotalSeconds < 120
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalSeconds}s")
        : t.TotalMinutes < 120
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m{t.Seconds:00}s")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:00}m");

    /// <summary>Evidence rows for the top holders of a zone: what an operator would look at first.</summary>
    public static ImmutableArray<EvidenceMap> Holders(Snapshot snapshot, string zoneId)
    {
        var b = ImmutableArray.CreateBuilder<EvidenceMap>();
        foreach (var h in snapshot.TopHolders)
        {
            if (h.ZoneId == zoneId)
            {
                b.Add(Holder(h));
            }
        }

        return b.ToImmutable();
    }

    /// <summary>One top holder as every output writes it: pid, command, args, lwps.</summary>
    public static EvidenceMap Holder(ThreadHolder h) => EvidenceMap.Of(("pid", h.Pid), ("command", h.Command), ("args", h.Args), ("lwps", h.Lwps));
}
