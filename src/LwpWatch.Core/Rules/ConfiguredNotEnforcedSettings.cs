namespace LwpWatch.Core.Rules;

/// <summary>
/// rules.configuredNotEnforced (illumos): the zone's configuration says one LWP cap, the kernel enforces a
/// smaller one, and forks are being refused because of it.
/// </summary>
public sealed record ConfiguredNotEnforcedSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>Denials must have risen within this window (a counter seen once has unknown age and is not enough).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Usage below this share of the configured cap is "far below" it: that cap cannot be what refuses forks.</summary>
    public double FarBelowRatio { get; init; } = 0.9;

    /// <summary>Usage (LWPs or processes) at or above this share of the boot-time cap is "at" it: that cap is what refuses forks.</summary>
    public double AtBootCapRatio { get; init; } = 0.95;

    public IEnumerable<string> Validate(string path)
    {
        if (Window <= TimeSpan.Zero)
        {
            yield return $"{path}.window: must be positive";
        }

        if (FarBelowRatio is <= 0 or > 1)
        {
            yield return $"{path}.farBelowRatio: must be in (0, 1], got {FarBelowRatio}";
        }

        if (AtBootCapRatio is <= 0 or > 1)
        {
            yield return $"{path}.atBootCapRatio: must be in (0, 1], got {AtBootCapRatio}";
        }
    }
}
