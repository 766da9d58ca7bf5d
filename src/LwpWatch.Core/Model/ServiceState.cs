namespace LwpWatch.Core.Model;

/// <summary>
/// One SMF service instance or systemd unit. <see cref="InTransition"/> is the collector's verdict:
/// SMF nstate not '-', systemd activating/deactivating/reloading.
/// </summary>
public sealed record ServiceState
{
    /// <summary>Zone id this service runs in (illumos zonename, or the zone id of its cgroup on Linux).</summary>
    public required string ZoneId { get; init; }

    /// <summary>SMF FMRI or systemd unit name.</summary>
    public required string Name { get; init; }

    /// <summary>SMF state or systemd ActiveState.</summary>
    public required string State { get; init; }

    /// <summary>SMF next state ('-' when none) or systemd SubState.</summary>
    public string? NextState { get; init; }

    public bool InTransition { get; init; }

    /// <summary>When the manager says the state last changed; a lower bound for "stuck since".</summary>
    public DateTimeOffset? StateSince { get; init; }

    /// <summary>
    /// When the unit last started (systemd InactiveExitTimestamp): its cgroup, and so that cgroup's pids.events and
    /// pids.peak, exist since then. Null when the manager does not say (SMF, a unit never started).
    /// </summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>systemd TasksCurrent / TasksMax (null = not set / infinity).</summary>
    public long? Tasks { get; init; }

    public long? TasksLimit { get; init; }

    /// <summary>systemd ControlGroup (relative to the cgroup root), used to map a unit to its zone.</summary>
    public string? ControlGroup { get; init; }

    /// <summary>Units/services this one needs (systemd Requires/BindsTo), when the collector knows them.</summary>
    public System.Collections.Immutable.ImmutableArray<string> Dependencies { get; init; } = [];
}
