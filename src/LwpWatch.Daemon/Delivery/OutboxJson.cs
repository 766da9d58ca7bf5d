using System.Text.Json;
using System.Text.Json.Serialization;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// The outbox's persisted JSON (queued notifications, the alert tracker's state), generated at compile time:
/// the same shape the reflection serializer wrote (camelCase names, enums as camelCase strings, computed
/// properties left out), so rows and state saved by an older build still load, and it works under NativeAOT.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    IgnoreReadOnlyProperties = true,
    Converters = [typeof(CamelCaseEnumConverter<Severity>), typeof(CamelCaseEnumConverter<AlertState>)])]
[JsonSerializable(typeof(AlertNotification))]
[JsonSerializable(typeof(AlertTrackerState))]
internal sealed partial class OutboxJson : JsonSerializerContext;

/// <summary>An enum as its camelCase name ("critical"), reading names case-insensitively as before.</summary>
internal sealed class CamelCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase)
    where TEnum : struct, Enum;
