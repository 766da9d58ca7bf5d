using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Delivery.Notifiers;

/// <summary>
/// PagerDuty Events API v2: trigger while firing, resolve when over, dedup_key = the alert fingerprint so
/// re-notifications update one incident instead of opening new ones.
/// </summary>
public sealed class PagerDutyNotifier(Uri url, string routingKey) : INotifier
{
    public static readonly Uri DefaultUrl = new("https://events.pagerduty.com/v2/enqueue");

    public string Type => "pagerduty";

    public NotifierRequest Render(AlertNotification n, DateTimeOffset now)
    {
        var a = n.Alert;
        var resolved = n.Status == AlertNotification.Resolved;
        var body = Json.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("routing_key", routingKey);
            w.WriteString("event_action", resolved ? "resolve" : "trigger");
            w.WriteString("dedup_key", a.Fingerprint);
            if (!resolved)
            {
                w.WriteStartObject("payload");

                // PagerDuty rejects summaries over 1024 characters.
                w.WriteString("summary", a.Summary.Length <= 1024 ? a.Summary : a.Summary[..1021] + "...");
                w.WriteString("source", a.Labels.GetValueOrDefault("host", a.ZoneId));
                w.WriteString("severity", MapSeverity(a.Severity));
                w.WriteString("timestamp", Json.Time(a.StartsAt));
                w.WriteString("component", a.ZoneId);
                if (a.Labels.TryGetValue("kind", out var kind))
                {
                    w.WriteString("group", kind);
                }

                w.WriteString("class", a.Rule);
                w.WriteStartObject("custom_details");
                Json.Map(w, "labels", a.Labels);
                if (a.Description.Length > 0)
                {
                    w.WriteString("description", a.Description);
                }

                JsonOutput.Strings(w, "fix_commands", a.Hints.Render());
                if (!a.Symptoms.IsDefaultOrEmpty)
                {
                    // One incident, one page: what the root cause explains is listed in it, not paged apart.
                    JsonOutput.Strings(w, "symptoms", a.Symptoms.Select(s => s.Line));
                }

                w.WriteEndObject();
                w.WriteEndObject();
                if (a.RunbookUrl is { Length: > 0 } rb)
                {
                    w.WriteStartArray("links");
                    w.WriteStartObject();
                    w.WriteString("href", rb);
                    w.WriteString("text", "Runbook");
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
            }

            w.WriteEndObject();
        });
        return new NotifierRequest(url, body, []);
    }

    /// <summary>PagerDuty knows critical, error, warning, info.</summary>
    public static string MapSeverity(Severity s) => s switch
    {
        Severity.Critical => "critical",
        Severity.Warning => "warning",
        _ => "info",
    };
}
