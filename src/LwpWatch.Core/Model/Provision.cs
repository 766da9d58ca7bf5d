namespace LwpWatch.Core.Model;

/// <summary>
/// An illumos/SmartOS zone that vmadm is provisioning. vmadm fails the provision and stops the zone at
/// <see cref="Deadline"/> (transition_expire), so evidence must be saved before then.
/// </summary>
public sealed record Provision
{
    public required string ZoneId { get; init; }

    /// <summary>vmadm state (provisioning, running, failed, ...).</summary>
    public required string VmState { get; init; }

    /// <summary>Whether &lt;zonepath&gt;/root/var/svc/provisioning exists.</summary>
    public bool MarkerPresent { get; init; }

    /// <summary>mtime of the provisioning marker (how long the zone has been provisioning).</summary>
    public DateTimeOffset? MarkerSince { get; init; }

    /// <summary>vmadm's transition_expire; null when none.</summary>
    public DateTimeOffset? Deadline { get; init; }
}
