namespace LwpWatch.Core.Options;

/// <summary>illumos: roots and tool time bounds for SmartOS/illumos global zones.</summary>
public sealed record IllumosSettings
{
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>Prefix for zonepaths (tests and replays point it elsewhere); "/" on a real node.</summary>
    public string ZonesRoot { get; init; } = "/";

    /// <summary>
    /// Where zonecfg keeps each zone's configuration, &lt;zonename&gt;.xml: the configured caps, and on SmartOS the
    /// VM alias and provisioning deadline. Read as files; re-parsed only when a file's mtime or inode changes.
    /// </summary>
    public string ZoneConfigDir { get; init; } = "/etc/zones";

    /// <summary>Time bound of each tool run (svcs, kstat, zoneadm); killed on expiry.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(8);

    public int TopHolders { get; init; } = 5;

    public IEnumerable<string> Validate(string path)
    {
        if (CommandTimeout <= TimeSpan.Zero)
        {
            yield return $"{path}.commandTimeout: must be positive";
        }

        if (!ZoneConfigDir.StartsWith('/'))
        {
            yield return $"{path}.zoneConfigDir: must be an absolute path, got '{ZoneConfigDir}'";
        }

        if (TopHolders is < 0 or > 100)
        {
            yield return $"{path}.topHolders: must be in [0, 100], got {TopHolders}";
        }
    }
}
