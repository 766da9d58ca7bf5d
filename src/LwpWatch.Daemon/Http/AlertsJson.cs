using System.Collections.Immutable;
using System.Text.Json;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Http;

/// <summary>/api/v1/alerts: {"alerts":[{fingerprint, state, severity, rule, zone, service, startsAt, firedAt, endsAt, summary, labels, hints, notified}]}.</summary>
public static class AlertsJson
{
    public static string Write(ImmutableArray<Alert> alerts)
    {
        return JsonOutput.Text(JsonOutput.Relaxed, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("alerts");
            foreach (var a in alerts)
            {
                w.WriteStartObject();
                w.WriteString("fingerprint", a.Fingerprint);
                w.WriteString("state", a.State.ToString().ToLowerInvariant());
                w.WriteString("severity", OutputNames.Severity(a.Severity));
                w.WriteString("rule", a.Rule);
                w.WriteString("zone", a.ZoneId);
                if (a.Service is { } s)
                {
                    w.WriteString("service", s);
                }

                w.WriteString("startsAt", Timestamps.Ticks(a.StartsAt));
                if (a.FiredAt is { } f)
                {
                    w.WriteString("firedAt", Timestamps.Ticks(f));
                }

                if (a.EndsAt is { } e)
                {
                    w.WriteString("endsAt", Timestamps.Ticks(e));
                }

                w.WriteString("summary", a.Summary);
                w.WriteStartObject("labels");
                foreach (var (k, v) in a.Labels)
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
                JsonOutput.Strings(w, "hints", a.Hints.Render());
                JsonOutput.Strings(w, "notified", a.Notified.Keys);

                // The incident relation: which firing root cause mutes this one for per-incident receivers, or
                // which alerts this one lists as its symptoms.
                if (a.InhibitedBy is { } head)
                {
                    w.WriteString("inhibitedBy", head);
                }

                JsonOutput.Strings(w, "symptoms", a.Symptoms.Select(sym => sym.Fingerprint));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
