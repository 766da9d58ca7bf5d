namespace LwpWatch.Core.Rules;

/// <summary>rules.nearCap: usage/limit ratios that warn and page, how long they must hold, and the dead band.</summary>
public sealed record NearCapSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>usage/limit at or above which the zone is a warning.</summary>
    public double Warning { get; init; } = 0.85;

    /// <summary>usage/limit at or above which the zone is critical.</summary>
    public double Critical { get; init; } = 0.95;

    /// <summary>How long a level must hold before it fires (0 = at once).</summary>
    public TimeSpan For { get; init; } = TimeSpan.Zero;

    /// <summary>A level clears only when the ratio drops this far below its threshold, so a value hovering at the threshold does not flap.</summary>
    public double Hysteresis { get; init; } = 0.03;

    /// <summary>Headroom of the one suggested cap (<see cref="CapSizing"/>): every rule uses the largest of nearCap, forkDenied and capStarvation headroom.</summary>
    public double Headroom { get; init; } = 1.5;

    public IEnumerable<string> Validate(string path)
    {
        if (Warning is <= 0 or > 1)
        {
            yield return $"{path}.warning: must be in (0, 1], got {Warning}";
        }

        if (Critical is <= 0 or > 1)
        {
            yield return $"{path}.critical: must be in (0, 1], got {Critical}";
        }
        else if (Warning is > 0 and <= 1 && Critical < Warning)
        {
            yield return $"{path}.critical: must be >= warning ({Warning}), got {Critical}";
        }

        if (Hysteresis is < 0 or >= 0.5)
        {
            yield return $"{path}.hysteresis: must be in [0, 0.5), got {Hysteresis}";
        }

        if (For < TimeSpan.Zero)
        {
            yield return $"{path}.for: must not be negative";
        }

        if (Headroom < 1)
        {
            yield return $"{path}.headroom: must be >= 1, got {Headroom}";
        }
    }
}
