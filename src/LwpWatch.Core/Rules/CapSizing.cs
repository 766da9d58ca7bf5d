using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Core.Rules;

/// <summary>
/// How many tasks (threads and processes; LWPs on illumos) a zone was seen to want: what it holds or held (usage,
/// peak, and the cap itself once it had to refuse one), plus the creations the kernel refused since the zone
/// started. <see cref="Refused"/> is the whole counter (pids.events max counts from the cgroup's creation, which is
/// the unit's start; forkfail_cap from the zone's boot), never only what LwpWatch saw rise: a unit that failed 31
/// creations in its first second and then waited shows no rise at all. <see cref="Counted"/> is the part of it taken
/// as demand: at most <see cref="CapSizing.RetryBound"/> times the cap, since a program retrying in a loop counts
/// the same missing task again and again (the nspawn sandbox's spawn retries 31 threads every 200 ms).
/// </summary>
public sealed record CapDemand(long Holds, long Refused, long Counted)
{
    public long Tasks => Holds + Counted;
}

/// <summary>
/// The one sizing of a suggested cap, used by every rule (near-cap, fork-denied, exhaustion-forecast, cap-starvation),
/// explain, the daemon, the alert and the evidence alike, so one zone never shows two numbers: the demand seen times
/// the headroom, and never less than what brings the demand below near-cap's clearing ratio (warning - hysteresis),
/// so the applied fix leaves no near-cap warning behind (51 tasks must not land at 51/60 = 85% when warning is
/// 0.85), rounded up to a readable step. A demand the counters cannot show (a program that wants 100 but retries
/// one fork a second) is met by applying the next finding's hint again: each application multiplies the cap.
/// </summary>
public sealed record CapSizing(double Headroom, double ClearRatio)
{
    /// <summary>Refusals counted as demand: at most this many times the cap (see <see cref="CapDemand.Counted"/>).</summary>
    public const long RetryBound = 2;

    public static CapSizing Default { get; } = From(new RulesSettings());

    /// <summary>
    /// From the configured rules: the largest of the nearCap, forkDenied and capStarvation headrooms (every rule
    /// shows the same number, so there can be only one) and near-cap's warning less its hysteresis.
    /// </summary>
    public static CapSizing From(RulesSettings rules) => new(
        Math.Max(1.0, Math.Max(rules.NearCap.Headroom, Math.Max(rules.ForkDenied.Headroom, rules.CapStarvation.Headroom))),
        Math.Max(0.01, rules.NearCap.Warning - rules.NearCap.Hysteresis));

    public static CapDemand DemandOf(Zone zone)
    {
        var cap = zone.LwpLimit ?? 0;
        var refused = Math.Max(zone.Denials ?? 0, 0);
        var holds = Math.Max(zone.Lwps ?? 0, Math.Max(zone.Peak ?? 0, cap));
        var counted = Math.Min(refused, RetryBound * Math.Max(cap, Math.Max(holds, 1)));
        return new CapDemand(holds, refused, counted);
    }

    /// <summary>Triton: a zone with a delegated dataset needs this many LWPs for `zfs mount -va` at boot.</summary>
    public const long TritonZfsMountLwps = 625;

    /// <summary>The cap to suggest for this zone from its demand alone.</summary>
    public long Suggest(Zone zone) => Suggest(DemandOf(zone));

    /// <summary>
    /// The cap every rule and explain suggest for this zone in this snapshot: <see cref="Suggest(Zone)"/>, and at least
    /// <see cref="TritonZfsMountLwps"/> for an illumos zone that is provisioning or has not mounted its filesystems (filesystem/local not online) (its
    /// demand is about to rise to what zfs mount -va needs, which no counter shows yet). In here, not in one rule,
    /// so near-cap, fork-denied and cap-starvation do not print 600 and 625 for the same zone.
    /// </summary>
    public long Suggest(Zone zone, Snapshot snapshot)
    {
        var n = Suggest(zone);
        if (zone.Kind != ZoneKind.IllumosZone || n >= TritonZfsMountLwps)
        {
            return n;
        }

        var id = zone.Id;
        var booting = snapshot.Provisions.Any(p => p.MarkerPresent && p.VmState == "provisioning" && string.Equals(p.ZoneId, id, StringComparison.Ordinal))
            || snapshot.Services.Any(s => (s.InTransition || s.State != "online") && string.Equals(s.ZoneId, id, StringComparison.Ordinal)
                && s.Name.StartsWith("svc:/system/filesystem/local", StringComparison.Ordinal));
        return booting ? TritonZfsMountLwps : n;
    }

    public long Suggest(CapDemand demand)
    {
        var tasks = Math.Max(demand.Tasks, 1);
        var n = Math.Max((long)Math.Ceiling(tasks * Headroom), (long)Math.Floor(tasks / ClearRatio) + 1);
        // The same comparison near-cap makes (usage / cap against the ratio), so rounding in floating point cannot
        // leave the fixed zone exactly at the line.
        while ((double)tasks / n >= ClearRatio)
        {
            n++;
        }

        var step = n < 100 ? 10 : n < 1000 ? 50 : n < 10_000 ? 100 : 1000;
        return (n + step - 1) / step * step;
    }
}
