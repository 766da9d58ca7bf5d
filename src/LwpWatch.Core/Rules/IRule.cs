namespace LwpWatch.Core.Rules;

/// <summary>
/// Turns (previous, current) snapshots into findings. A rule may keep per-zone state between calls
/// (for-durations, counters); it must forget zones that disappear so state stays bounded.
/// </summary>
public interface IRule
{
    /// <summary>The `rule` label/JSON value, kebab-case (near-cap, fork-denied, ...).</summary>
    string Name { get; }

    /// <summary>
    /// How far back this rule reads <see cref="RuleContext.History"/> (its longest window; zero when it reads none or is
    /// disabled). The engine keeps only the longest of these, within poll.history: history no rule reads is memory
    /// that grows with zones x polls for nothing.
    /// </summary>
    TimeSpan Lookback => TimeSpan.Zero;

    IEnumerable<Finding> Evaluate(RuleContext context);
}
