using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// How long each service has been in its current transition. The daemon's own first-seen time is the
/// measure (a manager's STIME can be coarse or from a skewed clock); the manager's state-change time counts
/// only when it is earlier and not in the future, so a daemon restart does not reset a service that has been
/// stuck for an hour. A change of state or next state starts a new episode. Forgets services that leave
/// transition, so the state stays bounded.
/// </summary>
public sealed class TransitionTracker
{
    private readonly Dictionary<string, (string State, string? Next, DateTimeOffset FirstSeen)> _seen = new(StringComparer.Ordinal);

    /// <summary>Updates from one snapshot; returns every service in transition with its episode start.</summary>
    public IReadOnlyList<(ServiceState Service, DateTimeOffset Since)> Update(RuleContext context)
    {
        var current = context.Current;
        var now = current.TakenAt;
        if (context.ClockStep != TimeSpan.Zero)
        {
            foreach (var (key, e) in _seen.ToList())
            {
                _seen[key] = e with { FirstSeen = context.Adjust(e.FirstSeen) };
            }
        }

        var result = new List<(ServiceState, DateTimeOffset)>();
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in current.Services)
        {
            if (!s.InTransition)
            {
                continue;
            }

            var key = s.ZoneId + "\n" + s.Name;
            live.Add(key);
            if (!_seen.TryGetValue(key, out var e) || e.State != s.State || e.Next != s.NextState)
            {
                e = (s.State, s.NextState, now);
                _seen[key] = e;
            }

            var since = e.FirstSeen;
            if (s.StateSince is { } m && m < since && m <= now)
            {
                since = m;
            }

            result.Add((s, since));
        }

        if (live.Count != _seen.Count)
        {
            foreach (var gone in _seen.Keys.Where(k => !live.Contains(k)).ToList())
            {
                _seen.Remove(gone);
            }
        }

        return result;
    }
}
