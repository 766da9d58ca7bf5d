using System.Text;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Text;

namespace LwpWatch.Daemon.Delivery.Notifiers;

/// <summary>
/// Slack incoming webhook: one readable message per notification, fix commands in a code block so they
/// can be copied as they are. Slack's 429 + Retry-After is honoured by the sender.
/// </summary>
public sealed class SlackNotifier(Uri url) : INotifier
{
    public string Type => "slack";

    public NotifierRequest Render(AlertNotification n, DateTimeOffset now)
    {
        var a = n.Alert;
        var resolved = n.Status == AlertNotification.Resolved;
        var sb = new StringBuilder();
        var icon = resolved ? ":white_check_mark:" : a.Severity == Severity.Critical ? ":rotating_light:" : ":warning:";
        sb.Append(icon).Append(" *[").Append(resolved ? "RESOLVED" : "FIRING").Append("] ")
          .Append(OutputNames.Severity(a.Severity).ToUpperInvariant()).Append(' ')
          .Append(Escape(a.Labels.GetValueOrDefault("alertname", a.Rule))).Append("*");
        if (a.Labels.TryGetValue("host", out var host))
        {
            sb.Append(" on `").Append(Escape(host)).Append('`');
        }

        sb.Append('\n').Append(Escape(a.Summary)).Append('\n');
        sb.Append("*Zone:* `").Append(Escape(a.ZoneId)).Append('`');
        if (a.Labels.TryGetValue("zone_name", out var zn))
        {
            sb.Append(" (").Append(Escape(zn)).Append(')');
        }

        if (a.Service is { } svc)
        {
            sb.Append("  *Service:* `").Append(Escape(svc)).Append('`');
        }

        sb.Append("  *Rule:* ").Append(Escape(a.Rule)).Append('\n');
        sb.Append("*Since:* ").Append(Json.Time(a.StartsAt));
        if (resolved)
        {
            sb.Append("  *Ended:* ").Append(Json.Time(a.EndsAt ?? now));
        }

        if (!a.Symptoms.IsDefaultOrEmpty)
        {
            // One incident, one message: what the root cause explains is listed here, not posted apart.
            sb.Append("\n*Symptoms (explained by this):*");
            foreach (var s in a.Symptoms)
            {
                sb.Append("\n• ").Append(Escape(s.Line));
            }
        }

        if (!resolved && !a.Hints.IsEmpty)
        {
            sb.Append("\n*Fix:*\n```\n");
            foreach (var h in a.Hints)
            {
                sb.Append(Escape(h.Render())).Append('\n');
            }

            sb.Append("```");
        }

        if (a.RunbookUrl is { Length: > 0 } rb)
        {
            sb.Append("\n<").Append(rb).Append("|Runbook>");
        }

        var text = sb.ToString();
        var body = Json.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("text", text);
            w.WriteBoolean("mrkdwn", true);
            w.WriteEndObject();
        });
        return new NotifierRequest(url, body, []);
    }

    /// <summary>
    /// Control characters as on a terminal (<see cref="TerminalText"/>: a tenant's newline must not forge a line of
    /// the message), then the three characters Slack reserves for links, mentions and commands (&amp;, &lt;, &gt;)
    /// as the HTML entities Slack's formatting reference asks for, "and only three" (api.slack.com/docs/message-formatting).
    /// With &lt; escaped no tenant text can form a link, a user or channel mention or &lt;!channel&gt;. The
    /// emphasis marks (* _ ~ `) have no escape in mrkdwn: a name holding them can change emphasis, nothing more.
    /// </summary>
    internal static string Escape(string s) =>
        TerminalText.Escape(s).Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
