using System.Text;
using System.Text.Json;
using LwpWatch.Core.Model;
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
                w.WriteStartArray("topHolders");
                foreach (var h in s.HoldersOf(z.Id))
                {
                    Holder(w, h);
                }

                w.WriteEndArray();
                w.WriteStartArray("services");
                foreach (var sv in s.ServicesOf(z.Id))
                {
                    Service(w, sv);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Every field of the record, in its order, null where unknown (the shape the API always had).</summary>
    private static void Holder(Utf8JsonWriter w, ThreadHolder h)
    {
        w.WriteStartObject();
        w.WriteString("zoneId", h.ZoneId);
        w.WriteNumber("pid", h.Pid);
        w.WriteString("command", h.Command);
        w.WriteString("args", h.Args);
        w.WriteNumber("lwps", h.Lwps);
        w.WriteEndObject();
    }

    private static void Service(Utf8JsonWriter w, ServiceState s)
    {
        w.WriteStartObject();
        w.WriteString("zoneId", s.ZoneId);
        w.WriteString("name", s.Name);
        w.WriteString("state", s.State);
        w.WriteString("nextState", s.NextState);
        w.WriteBoolean("inTransition", s.InTransition);
        w.WriteString("stateSince", s.StateSince is { } t ? CheckJson.Iso(t) : null);
        JsonFields.NumberOrNull(w, "tasks", s.Tasks);
        JsonFields.NumberOrNull(w, "tasksLimit", s.TasksLimit);
        w.WriteString("controlGroup", s.ControlGroup);
        w.WriteStartArray("dependencies");
        foreach (var d in s.Dependencies)
        {
            w.WriteStringValue(d);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
