using LwpWatch.Core.Alerts;
using LwpWatch.Core.Output;

namespace LwpWatch.Daemon.Delivery.Notifiers;

/// <summary>
/// Pushes to a real Alertmanager's POST /api/v2/alerts, the way Prometheus does: a firing alert carries an
/// endsAt a few repeat intervals ahead and is re-pushed every repeat interval, so if LwpWatch dies the alert
/// times out in Alertmanager instead of firing forever; a resolve carries the real end time. With
/// <paramref name="authorization"/> (basic auth from username + secretFile) every request carries it.
/// With several <paramref name="baseUrls"/> (the members of one Alertmanager cluster) every member gets every
/// push, as Prometheus sends to each Alertmanager it is given; the cluster's gossiped notification log then lets
/// only one of them notify (DeliveryWorker says when a row counts as delivered).
/// </summary>
public sealed class AlertmanagerNotifier(IReadOnlyList<Uri> baseUrls, TimeSpan repeatInterval, string generatorUrl, string? authorization = null) : IFanOutNotifier
{
    public AlertmanagerNotifier(Uri baseUrl, TimeSpan repeatInterval, string generatorUrl, string? authorization = null)
        : this([baseUrl], repeatInterval, generatorUrl, authorization)
    {
    }

    public string Type => "alertmanager";

    public IReadOnlyList<Uri> Members { get; } = baseUrls.Count == 0
        ? throw new ArgumentException("an alertmanager receiver needs at least one URL", nameof(baseUrls))
        : [.. baseUrls.Select(u => new Uri(u.AbsoluteUri.TrimEnd('/') + "/api/v2/alerts"))];

    public Uri Url => Members[0];

    public NotifierRequest Render(AlertNotification n, DateTimeOffset now)
    {
        var a = n.Alert;
        var endsAt = n.Status == AlertNotification.Resolved
            ? a.EndsAt ?? now
            : now + (repeatInterval * 4);
        var body = Json.Write(w =>
        {
            void Post(System.Collections.Immutable.ImmutableSortedDictionary<string, string> labels, DateTimeOffset ends)
            {
                w.WriteStartObject();
                Json.Map(w, "labels", labels);
                Json.Map(w, "annotations", Json.Annotations(a));
                w.WriteString("startsAt", Json.Time(a.StartsAt));
                w.WriteString("endsAt", Json.Time(ends));
                if (generatorUrl.Length > 0)
                {
                    w.WriteString("generatorURL", generatorUrl);
                }

                w.WriteEndObject();
            }

            w.WriteStartArray();
            Post(a.Labels, endsAt);
            if (n.PreviousSeverity is { } prev && prev != a.Severity && n.Status == AlertNotification.Firing)
            {
                // The same alert under its old severity label is a different alert to Alertmanager: end it
                // now rather than leave it firing until its endsAt runs out.
                Post(a.Labels.SetItem("severity", OutputNames.Severity(prev)), now);
            }

            w.WriteEndArray();
        });
        KeyValuePair<string, string> key = new("Idempotency-Key", $"{n.IdempotencyKey}#{n.Status}");
        return new NotifierRequest(Url, body, authorization is null ? [key] : [key, new("Authorization", authorization)]);
    }
}
