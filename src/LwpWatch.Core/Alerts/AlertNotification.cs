namespace LwpWatch.Core.Alerts;

/// <summary>
/// One message to one receiver: the alert as it was when the notification was decided. Firing carries the
/// alert's current state; resolved carries its end time.
/// </summary>
public sealed record AlertNotification
{
    public const string Firing = "firing";
    public const string Resolved = "resolved";

    public required string Receiver { get; init; }

    /// <summary>firing or resolved.</summary>
    public required string Status { get; init; }

    /// <summary>Why it was sent: new, repeat, severity, resolved. For logs and tests; receivers do not see it.</summary>
    public required string Reason { get; init; }

    public required Alert Alert { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// For reason "severity": the severity last notified. Severity is a label, and labels are an alert's
    /// identity in Alertmanager, so the notifier also ends the alert under its old labels.
    /// </summary>
    public Model.Severity? PreviousSeverity { get; init; }

    public string IdempotencyKey => Alert.IdempotencyKey;
}
