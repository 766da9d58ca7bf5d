using System.Security.Cryptography;
using System.Text;
using LwpWatch.Core.Alerts;

namespace LwpWatch.Daemon.Delivery.Notifiers;

/// <summary>
/// Generic webhook with Alertmanager's webhook version-4 body, so receivers written for Alertmanager accept
/// it unchanged. One alert per body (grouped by its fingerprint). With a secret, the body is signed:
/// header "sha256=&lt;hex HMAC-SHA256(secret, body)&gt;", the convention GitHub-style receivers verify.
/// </summary>
public sealed class WebhookNotifier(Uri url, string receiverName, string externalUrl, byte[]? secret, string signatureHeader) : INotifier
{
    public string Type => "webhook";

    public NotifierRequest Render(AlertNotification n, DateTimeOffset now)
    {
        var a = n.Alert;
        var groupLabels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["alertname"] = a.Labels.GetValueOrDefault("alertname", ""),
            ["zone"] = a.ZoneId,
        };
        var annotations = Json.Annotations(a);
        var body = Json.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("version", "4");
            w.WriteString("groupKey", $"{{}}:{{fingerprint=\"{a.Fingerprint}\"}}");
            w.WriteNumber("truncatedAlerts", 0);
            w.WriteString("status", n.Status);
            w.WriteString("receiver", receiverName);
            Json.Map(w, "groupLabels", groupLabels);
            Json.Map(w, "commonLabels", a.Labels);
            Json.Map(w, "commonAnnotations", annotations);
            w.WriteString("externalURL", externalUrl);
            w.WriteStartArray("alerts");
            w.WriteStartObject();
            w.WriteString("status", n.Status);
            Json.Map(w, "labels", a.Labels);
            Json.Map(w, "annotations", annotations);
            w.WriteString("startsAt", Json.Time(a.StartsAt));

            // Alertmanager writes the zero time for a firing alert's endsAt in webhook bodies.
            w.WriteString("endsAt", n.Status == AlertNotification.Resolved ? Json.Time(a.EndsAt ?? now) : "0001-01-01T00:00:00Z");
            w.WriteString("generatorURL", externalUrl);
            w.WriteString("fingerprint", a.Fingerprint);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });

        var headers = new List<KeyValuePair<string, string>> { new("Idempotency-Key", $"{n.IdempotencyKey}#{n.Status}") };
        if (secret is not null)
        {
            headers.Add(new(signatureHeader, Sign(secret, body)));
        }

        return new NotifierRequest(url, body, headers);
    }

    public static string Sign(byte[] key, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(body)));
}
