using System.Text.Json;
using System.Text.Json.Serialization;
using LwpWatch.Core.Alerts;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// One queued notification. (Receiver, Key, Status) is unique: a re-notification of an episode still
/// queued for a receiver replaces the queued one instead of piling up behind it. Ids below zero live only
/// in memory (the database could not be written when they were queued).
/// </summary>
public sealed record OutboxRow(long Id, string Receiver, string Key, string Status, string Payload, long CreatedMs, long NextMs, int Attempts, string? LastError)
{
    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        IgnoreReadOnlyProperties = true,
    };

    public static OutboxRow From(AlertNotification n, long nowMs) =>
        new(0, n.Receiver, n.IdempotencyKey, n.Status, JsonSerializer.Serialize(n, JsonOptions), nowMs, nowMs, 0, null);

    public AlertNotification Notification() =>
        JsonSerializer.Deserialize<AlertNotification>(Payload, JsonOptions) ?? throw new JsonException("empty outbox payload");
}
