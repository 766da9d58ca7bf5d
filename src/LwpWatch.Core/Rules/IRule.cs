namespace LwpWatch.Core.Rules;

/// <summary>
/// Turns (previous, current) snapshots into findings. A rule may keep per-zone state between calls
/// (for-durations, counters); it must forget zones that disappear so state stays bounded.
/// </summary>
public interface IRule
{
    /// <summary>The `rule` label/JSON value, kebab-case (near-cap, fork-denied, ...).</summary>
    string Name { get; }

    IEnumerable<Finding> Evaluate(RuleContext context);
}
