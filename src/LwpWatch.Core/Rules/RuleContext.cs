using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>What a rule sees: this poll, the one before it, and a bounded window of recent polls (oldest first, current last).</summary>
public sealed record RuleContext(Snapshot Current, Snapshot? Previous, ImmutableArray<Snapshot> History)
{
    public DateTimeOffset Now => Current.TakenAt;

    public static RuleContext Single(Snapshot current) => new(current, null, [current]);
}
