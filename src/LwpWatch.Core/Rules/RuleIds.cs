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

    /// <summary>All ids, in the order the rules are registered (<see cref="RuleFactory.Registry"/>).</summary>
    public static IReadOnlyList<string> All { get; } = [.. RuleFactory.Registry.Select(r => r.Id)];
}
