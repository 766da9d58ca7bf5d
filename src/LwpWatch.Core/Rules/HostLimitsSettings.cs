namespace LwpWatch.Core.Rules;

/// <summary>rules.hostLimits: the host-wide task ceilings above every zone.</summary>
public sealed record HostLimitsSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>Tasks / min(threads-max, pid_max) at or above which the host is a warning.</summary>
    public double Warning { get; init; } = 0.8;

    public double Critical { get; init; } = 0.95;

    public IEnumerable<string> Validate(string path)
    {
        if (Warning is <= 0 or > 1)
        {
            yield return $"{path}.warning: must be in (0, 1], got {Warning}";
        }

        if (Critical is <= 0 or > 1 || Critical < Warning)
        {
            yield return $"{path}.critical: must be in (0, 1] and >= warning, got {Critical}";
        }
    }
}
