namespace LwpWatch.Core.Rules;

/// <summary>rules.forkDenied: the cap refused a fork or thread creation.</summary>
public sealed record ForkDeniedSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>A rise keeps the finding firing this long, so one burst is one alert, not a flap per poll.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// On first sight (no earlier sample, e.g. a one-shot check) the counter's age is unknown: a non-zero
    /// counter is critical only if usage/limit is at least this, a warning otherwise.
    /// </summary>
    public double FirstSightCriticalRatio { get; init; } = 0.9;

    /// <summary>Headroom of the one suggested cap (<see cref="CapSizing"/>): every rule uses the largest of nearCap, forkDenied and capStarvation headroom.</summary>
    public double Headroom { get; init; } = 1.5;

    public IEnumerable<string> Validate(string path)
    {
        if (Window <= TimeSpan.Zero)
        {
            yield return $"{path}.window: must be positive";
        }

        if (FirstSightCriticalRatio is <= 0 or > 1)
        {
            yield return $"{path}.firstSightCriticalRatio: must be in (0, 1], got {FirstSightCriticalRatio}";
        }

        if (Headroom < 1)
        {
            yield return $"{path}.headroom: must be >= 1, got {Headroom}";
        }
    }
}
