using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>What a rule sees: this poll, the one before it, and a bounded window of recent polls (current included).</summary>
public sealed record RuleContext(Snapshot Current, Snapshot? Previous, ZoneHistory History)
{
    public DateTimeOffset Now => Current.TakenAt;

    public static RuleContext Single(Snapshot current) => new(current, null, ZoneHistory.Of([current], TimeSpan.MaxValue));

    /// <summary>The context an engine would give for the last of these polls (oldest first), all of them kept.</summary>
    public static RuleContext Over(IReadOnlyList<Snapshot> polls) =>
        new(polls[^1], polls.Count > 1 ? polls[^2] : null, ZoneHistory.Of(polls, TimeSpan.MaxValue, Math.Max(256, polls.Count)));
}
