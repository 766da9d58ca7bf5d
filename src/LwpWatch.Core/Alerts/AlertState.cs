namespace LwpWatch.Core.Alerts;

/// <summary>An alert's lifecycle: a finding is pending until it has held for alerts.for, then firing; resolved once the finding clears.</summary>
public enum AlertState
{
    Pending = 0,
    Firing = 1,
    Resolved = 2,
}
