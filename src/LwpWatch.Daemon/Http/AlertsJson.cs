using System.Collections.Immutable;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LwpWatch.Core.Alerts;

namespace LwpWatch.Daemon.Http;

/// <summary>/api/v1/alerts: {"alerts":[{fingerprint, state, severity, rule, zone, service, startsAt, firedAt, endsAt, summary, labels, hints, notified}]}.</summary>
public static class AlertsJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(ImmutableArray<Alert> alerts)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            w.WriteStartObject();
            w.WriteStartArray("alerts");
            foreach (var a in alerts)
            {
                w.WriteStartObject();
                w.WriteString("fingerprint", a.Fingerprint);
                w.WriteString("state", a.State.ToString().ToLowerInvariant());
                w.WriteString("severity", Alert.SeverityLabel(a.Severity));
                w.WriteString("rule", a.Rule);
                w.WriteString("zone", a.ZoneId);
                if (a.Service is { } s)
                {
                    w.WriteString("service", s);
                }

                w.WriteString("startsAt", a.StartsAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                if (a.FiredAt is { } f)
                {
                    w.WriteString("firedAt", f.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                }

                if (a.EndsAt is { } e)
                {
                    w.WriteString("endsAt", e.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                }

                w.WriteString("summary", a.Summary);
                w.WriteStartObject("labels");
                foreach (var (k, v) in a.Labels)
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
                w.WriteStartArray("hints");
                foreach (var h in a.Hints)
                {
                    w.WriteStringValue(h.Render());
                }

                w.WriteEndArray();
                w.WriteStartArray("notified");
                foreach (var r in a.Notified.Keys)
                {
                    w.WriteStringValue(r);
                }

                w.WriteEndArray();

                // The incident relation: which firing root cause mutes this one for per-incident receivers, or
                // which alerts this one lists as its symptoms.
                if (a.InhibitedBy is { } head)
                {
                    w.WriteString("inhibitedBy", head);
                }

                w.WriteStartArray("symptoms");
                foreach (var sym in a.Symptoms)
                {
                    w.WriteStringValue(sym.Fingerprint);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
