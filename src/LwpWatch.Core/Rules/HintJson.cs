using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LwpWatch.Core.Rules;

/// <summary>
/// A hint as JSON, for the alert state and the outbox (what must survive a restart and be re-rendered the same):
/// <c>{"rule","zone","effect","argv":[{"literal"|"text"|"cgroupPath": value}...],"redirectTo":{...}?,"command"}</c>.
/// <c>command</c> is the rendering, for people reading the store; it is never read back. Written and read by hand
/// (no reflection, NativeAOT-safe).
/// </summary>
public static class HintJson
{
    public static void Write(Utf8JsonWriter w, Hint h)
    {
        w.WriteStartObject();
        w.WriteString("rule", h.Rule);
        w.WriteString("zone", h.ZoneId);
        w.WriteString("effect", h.Effect.WireName());
        w.WriteStartArray("argv");
        foreach (var word in h.Argv)
        {
            WriteWord(w, word);
        }

        w.WriteEndArray();
        if (h.RedirectTo is { } target)
        {
            w.WritePropertyName("redirectTo");
            WriteWord(w, target);
        }

        w.WriteString("command", h.Render());
        w.WriteEndObject();
    }

    /// <summary>Reads one hint; throws <see cref="JsonException"/> when the object is not one.</summary>
    public static Hint Read(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("a hint must be an object");
        }

        var argv = ImmutableArray.CreateBuilder<ShellWord>();
        foreach (var word in Get(e, "argv", JsonValueKind.Array).EnumerateArray())
        {
            argv.Add(ReadWord(word));
        }

        if (argv.Count == 0)
        {
            throw new JsonException("a hint needs at least one word");
        }

        return new Hint
        {
            Rule = Get(e, "rule", JsonValueKind.String).GetString()!,
            ZoneId = Get(e, "zone", JsonValueKind.String).GetString()!,
            Effect = HintEffects.Parse(Get(e, "effect", JsonValueKind.String).GetString()) ?? throw new JsonException("unknown hint effect"),
            Argv = argv.ToImmutable(),
            RedirectTo = e.TryGetProperty("redirectTo", out var r) && r.ValueKind != JsonValueKind.Null ? ReadWord(r) : null,
        };
    }

    private static void WriteWord(Utf8JsonWriter w, ShellWord word)
    {
        w.WriteStartObject();
        w.WriteString(word.Kind switch
        {
            ShellWordKind.Literal => "literal",
            ShellWordKind.CgroupPath => "cgroupPath",
            _ => "text",
        }, word.Value);
        w.WriteEndObject();
    }

    private static ShellWord ReadWord(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    break;
                }

                var v = p.Value.GetString()!;
                switch (p.Name)
                {
                    case "literal":
                        // A stored literal is re-checked: a tampered store cannot smuggle shell text in as "ours".
                        try
                        {
                            return ShellWord.Literal(v);
                        }
                        catch (ArgumentException ex)
                        {
                            throw new JsonException(ex.Message);
                        }

                    case "text":
                        return ShellWord.Text(v);
                    case "cgroupPath":
                        return ShellWord.CgroupPath(v);
                }
            }
        }

        throw new JsonException("a hint word must be {\"literal\"|\"text\"|\"cgroupPath\": string}");
    }

    private static JsonElement Get(JsonElement e, string name, JsonValueKind kind) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == kind ? v : throw new JsonException($"hint: '{name}' missing or not {kind}");
}

/// <summary>
/// <see cref="Hint"/> lists in stored alerts. Versions before typed hints stored each hint as its rendered string;
/// those are skipped on read (they were not quoted, so re-printing them could be unsafe, and the next poll refreshes
/// an alert's hints from its finding), so an old state or a queued notification still loads.
/// </summary>
public sealed class HintListJsonConverter : JsonConverter<ImmutableArray<Hint>>
{
    public override ImmutableArray<Hint> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        if (doc.RootElement.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("hints must be an array");
        }

        var b = ImmutableArray.CreateBuilder<Hint>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String)
            {
                b.Add(HintJson.Read(e));
            }
        }

        return b.ToImmutable();
    }

    public override void Write(Utf8JsonWriter writer, ImmutableArray<Hint> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var h in value.IsDefault ? [] : value)
        {
            HintJson.Write(writer, h);
        }

        writer.WriteEndArray();
    }
}
