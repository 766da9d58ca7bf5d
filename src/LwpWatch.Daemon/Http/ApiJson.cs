using System.Text.Json;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Http;

/// <summary>JSON bodies of /api/v1/*: the same field names as `check --format json`, plus detail.</summary>
public static class ApiJson
{
    public static string Zones(RuleOutcome outcome)
    {
        return JsonOutput.Text(default, w =>
        {
            var s = outcome.Snapshot;
            w.WriteStartObject();
            w.WriteString("takenAt", Timestamps.Seconds(s.TakenAt));
            w.WriteString("host", s.Host);
            w.WriteString("platform", s.Platform);
            w.WriteStartArray("zones");
            foreach (var z in s.Zones)
            {
                w.WriteStartObject();
                JsonOutput.ZoneIdentity(w, z);
                JsonOutput.NumberIfKnown(w, "lwps", z.Lwps);
                JsonOutput.NumberIfKnown(w, "lwpLimit", z.LwpLimit);
                JsonOutput.NumberIfKnown(w, "denials", z.Denials);
                JsonOutput.NumberIfKnown(w, "processes", z.Processes);
                JsonOutput.NumberIfKnown(w, "processLimit", z.ProcessLimit);
                JsonOutput.NumberIfKnown(w, "peak", z.Peak);
                if (z.Ratio is { } r)
                {
                    w.WriteNumber("ratio", Math.Round(r, 4));
                }

                JsonOutput.StringIfKnown(w, "unit", z.Unit);
                JsonOutput.StringIfKnown(w, "container", z.Container);
                JsonOutput.StringIfKnown(w, "pod", z.Pod);
                JsonOutput.StringIfKnown(w, "cgroupPath", z.CgroupPath);
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
        });
    }

    /// <summary>Every field of the record, in its order, null where unknown (the shape the API always had).</summary>
    private static void Holder(Utf8JsonWriter w, ThreadHolder h) =>
        JsonOutput.Record(w, ("zoneId", h.ZoneId), ("pid", h.Pid), ("command", h.Command), ("args", h.Args), ("lwps", h.Lwps));

    private static void Service(Utf8JsonWriter w, ServiceState s) => JsonOutput.Record(
        w,
        ("zoneId", s.ZoneId), ("name", s.Name), ("state", s.State), ("nextState", s.NextState), ("inTransition", s.InTransition),
        ("stateSince", s.StateSince), ("tasks", s.Tasks), ("tasksLimit", s.TasksLimit), ("controlGroup", s.ControlGroup), ("dependencies", s.Dependencies));
}
