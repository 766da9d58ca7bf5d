using System.Text;
using System.Text.Json;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Cli;

namespace LwpWatch.Daemon.Http;

/// <summary>JSON bodies of /api/v1/*: the same field names as `check --format json`, plus detail.</summary>
public static class ApiJson
{
    public static string Zones(RuleOutcome outcome)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            var s = outcome.Snapshot;
            w.WriteStartObject();
            w.WriteString("takenAt", CheckJson.Iso(s.TakenAt));
            w.WriteString("host", s.Host);
            w.WriteString("platform", s.Platform);
            w.WriteStartArray("zones");
            foreach (var z in s.Zones)
            {
                w.WriteStartObject();
                w.WriteString("id", z.Id);
                w.WriteString("kind", z.Kind);
                w.WriteString("name", z.Name);
                Num(w, "lwps", z.Lwps);
                Num(w, "lwpLimit", z.LwpLimit);
                Num(w, "denials", z.Denials);
                Num(w, "processes", z.Processes);
                Num(w, "processLimit", z.ProcessLimit);
                Num(w, "peak", z.Peak);
                if (z.Ratio is { } r)
                {
                    w.WriteNumber("ratio", Math.Round(r, 4));
                }

                Str(w, "unit", z.Unit);
                Str(w, "container", z.Container);
                Str(w, "pod", z.Pod);
                Str(w, "cgroupPath", z.CgroupPath);
                w.WritePropertyName("topHolders");
                CheckJson.WriteValue(w, s.HoldersOf(z.Id).ToList());
                w.WritePropertyName("services");
                CheckJson.WriteValue(w, s.ServicesOf(z.Id).ToList());
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Num(Utf8JsonWriter w, string name, long? v)
    {
        if (v is { } n)
        {
            w.WriteNumber(name, n);
        }
    }

    private static void Str(Utf8JsonWriter w, string name, string? v)
    {
        if (v is not null)
        {
            w.WriteString(name, v);
        }
    }
}
