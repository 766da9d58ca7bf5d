using System.Text;
using System.Text.Json;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Json;

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
                JsonFields.ZoneIdentity(w, z);
                JsonFields.NumberIfKnown(w, "lwps", z.Lwps);
                JsonFields.NumberIfKnown(w, "lwpLimit", z.LwpLimit);
                JsonFields.NumberIfKnown(w, "denials", z.Denials);
                JsonFields.NumberIfKnown(w, "processes", z.Processes);
                JsonFields.NumberIfKnown(w, "processLimit", z.ProcessLimit);
                JsonFields.NumberIfKnown(w, "peak", z.Peak);
                if (z.Ratio is { } r)
                {
                    w.WriteNumber("ratio", Math.Round(r, 4));
                }

                JsonFields.StringIfKnown(w, "unit", z.Unit);
                JsonFields.StringIfKnown(w, "container", z.Container);
                JsonFields.StringIfKnown(w, "pod", z.Pod);
                JsonFields.StringIfKnown(w, "cgroupPath", z.CgroupPath);
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
}
