namespace LwpWatch.Core.Rules;

/// <summary>
/// Every rule id: the `rule` label, JSON value and alertname source. The only place in src/ where a rule id is
/// spelled (a test scans src/ for quoted ids elsewhere), so code compares against these, never against a literal.
/// </summary>
public static class RuleIds
{
    public const string NearCap = "near-cap";
    public const string ForkDenied = "fork-denied";
    public const string ConfiguredNotEnforced = "configured-not-enforced";
    public const string ServiceStuck = "service-stuck";
    public const string ProvisionStuck = "provision-stuck";
    public const string ExhaustionForecast = "exhaustion-forecast";
    public const string CapStarvation = "cap-starvation";
    public const string HostLimits = "host-limits";
    public const string CollectorHealth = "collector-health";

    /// <summary>All ids, in the order the rules are registered.</summary>
    public static IReadOnlyList<string> All { get; } =
        [NearCap, ForkDenied, ConfiguredNotEnforced, ServiceStuck, ProvisionStuck, ExhaustionForecast, CapStarvation, HostLimits, CollectorHealth];

    /// <summary>
    /// Root causes first: when more critical findings fire than one poll may gather evidence for, the bundles that
    /// must exist before vmadm (or an operator) stops the zone are the cap-starvation and stuck-provision ones;
    /// symptoms can wait a poll. Lower is more urgent.
    /// </summary>
    public static int EvidencePriority(string rule) => rule switch
    {
        CapStarvation => 0,
        ProvisionStuck => 1,
        ServiceStuck => 2,
        _ => 3,
    };
}
