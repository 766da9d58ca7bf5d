using System.Globalization;
using System.Text;
using System.Text.Json;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Json;
using LwpWatch.Daemon.Metrics;

namespace LwpWatch.Daemon.Cli;

/// <summary>
/// `check --format json` and /api/v1/findings: the stable contract scripts rely on (DESIGN.md "Outputs"). Written
/// field by field so the shape cannot drift with a refactor of the records. Every finding is listed, each with its
/// incident relation: <c>"incident": {"role": "head", "symptoms": [fingerprints]}</c> for a root cause (or a finding
/// on its own), <c>{"role": "symptom", "head": fingerprint}</c> for one a root cause of its zone explains.
/// </summary>
public static class CheckJson
{
    /// <param name="evidenceIds">Fingerprint -> saved evidence bundle id (the daemon's recorder); null = none.</param>
    public static string Write(RuleOutcome outcome, bool indented = true, IReadOnlyDictionary<string, string>? evidenceIds = null)
    {
        // Every finding is listed; the incident relation says which root cause explains it (issue 17).
        var headOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var symptomsOf = new Dictionary<string, System.Collections.Immutable.ImmutableArray<Finding>>(StringComparer.Ordinal);
        foreach (var incident in outcome.Incidents)
        {
            symptomsOf[incident.Fingerprint] = incident.Symptoms;
            foreach (var sym in incident.Symptoms)
            {
                headOf[sym.Fingerprint] = incident.Fingerprint;
            }
        }

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
                w.WriteString("fingerprint", f.Fingerprint);
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

                if (evidenceIds is not null && evidenceIds.TryGetValue(f.Fingerprint, out var evidenceId))
                {
                    w.WriteString("evidenceId", evidenceId);
                }

                w.WriteEndObject();
                w.WriteStartArray("hints");
                foreach (var h in f.Hints)
                {
                    w.WriteStringValue(h.Render());
                }

                w.WriteEndArray();
                w.WriteStartObject("incident");
                if (headOf.TryGetValue(f.Fingerprint, out var head))
                {
                    w.WriteString("role", "symptom");
                    w.WriteString("head", head);
                }
                else
                {
                    w.WriteString("role", "head");
                    w.WriteStartArray("symptoms");
                    foreach (var sym in symptomsOf.GetValueOrDefault(f.Fingerprint, []))
                    {
                        w.WriteStringValue(sym.Fingerprint);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
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
