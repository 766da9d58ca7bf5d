using System.Collections;
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
                foreach (var (k, v) in f.Evidence)
                {
                    w.WritePropertyName(k);
                    WriteValue(w, v);
                }

                if (f.EvidenceId is not null)
                {
                    w.WriteString("evidenceId", f.EvidenceId);
                }

                w.WriteEndObject();
                w.WriteStartArray("hints");
                foreach (var h in f.Hints)
                {
                    w.WriteStringValue(h);
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

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Evidence values: scalars, records (as objects of their public properties) and sequences of those.</summary>
    internal static void WriteValue(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case double d:
                w.WriteNumberValue(d);
                break;
            case DateTimeOffset t:
                w.WriteStringValue(Iso(t));
                break;
            case TimeSpan ts:
                w.WriteNumberValue(ts.TotalSeconds);
                break;
            case IDictionary dict:
                w.WriteStartObject();
                foreach (DictionaryEntry e in dict)
                {
                    w.WritePropertyName(Convert.ToString(e.Key, CultureInfo.InvariantCulture)!);
                    WriteValue(w, e.Value);
                }

                w.WriteEndObject();
                break;
            case IEnumerable seq:
                w.WriteStartArray();
                foreach (var item in seq)
                {
                    WriteValue(w, item);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStartObject();
                foreach (var p in v.GetType().GetProperties())
                {
                    if (p.GetIndexParameters().Length == 0)
                    {
                        w.WritePropertyName(char.ToLowerInvariant(p.Name[0]) + p.Name[1..]);
                        WriteValue(w, p.GetValue(v));
                    }
                }

                w.WriteEndObject();
                break;
        }
    }
}
