using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Output;

/// <summary>
/// How LwpWatch writes JSON: the writer options and the field writers every output shares, so a zone, an unknown
/// number or a list of commands is written the same way in `check`, `explain`, /api/v1/*, evidence bundles,
/// capture bundles and notifier payloads. Contracts that list a field always (check) write null for "unknown";
/// detail bodies (the API) leave unknown fields out.
/// </summary>
public static class JsonOutput
{
    /// <summary>
    /// Relaxed escaping: '&gt;', '&amp;', '+' and quotes in fix commands stay readable. None of these bodies is ever
    /// embedded in HTML; control characters and invalid UTF-16 are still escaped.
    /// </summary>
    public static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonWriterOptions RelaxedIndented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The body <paramref name="write"/> produces, as UTF-8 bytes.</summary>
    public static byte[] Bytes(JsonWriterOptions options, Action<Utf8JsonWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, options))
        {
            write(w);
        }

        return ms.ToArray();
    }

    /// <summary>The body <paramref name="write"/> produces, as a string.</summary>
    public static string Text(JsonWriterOptions options, Action<Utf8JsonWriter> write) => Encoding.UTF8.GetString(Bytes(options, write));

    /// <summary>id, kind, name: how every output identifies a zone.</summary>
    public static void ZoneIdentity(Utf8JsonWriter w, Zone z)
    {
        w.WriteString("id", z.Id);
        w.WriteString("kind", z.Kind);
        w.WriteString("name", z.Name);
    }

    public static void NumberOrNull(Utf8JsonWriter w, string name, long? v)
    {
        if (v is { } n)
        {
            w.WriteNumber(name, n);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    public static void NumberIfKnown(Utf8JsonWriter w, string name, long? v)
    {
        if (v is { } n)
        {
            w.WriteNumber(name, n);
        }
    }

    public static void StringIfKnown(Utf8JsonWriter w, string name, string? v)
    {
        if (v is not null)
        {
            w.WriteString(name, v);
        }
    }

    /// <summary>lwps, lwpLimit, denials, null where unknown: a zone's use against its cap, in every output that lists it.</summary>
    public static void LwpCounts(Utf8JsonWriter w, long? lwps, long? lwpLimit, long? denials)
    {
        NumberOrNull(w, "lwps", lwps);
        NumberOrNull(w, "lwpLimit", lwpLimit);
        NumberOrNull(w, "denials", denials);
    }

    /// <summary>
    /// Properties in the order given, a null value written as null: a record whose every field is listed, known or
    /// not (unlike <see cref="EvidenceMap"/>, which sorts its keys and leaves nulls out). Values are typed as
    /// <see cref="EvidenceValue"/>s: numbers, strings, flags, string lists, and times to the second.
    /// </summary>
    public static void Fields(Utf8JsonWriter w, params ReadOnlySpan<(string Name, EvidenceValue? Value)> fields)
    {
        foreach (var (name, value) in fields)
        {
            w.WritePropertyName(name);
            if (value is null)
            {
                w.WriteNullValue();
            }
            else
            {
                value.WriteJson(w);
            }
        }
    }

    /// <summary>An object of <see cref="Fields"/>.</summary>
    public static void Record(Utf8JsonWriter w, params ReadOnlySpan<(string Name, EvidenceValue? Value)> fields)
    {
        w.WriteStartObject();
        Fields(w, fields);
        w.WriteEndObject();
    }

    /// <summary><c>"name": ["a", "b"]</c>, in order (hints, argv, symptoms, dependencies).</summary>
    public static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }
}
