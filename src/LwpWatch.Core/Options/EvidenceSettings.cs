namespace LwpWatch.Core.Options;

/// <summary>
/// evidence: when a critical finding first fires, save what proves it under &lt;state.dir&gt;/evidence, in the same
/// poll (on illumos vmadm stops a stuck provision's zone at its deadline, and the proof goes with it).
/// Bounded in time (budget per poll), count, age and size.
/// </summary>
public sealed record EvidenceSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>Wall time the poll may spend gathering evidence (commands run in parallel, each killed at the end).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Bundles written per poll at most; the rest are written on the next poll (their findings are still new).</summary>
    public int MaxPerPoll { get; init; } = 4;

    /// <summary>Bundles kept; the oldest go first.</summary>
    public int MaxBundles { get; init; } = 200;

    /// <summary>Bundles older than this are removed.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Service log lines kept in a bundle.</summary>
    public int LogLines { get; init; } = 50;

    /// <summary>Output kept per command in a bundle (the rest is cut and marked).</summary>
    public int MaxOutputBytes { get; init; } = 64 * 1024;

    public IEnumerable<string> Validate(string path)
    {
        if (Budget <= TimeSpan.Zero || Budget > TimeSpan.FromSeconds(60))
        {
            yield return $"{path}.budget: must be in (0, 60s]";
        }

        if (MaxPerPoll is < 1 or > 64)
        {
            yield return $"{path}.maxPerPoll: must be in [1, 64], got {MaxPerPoll}";
        }

        if (MaxBundles is < 1 or > 100_000)
        {
            yield return $"{path}.maxBundles: must be in [1, 100000], got {MaxBundles}";
        }

        if (MaxAge <= TimeSpan.Zero)
        {
            yield return $"{path}.maxAge: must be positive";
        }

        if (LogLines is < 0 or > 10_000)
        {
            yield return $"{path}.logLines: must be in [0, 10000], got {LogLines}";
        }

        if (MaxOutputBytes is < 1024 or > 16 * 1024 * 1024)
        {
            yield return $"{path}.maxOutputBytes: must be in [1024, 16777216], got {MaxOutputBytes}";
        }
    }
}
