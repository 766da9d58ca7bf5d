namespace LwpWatch.Core.Options;

/// <summary>linux: where the kernel's files are (tests point these at fixture trees).</summary>
public sealed record LinuxSettings
{
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>cgroup mount root; v2 (unified) and the v1 pids hierarchy are found below it.</summary>
    public string CgroupRoot { get; init; } = "/sys/fs/cgroup";

    /// <summary>
    /// Docker's data root (dockerd --data-root): a capped container's name is read from
    /// &lt;dockerRoot&gt;/containers/&lt;id&gt;/config.v2.json. A host without Docker costs nothing (read only for
    /// zones whose cgroup is Docker's own).
    /// </summary>
    public string DockerRoot { get; init; } = "/var/lib/docker";

    /// <summary>Report cgroups whose pids.max is "max" too (their usage still matters to their ancestors).</summary>
    public bool IncludeUnlimited { get; init; } = true;

    /// <summary>Thread holders to list per zone.</summary>
    public int TopHolders { get; init; } = 5;

    /// <summary>Scan /proc for holders only in zones at or above this usage ratio (a full scan per poll is what makes peers slow).</summary>
    public double HoldersAtRatio { get; init; } = 0.8;

    public SystemdSettings Systemd { get; init; } = new();

    public IEnumerable<string> Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(ProcRoot))
        {
            yield return $"{path}.procRoot: must not be empty";
        }

        if (string.IsNullOrWhiteSpace(CgroupRoot))
        {
            yield return $"{path}.cgroupRoot: must not be empty";
        }

        if (string.IsNullOrWhiteSpace(DockerRoot))
        {
            yield return $"{path}.dockerRoot: must not be empty";
        }

        if (TopHolders is < 0 or > 100)
        {
            yield return $"{path}.topHolders: must be in [0, 100], got {TopHolders}";
        }

        if (HoldersAtRatio is < 0 or > 1)
        {
            yield return $"{path}.holdersAtRatio: must be in [0, 1], got {HoldersAtRatio}";
        }

        foreach (var problem in Systemd.Validate($"{path}.systemd"))
        {
            yield return problem;
        }
    }
}
