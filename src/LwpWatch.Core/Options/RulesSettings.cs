using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Options;

/// <summary>rules: one section per rule.</summary>
public sealed record RulesSettings
{
    public NearCapSettings NearCap { get; init; } = new();

    public ForkDeniedSettings ForkDenied { get; init; } = new();

    public ConfiguredNotEnforcedSettings ConfiguredNotEnforced { get; init; } = new();

    public ServiceStuckSettings ServiceStuck { get; init; } = new();

    public ProvisionStuckSettings ProvisionStuck { get; init; } = new();

    public ExhaustionForecastSettings ExhaustionForecast { get; init; } = new();

    public CapStarvationSettings CapStarvation { get; init; } = new();

    public HostLimitsSettings HostLimits { get; init; } = new();

    public IEnumerable<string> Validate(string path) =>
        NearCap.Validate($"{path}.nearCap")
            .Concat(ForkDenied.Validate($"{path}.forkDenied"))
            .Concat(ConfiguredNotEnforced.Validate($"{path}.configuredNotEnforced"))
            .Concat(ServiceStuck.Validate($"{path}.serviceStuck"))
            .Concat(ProvisionStuck.Validate($"{path}.provisionStuck"))
            .Concat(ExhaustionForecast.Validate($"{path}.exhaustionForecast"))
            .Concat(CapStarvation.Validate($"{path}.capStarvation"))
            .Concat(HostLimits.Validate($"{path}.hostLimits"));
}
