namespace LwpWatch.Core.Options;

/// <summary>poll: how often and how long.</summary>
public sealed record PollSettings
{
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Per-collector time bound; a collector past it is failed for this poll, the poll goes on.</summary>
    public TimeSpan CollectorTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How much history rules may look back over (forecast windows, denial windows); the engine keeps the longest window an enabled rule reads, at most this.</summary>
    public TimeSpan History { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>"auto" picks illumos when /proc/self/psinfo exists, else linux.</summary>
    public string Platform { get; init; } = "auto";

    public IEnumerable<string> Validate(string path)
    {
        if (Interval < TimeSpan.FromMilliseconds(100))
        {
            yield return $"{path}.interval: must be at least 100ms, got {Interval}";
        }

        if (CollectorTimeout <= TimeSpan.Zero)
        {
            yield return $"{path}.collectorTimeout: must be positive";
        }

        if (History < Interval)
        {
            yield return $"{path}.history: must be at least the interval";
        }

        if (Platform is not ("auto" or "linux" or "illumos"))
        {
            yield return $"{path}.platform: must be auto, linux or illumos, got '{Platform}'";
        }
    }
}
