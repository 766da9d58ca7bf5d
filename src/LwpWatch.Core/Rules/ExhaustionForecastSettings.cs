namespace LwpWatch.Core.Rules;

/// <summary>rules.exhaustionForecast: least-squares trend of usage; fires when the cap is reached within the horizon.</summary>
public sealed record ExhaustionForecastSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>How far back the trend is fitted (bounded by poll.history).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Fire when the projected time to the cap is below this.</summary>
    public TimeSpan Horizon { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Samples needed in the window (after a reset) before any projection.</summary>
    public int MinSamples { get; init; } = 5;

    /// <summary>Coefficient of determination the line must reach: noise around a level has none, so it never fires.</summary>
    public double MinR2 { get; init; } = 0.6;

    /// <summary>
    /// A sample below this fraction of the one before it is a restart (zone reboot, cgroup recreated): the
    /// trend starts again after it instead of reading the drop as a falling trend.
    /// </summary>
    public double ResetDrop { get; init; } = 0.5;

    public IEnumerable<string> Validate(string path)
    {
        if (Window <= TimeSpan.Zero)
        {
            yield return $"{path}.window: must be positive";
        }

        if (Horizon <= TimeSpan.Zero)
        {
            yield return $"{path}.horizon: must be positive";
        }

        if (MinSamples < 3)
        {
            yield return $"{path}.minSamples: must be at least 3, got {MinSamples}";
        }

        if (MinR2 is < 0 or > 1)
        {
            yield return $"{path}.minR2: must be in [0, 1], got {MinR2}";
        }

        if (ResetDrop is <= 0 or >= 1)
        {
            yield return $"{path}.resetDrop: must be in (0, 1), got {ResetDrop}";
        }
    }
}
