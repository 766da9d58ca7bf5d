namespace LwpWatch.Core.Rules;

/// <summary>
/// rules.capStarvation: when a stuck service or provision is blamed on its zone's thread cap, and the
/// thresholds of the differential diagnosis (what else it is when the zone is not short of threads).
/// </summary>
public sealed record CapStarvationSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// A service in transition this long in a starving zone is stuck because of it. Shorter than
    /// serviceStuck's threshold: with the cap proven exhausted there is no reason to wait, and vmadm stops a
    /// provisioning zone 300 s after creation.
    /// </summary>
    public TimeSpan StuckFor { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A zone at or above this usage/limit ratio is at its cap.</summary>
    public double NearRatio { get; init; } = 0.9;

    /// <summary>Denials in this window count as evidence of starvation.</summary>
    public TimeSpan DenialWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Headroom of the one suggested cap (<see cref="CapSizing"/>): every rule uses the largest of nearCap, forkDenied and capStarvation headroom.</summary>
    public double Headroom { get; init; } = 1.5;

    /// <summary>Linux cgroup cpu.pressure "some avg10" (%) at or above which a stuck service is blamed on CPU.</summary>
    public double CpuPressurePercent { get; init; } = 40;

    /// <summary>illumos zones:::nsec_waitrq growth, in CPU-seconds waited per wall second, at or above which CPU is blamed.</summary>
    public double CpuWaitPerSecond { get; init; } = 1.0;

    public IEnumerable<string> Validate(string path)
    {
        if (StuckFor < TimeSpan.Zero)
        {
            yield return $"{path}.stuckFor: must not be negative";
        }

        if (NearRatio is <= 0 or > 1)
        {
            yield return $"{path}.nearRatio: must be in (0, 1], got {NearRatio}";
        }

        if (DenialWindow <= TimeSpan.Zero)
        {
            yield return $"{path}.denialWindow: must be positive";
        }

        if (Headroom < 1)
        {
            yield return $"{path}.headroom: must be >= 1, got {Headroom}";
        }

        if (CpuPressurePercent is <= 0 or > 100)
        {
            yield return $"{path}.cpuPressurePercent: must be in (0, 100], got {CpuPressurePercent}";
        }

        if (CpuWaitPerSecond <= 0)
        {
            yield return $"{path}.cpuWaitPerSecond: must be positive, got {CpuWaitPerSecond}";
        }
    }
}
