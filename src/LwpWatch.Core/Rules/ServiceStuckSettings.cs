namespace LwpWatch.Core.Rules;

/// <summary>rules.serviceStuck: how long a service may stay in transition, with per-FMRI/unit overrides.</summary>
public sealed record ServiceStuckSettings
{
    public bool Enabled { get; init; } = true;

    public TimeSpan Threshold { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Per-service thresholds. A key matches the exact FMRI/unit, or an FMRI's service part
    /// (svc:/system/filesystem/local matches svc:/system/filesystem/local:default); the longest key wins.
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan> Overrides { get; init; } = new Dictionary<string, TimeSpan>(StringComparer.Ordinal)
    {
        // Boot-critical in a zone: everything else waits for it, and vmadm's provisioning clock is running.
        ["svc:/system/filesystem/local"] = TimeSpan.FromMinutes(2),
    };

    /// <summary>Stuck this long or more is critical instead of a warning (0 = never).</summary>
    public TimeSpan CriticalAfter { get; init; } = TimeSpan.Zero;

    public TimeSpan ThresholdFor(string service)
    {
        var best = -1;
        var result = Threshold;
        foreach (var (key, value) in Overrides)
        {
            var match = string.Equals(service, key, StringComparison.Ordinal)
                || (service.Length > key.Length && service.StartsWith(key, StringComparison.Ordinal) && service[key.Length] == ':');
            if (match && key.Length > best)
            {
                best = key.Length;
                result = value;
            }
        }

        return result;
    }

    public IEnumerable<string> Validate(string path)
    {
        if (Threshold < TimeSpan.Zero)
        {
            yield return $"{path}.threshold: must not be negative";
        }

        foreach (var (key, value) in Overrides)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                yield return $"{path}.overrides: a key is empty";
            }

            if (value < TimeSpan.Zero)
            {
                yield return $"{path}.overrides.{key}: must not be negative";
            }
        }

        if (CriticalAfter < TimeSpan.Zero)
        {
            yield return $"{path}.criticalAfter: must not be negative";
        }
    }
}
