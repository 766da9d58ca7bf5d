using System.Text.Json;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Output;

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

        return JsonOutput.Text(new JsonWriterOptions { Indented = indented }, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", OutputNames.Status(outcome.Status));
            w.WriteStartArray("zones");
            foreach (var z in outcome.Snapshot.Zones)
            {
                w.WriteStartObject();
                JsonOutput.ZoneIdentity(w, z);
                JsonOutput.LwpCounts(w, z.Lwps, z.LwpLimit, z.Denials);
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

                w.WriteString("severity", OutputNames.Severity(f.Severity));
                w.WriteString("since", Timestamps.Seconds(f.Since));
                w.WriteString("summary", f.Summary);
                w.WritePropertyName("evidence");
                w.WriteStartObject();
                f.Evidence.WriteProperties(w);

                if (evidenceIds is not null && evidenceIds.TryGetValue(f.Fingerprint, out var evidenceId))
                {
                    w.WriteString("evidenceId", evidenceId);
                }

                w.WriteEndObject();
                JsonOutput.Strings(w, "hints", f.Hints.Render());
                w.WriteStartObject("incident");
                if (headOf.TryGetValue(f.Fingerprint, out var head))
                {
                    w.WriteString("role", "symptom");
                    w.WriteString("head", head);
                }
                else
                {
                    w.WriteString("role", "head");
                    JsonOutput.Strings(w, "symptoms", symptomsOf.GetValueOrDefault(f.Fingerprint, []).Select(sym => sym.Fingerprint));
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
