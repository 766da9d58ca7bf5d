using System.Collections.Immutable;
using System.Text.Json;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Delivery.Notifiers;

/// <summary>Payload JSON (over <see cref="JsonOutput"/>): stable key order, RFC 3339 UTC times to the millisecond, readable escaping.</summary>
internal static class Json
{
    // Indented, relaxed: payloads are read by people in receiver logs; '>' in fix commands stays readable.
    public static string Write(Action<Utf8JsonWriter> body) => JsonOutput.Text(JsonOutput.RelaxedIndented, body).ReplaceLineEndings("\n");

    /// <summary>Payload times: to the millisecond (<see cref="Timestamps.Millis"/>).</summary>
    public static string Time(DateTimeOffset t) => Timestamps.Millis(t);

    public static void Map(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WriteString(k, v);
        }

        w.WriteEndObject();
    }

    /// <summary>Alertmanager-style annotations: summary, description, runbook_url, hints (one command per line), evidence_id, symptoms (one per line).</summary>
    public static ImmutableSortedDictionary<string, string> Annotations(Core.Alerts.Alert a)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        b["summary"] = a.Summary;
        if (a.Description.Length > 0)
        {
            b["description"] = a.Description;
        }

        if (a.RunbookUrl is { Length: > 0 } rb)
        {
            b["runbook_url"] = rb;
        }

        if (!a.Hints.IsEmpty)
        {
            b["hints"] = string.Join("\n", a.Hints.Render());
        }

        if (a.EvidenceId is { } ev)
        {
            b["evidence_id"] = ev;
        }

        // The incident's symptoms, one per line, for receivers that get one notification per incident.
        if (!a.Symptoms.IsDefaultOrEmpty)
        {
            b["symptoms"] = string.Join("\n", a.Symptoms.Select(s => s.Line));
        }

        return b.ToImmutable();
    }
}
