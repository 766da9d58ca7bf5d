using System.Collections.Frozen;
using LwpWatch.Core.Options;

namespace LwpWatch.Core.Rules;

/// <summary>
/// One rule's registration: its id (a <see cref="RuleIds"/> constant), how it is built from the rules settings,
/// and where its findings sit in an incident.
/// </summary>
public sealed record RuleRegistration(string Id, IncidentRole Role, Func<RulesSettings, CapSizing, IRule> Create);

/// <summary>
/// The one place rules are registered, in evaluation order. Adding a rule = its class, its settings, one line here
/// (and its id in <see cref="RuleIds"/>), its tests and its entry in config/lwpwatch.yaml; what else knows about
/// rules (the rule list, alert names, the incident chain, evidence priority, the shipped Alertmanager inhibit rules'
/// test) reads this table.
/// </summary>
public static class RuleFactory
{
    /// <summary>
    /// The incident chain, most fundamental first: the kernel enforcing a cap nobody configured any more explains a
    /// starving zone; a starving zone explains its stuck provision; a stuck provision (for another reason) explains
    /// its stuck services; refusals at the cap (fork-denied) explain the zone being near it, its forecast and its
    /// stuck services when nothing above fires (a zone at its cap without a stuck service is one page, not two:
    /// refused forks are the harm, near-cap alone is still its own incident); the rest are symptoms.
    /// host-limits and collector-health are about the host, not a zone.
    /// </summary>
    public static IReadOnlyList<RuleRegistration> Registry { get; } =
    [
        new(RuleIds.NearCap, IncidentRole.Symptom, (s, sizing) => new NearCapRule(s.NearCap, sizing)),
        new(RuleIds.ForkDenied, IncidentRole.RootCause(4), (s, sizing) => new ForkDeniedRule(s.ForkDenied, sizing)),
        new(RuleIds.ConfiguredNotEnforced, IncidentRole.RootCause(1), (s, _) => new ConfiguredNotEnforcedRule(s.ConfiguredNotEnforced)),
        new(RuleIds.ServiceStuck, IncidentRole.Symptom, (s, _) => new ServiceStuckRule(s.ServiceStuck, s.CapStarvation)),
        new(RuleIds.ProvisionStuck, IncidentRole.RootCause(3), (s, _) => new ProvisionStuckRule(s.ProvisionStuck, s.CapStarvation)),
        new(RuleIds.ExhaustionForecast, IncidentRole.Symptom, (s, sizing) => new ExhaustionForecastRule(s.ExhaustionForecast, sizing)),
        new(RuleIds.CapStarvation, IncidentRole.RootCause(2), (s, sizing) => new CapStarvationRule(s.CapStarvation, s.ProvisionStuck, sizing)),
        new(RuleIds.HostLimits, IncidentRole.None, (s, _) => new HostLimitsRule(s.HostLimits)),
        new(RuleIds.CollectorHealth, IncidentRole.None, (_, _) => new CollectorHealthRule()),
    ];

    private static readonly FrozenDictionary<string, RuleRegistration> ById = Registry.ToFrozenDictionary(r => r.Id, StringComparer.Ordinal);

    public static IReadOnlyList<IRule> Create(RulesSettings settings)
    {
        // One sizing for every rule that suggests a cap: one zone, one number.
        var sizing = CapSizing.From(settings);
        return [.. Registry.Select(r => r.Create(settings, sizing))];
    }

    /// <summary>The role of a rule's findings; <see cref="IncidentRole.None"/> for an id no rule has (an alert saved by another version).</summary>
    public static IncidentRole RoleOf(string rule) => ById.TryGetValue(rule, out var r) ? r.Role : IncidentRole.None;
}
