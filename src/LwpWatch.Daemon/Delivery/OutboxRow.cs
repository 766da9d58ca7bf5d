using System.Text.Json;
using LwpWatch.Core.Alerts;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// One queued notification. (Receiver, Key, Status) is unique: a re-notification of an episode still
/// queued for a receiver replaces the queued one instead of piling up behind it. Ids below zero live only
/// in memory (the database could not be written when they were queued).
/// </summary>
public sealed record OutboxRow(long Id, string Receiver, string Key, string Status, string Payload, long CreatedMs, long NextMs, int Attempts, string? LastError)
{
    /// <summary>Throws when the notification cannot be written as JSON (see <see cref="Outbox.Save"/>).</summary>
    public static OutboxRow From(AlertNotification n, long nowMs) =>
        new(0, n.Receiver, n.IdempotencyKey, n.Status, JsonSerializer.Serialize(n, OutboxJson.Default.AlertNotification), nowMs, nowMs, 0, null);

    public AlertNotification Notification() =>
        JsonSerializer.Deserialize(Payload, OutboxJson.Default.AlertNotification) ?? throw new JsonException("empty outbox payload");
}

