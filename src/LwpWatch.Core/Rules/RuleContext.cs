using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>What a rule sees: this poll, the one before it, and a bounded window of recent polls (current included).</summary>
public sealed record RuleContext(Snapshot Current, Snapshot? Previous, ZoneHistory History)
{
    private StuckState? _stuck;

    public DateTimeOffset Now => Current.TakenAt;

    /// <summary>
    /// How far the wall clock stepped since the previous poll beyond the time that really passed (zero normally;
    /// negative for a step back). Rules that keep first-seen times move them by this much so a duration measured
    /// across an NTP step neither goes negative (which dropped, so resolved, firing alerts), nor holds a finding
    /// open until the clock catches up, nor jumps past a threshold because the clock went forward.
    /// </summary>
    public TimeSpan ClockStep { get; init; }

    /// <summary>
    /// Services in transition and provisions in progress with their episode starts, computed once per poll by the
    /// engine (<see cref="StuckTracker"/>). A context built by hand without it sees this poll alone (first sight = now).
    /// </summary>
    public StuckState Stuck
    {
        get => _stuck ??= StuckTracker.Once(Current);
        init => _stuck = value;
    }

    /// <summary>A stored time moved by <see cref="ClockStep"/>.</summary>
    public DateTimeOffset Adjust(DateTimeOffset t) => t + ClockStep;

    public static RuleContext Single(Snapshot current) => new(current, null, ZoneHistory.Of([current], TimeSpan.MaxValue));

    /// <summary>The context an engine would give for the last of these polls (oldest first), all of them kept.</summary>
    public static RuleContext Over(IReadOnlyList<Snapshot> polls)
    {
        var tracker = new StuckTracker();
        var stuck = StuckState.Empty;
        foreach (var p in polls)
        {
            stuck = tracker.Update(p, TimeSpan.Zero);
        }

        return new(polls[^1], polls.Count > 1 ? polls[^2] : null, ZoneHistory.Of(polls, TimeSpan.MaxValue, Math.Max(256, polls.Count))) { Stuck = stuck };
    }
}
