using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>A service in transition this poll and when its episode began.</summary>
public sealed record StuckService(ServiceState Service, DateTimeOffset Since);

/// <summary>A provision vmadm is still working on (marker present, state provisioning) and when it began.</summary>
public sealed record StuckProvision(Provision Provision, DateTimeOffset Since)
{
    public TimeSpan AgeAt(DateTimeOffset now) => now - Since;
}

/// <summary>
/// What is in transition this poll, computed once per poll by the engine (<see cref="RuleContext.Stuck"/>) so that
/// service-stuck, provision-stuck, cap-starvation and explain all measure the same episode from the same first
/// sight, instead of each keeping a tracker of its own that could disagree after a reload or a clock step.
/// </summary>
public sealed record StuckState(ImmutableArray<StuckService> Services, ImmutableArray<StuckProvision> Provisions)
{
    public static StuckState Empty { get; } = new([], []);
}

/// <summary>
/// Episode starts across polls. A service: the daemon's own first sight of its current (state, next state) is the
/// measure (a manager's STIME can be coarse or from a skewed clock); the manager's state-change time counts only
/// when it is earlier and not in the future, so a daemon restart does not reset a service stuck for an hour. A
/// change of state or next state starts a new episode. A provision: first sight, or the marker's mtime when older
/// (when provisioning began; first sight bounds it after a restart). Forgets what leaves transition, so the state
/// stays bounded by what the host has in transition now.
/// </summary>
public sealed class StuckTracker
{
    private readonly Dictionary<string, (string State, string? Next, DateTimeOffset FirstSeen)> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _provisions = new(StringComparer.Ordinal);

    /// <summary>Provisioning in the sense of vmadm's state machine (the only state a provision can be stuck in).</summary>
    public const string ProvisioningState = "provisioning";

    /// <summary>One poll; <paramref name="clockStep"/> moves remembered first sights by a wall-clock step (see <see cref="RuleContext.ClockStep"/>).</summary>
    public StuckState Update(Snapshot current, TimeSpan clockStep)
    {
        var now = current.TakenAt;
        if (clockStep != TimeSpan.Zero)
        {
            foreach (var (key, e) in _services.ToList())
            {
                _services[key] = e with { FirstSeen = e.FirstSeen + clockStep };
            }

            foreach (var (key, t) in _provisions.ToList())
            {
                _provisions[key] = t + clockStep;
            }
        }

        var services = ImmutableArray.CreateBuilder<StuckService>();
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in current.Services)
        {
            if (!s.InTransition)
            {
                continue;
            }

            var key = s.ZoneId + "\n" + s.Name;
            live.Add(key);
            if (!_services.TryGetValue(key, out var e) || e.State != s.State || e.Next != s.NextState)
            {
                e = (s.State, s.NextState, now);
                _services[key] = e;
            }

            var since = e.FirstSeen;
            if (s.StateSince is { } m && m < since && m <= now)
            {
                since = m;
            }

            services.Add(new StuckService(s, since));
        }

        Forget(_services, live);

        var provisions = ImmutableArray.CreateBuilder<StuckProvision>();
        live.Clear();
        foreach (var p in current.Provisions)
        {
            if (!p.MarkerPresent || p.VmState != ProvisioningState)
            {
                continue;
            }

            live.Add(p.ZoneId);
            if (!_provisions.TryGetValue(p.ZoneId, out var first))
            {
                first = now;
                _provisions[p.ZoneId] = first;
            }

            provisions.Add(new StuckProvision(p, p.MarkerSince is { } m && m < first ? m : first));
        }

        Forget(_provisions, live);
        return new StuckState(services.ToImmutable(), provisions.ToImmutable());
    }

    /// <summary>The state of a single poll seen with no history (first sight = now).</summary>
    public static StuckState Once(Snapshot current) => new StuckTracker().Update(current, TimeSpan.Zero);

    private static void Forget<T>(Dictionary<string, T> seen, HashSet<string> live)
    {
        if (live.Count != seen.Count)
        {
            foreach (var gone in seen.Keys.Where(k => !live.Contains(k)).ToList())
            {
                seen.Remove(gone);
            }
        }
    }
}
