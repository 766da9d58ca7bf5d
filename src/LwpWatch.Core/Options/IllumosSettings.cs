namespace LwpWatch.Core.Options;

/// <summary>illumos: roots and tool time bounds for SmartOS/illumos global zones.</summary>
public sealed record IllumosSettings
{
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>Prefix for zonepaths (tests and replays point it elsewhere); "/" on a real node.</summary>
    public string ZonesRoot { get; init; } = "/";

    /// <summary>Time bound of each tool run (svcs, kstat, vmadm, zoneadm); killed on expiry.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(8);

    public int TopHolders { get; init; } = 5;

    public IEnumerable<string> Validate(string path)
    {
        if (CommandTimeout <= TimeSpan.Zero)
        {
            yield return $"{path}.commandTimeout: must be positive";
        }

        if (TopHolders is < 0 or > 100)
        {
            yield return $"{path}.topHolders: must be in [0, 100], got {TopHolders}";
        }
    }
}
