using System.Globalization;

namespace LwpWatch.Core.Output;

/// <summary>
/// Every timestamp LwpWatch writes, in one of four forms, all UTC. Each form is pinned by a contract, so an
/// output picks its form here and never spells a format string of its own:
/// <list type="bullet">
/// <item><see cref="Seconds"/>: RFC 3339 to the second. `check --format json`, /api/v1/findings and /zones,
/// `explain`, evidence bundles, the text outputs and hint text: what a person reads and scripts compare.</item>
/// <item><see cref="Millis"/>: RFC 3339 to the millisecond. Notifier payloads (Alertmanager startsAt/endsAt,
/// webhook, PagerDuty, Slack) and the alert idempotency key (persisted in the outbox: changing it would re-send).</item>
/// <item><see cref="Ticks"/>: RFC 3339 to the 100 ns tick. Capture bundles (a replay must see the recorded instant
/// exactly, docs/BUNDLE-FORMAT.md) and /api/v1/alerts (startsAt is the alert's identity with its fingerprint).</item>
/// <item><see cref="Basic"/>: ISO 8601 basic to the second (<c>20261122T010203Z</c>): ids and file names that sort by time.</item>
/// </list>
/// </summary>
public static class Timestamps
{
    public static string Seconds(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Millis(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Ticks(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static string Basic(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
