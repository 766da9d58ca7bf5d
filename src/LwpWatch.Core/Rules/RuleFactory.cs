using LwpWatch.Core.Options;

namespace LwpWatch.Core.Rules;

/// <summary>The one place rules are registered, in evaluation order. Adding a rule = one line here.</summary>
public static class RuleFactory
{
    public static IReadOnlyList<IRule> Create(RulesSettings settings) =>
    [
        new NearCapRule(settings.NearCap),
        new ForkDeniedRule(settings.ForkDenied),
        new CollectorHealthRule(),
    ];
}
