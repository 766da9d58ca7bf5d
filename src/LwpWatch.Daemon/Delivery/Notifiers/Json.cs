using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Delivery.Notifiers;

/// <summary>Shared JSON writing for payloads: stable key order, RFC 3339 UTC times, readable escaping.</summary>
internal static class Json
{
    // Relaxed escaping keeps '>' and quotes in fix commands readable; bodies are never embedded in HTML.
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            body(w);
        }

        return Encoding.UTF8.GetString(ms.ToArray()).ReplaceLineEndings("\n");
    }

    public static string Time(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

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
