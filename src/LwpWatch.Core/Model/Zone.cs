namespace LwpWatch.Core.Model;

/// <summary>
/// One resource-control boundary: an illumos zone, or a Linux cgroup with a pids controller.
/// Nullable numbers mean "not known this poll" (its collector failed or the platform has no such figure);
/// a null <see cref="LwpLimit"/> means unlimited.
/// </summary>
public sealed record Zone
{
    /// <summary>Stable identity: the zonename (a VM uuid on SmartOS) or the cgroup path relative to its hierarchy root.</summary>
    public required string Id { get; init; }

    public required string Kind { get; init; }

    /// <summary>Human name: VM alias, systemd unit, container id or the last path segment.</summary>
    public required string Name { get; init; }

    /// <summary>LWPs (illumos) or tasks (Linux pids.current: threads and processes alike).</summary>
    public long? Lwps { get; init; }

    public long? LwpLimit { get; init; }

    public long? Processes { get; init; }

    public long? ProcessLimit { get; init; }

    /// <summary>Cumulative fork/thread-creation denials caused by the cap (forkfail_cap, pids.events max).</summary>
    public long? Denials { get; init; }

    /// <summary>High-water mark where the platform keeps one (pids.peak). Never alert on peak alone.</summary>
    public long? Peak { get; init; }

    /// <summary>Owning systemd unit, when the cgroup path names one.</summary>
    public string? Unit { get; init; }

    /// <summary>Container id (docker/containerd/cri-o), when the cgroup path names one.</summary>
    public string? Container { get; init; }

    /// <summary>Kubernetes pod uid, when the cgroup path names one.</summary>
    public string? Pod { get; init; }

    /// <summary>Absolute filesystem path of the cgroup directory (Linux), for exact remediation hints.</summary>
    public string? CgroupPath { get; init; }

    /// <summary>illumos numeric zone id (reused after reboot, so never an identity).</summary>
    public int? ZoneNumericId { get; init; }

    /// <summary>illumos zone state from zoneadm (running, installed, ...).</summary>
    public string? State { get; init; }

    /// <summary>illumos zonepath, e.g. /zones/&lt;uuid&gt;.</summary>
    public string? ZonePath { get; init; }

    /// <summary>Other pressure signals used to tell thread starvation from something else.</summary>
    public ZonePressure? Pressure { get; init; }

    /// <summary>usage / limit, or null when either is unknown or the zone is unlimited.</summary>
    public double? Ratio => Lwps is { } used && LwpLimit is > 0 and { } cap ? (double)used / cap : null;

    /// <summary>The label users recognise: alias/unit when it differs from the id, else the id.</summary>
    public string DisplayName => string.Equals(Name, Id, StringComparison.Ordinal) ? Id : $"{Name} ({Id})";
}
