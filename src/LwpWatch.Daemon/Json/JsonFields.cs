using System.Text.Json;
using LwpWatch.Core.Model;

namespace LwpWatch.Daemon.Json;

/// <summary>
/// Field writers shared by every JSON the daemon emits (`check --format json`, `explain`, /api/v1/*), so a zone
/// is named the same way everywhere. Contracts that list a field always (check) write null for "unknown";
/// detail bodies (the API) leave unknown fields out.
/// </summary>
internal static class JsonFields
{
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
}
