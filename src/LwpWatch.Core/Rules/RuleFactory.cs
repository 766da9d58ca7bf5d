using LwpWatch.Core.Options;

namespace LwpWatch.Core.Rules;

/// <summary>The one place rules are registered, in evaluation order. Adding a rule = one line here.</summary>
public static class RuleFactory
{
    public static IReadOnlyList<IRule> Create(RulesSettings settings) =>
    [
        new NearCapRule(settings.NearCap),
        new ForkDeniedRule(settings.ForkDenied),
        new ConfiguredNotEnforcedRule(settings.ConfiguredNotEnforced),
        new ServiceStuckRule(settings.ServiceStuck, settings.CapStarvation),
        new ProvisionStuckRule(settings.ProvisionStuck),
        new ExhaustionForecastRule(settings.ExhaustionForecast),
        new CapStarvationRule(settings.CapStarvation, settings.ProvisionStuck),
        new HostLimitsRule(settings.HostLimits),
        new CollectorHealthRule(),
    ];
}
