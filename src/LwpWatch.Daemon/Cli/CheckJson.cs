using System.Globalization;
using System.Text;
using System.Text.Json;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Json;
using LwpWatch.Daemon.Metrics;

namespace LwpWatch.Daemon.Cli;

/// <summary>
/// `check --format json`: the stable contract scripts rely on (DESIGN.md "Outputs"). Written field by field so
/// the shape cannot drift with a refactor of the records.
/// </summary>
public static class CheckJson
{
    public static string Write(RuleOutcome outcome, bool indented = true)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteString("status", StatusName(outcome.Status));
            w.WriteStartArray("zones");
            foreach (var z in outcome.Snapshot.Zones)
            {
                w.WriteStartObject();
                JsonFields.ZoneIdentity(w, z);
                JsonFields.NumberOrNull(w, "lwps", z.Lwps);
                JsonFields.NumberOrNull(w, "lwpLimit", z.LwpLimit);
                JsonFields.NumberOrNull(w, "denials", z.Denials);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("findings");
            foreach (var f in outcome.Findings)
            {
                w.WriteStartObject();
                w.WriteString("rule", f.Rule);
                w.WriteString("zone", f.ZoneId);
                if (f.Service is null)
                {
                    w.WriteNull("service");
                }
                else
                {
                    w.WriteString("service", f.Service);
                }

                w.WriteString("severity", MetricsRenderer.SeverityName(f.Severity));
                w.WriteString("since", Iso(f.Since));
                w.WriteString("summary", f.Summary);
                w.WritePropertyName("evidence");
                w.WriteStartObject();
                f.Evidence.WriteProperties(w);

                if (f.EvidenceId is not null)
                {
                    w.WriteString("evidenceId", f.EvidenceId);
                }

                w.WriteEndObject();
                w.WriteStartArray("hints");
                foreach (var h in f.Hints)
                {
                    w.WriteStringValue(h.Render());
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public static string StatusName(CheckStatus s) => s switch
    {
        CheckStatus.Ok => "ok",
        CheckStatus.Warning => "warning",
        CheckStatus.Critical => "critical",
        _ => "unknown",
    };

    public static string Iso(DateTimeOffset t) => EvidenceValue.Time.Iso(t);
}
