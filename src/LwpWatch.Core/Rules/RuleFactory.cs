using LwpWatch.Core.Options;

namespace LwpWatch.Core.Rules;

/// <summary>The one place rules are registered, in evaluation order. Adding a rule = one line here.</summary>
public static class RuleFactory
{
    public static IReadOnlyList<IRule> Create(RulesSettings settings)
    {
        // One sizing for every rule that suggests a cap: one zone, one number.
        var sizing = CapSizing.From(settings);
        return
        [
            new NearCapRule(settings.NearCap, sizing),
            new ForkDeniedRule(settings.ForkDenied, sizing),
            new ConfiguredNotEnforcedRule(settings.ConfiguredNotEnforced),
            new ServiceStuckRule(settings.ServiceStuck, settings.CapStarvation),
            new ProvisionStuckRule(settings.ProvisionStuck),
            new ExhaustionForecastRule(settings.ExhaustionForecast, sizing),
            new CapStarvationRule(settings.CapStarvation, settings.ProvisionStuck, sizing),
            new HostLimitsRule(settings.HostLimits),
            new CollectorHealthRule(),
        ];
    }
}
