using System.Collections.Immutable;
using System.Text.Json;
using LwpWatch.Collectors.Evidence;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Metrics;

namespace LwpWatch.Daemon.Evidence;

/// <summary>
/// In the poll, right after the rules: every critical finding that has no bundle yet gets one (what proves it:
/// caps, usage over the history window, top holders, the services, and what <see cref="EvidenceGatherer"/> ran),
/// and every finding carries its bundle's id while it keeps firing. All gathering of one poll shares one
/// budget; findings beyond evidence.maxPerPoll are done on the next poll. A failure to write is reported in
/// <see cref="LastError"/>, never thrown into the poll.
/// </summary>
public sealed class EvidenceRecorder(EvidenceSettings settings, EvidenceGatherer gatherer, EvidenceStore store)
{
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);

    public EvidenceStore Store => store;

    public string? LastError { get; private set; }

    public async Task<RuleOutcome> AttachAsync(RuleOutcome outcome, ZoneHistory history, CancellationToken cancellationToken)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        var candidates = new List<Finding>();
        foreach (var f in outcome.Findings)
        {
            live.Add(f.Fingerprint);
            if (f.Severity == Severity.Critical && !_ids.ContainsKey(f.Fingerprint))
            {
                candidates.Add(f);
            }
        }

        // Root causes first: when more criticals fire than one poll may gather, the cap-starvation and stuck
        // provision bundles are the ones that must exist before vmadm stops the zone; symptoms can wait a poll.
        var todo = candidates.OrderBy(f => RuleIds.EvidencePriority(f.Rule)).Take(settings.MaxPerPoll).ToList();

        foreach (var gone in _ids.Keys.Where(k => !live.Contains(k)).ToList())
        {
            _ids.Remove(gone); // resolved: a new episode gets a new bundle
        }

        if (todo.Count > 0)
        {
            var gathered = await Task.WhenAll(todo.Select(f => gatherer.GatherAsync(f, outcome.Snapshot, settings.Budget, cancellationToken))).ConfigureAwait(false);
            for (var i = 0; i < todo.Count; i++)
            {
                var f = todo[i];
                var id = EvidenceStore.NewId(outcome.Snapshot.TakenAt, f.Rule, f.Fingerprint);
                try
                {
                    store.Save(id, Write(id, f, outcome.Snapshot, history, gathered[i]));
                    _ids[f.Fingerprint] = id;
                    LastError = null;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    LastError = $"evidence for {f.Fingerprint} not saved: {ex.Message}";
                }
            }
        }

        if (_ids.Count == 0)
        {
            return outcome;
        }

        var findings = outcome.Findings.Select(f => _ids.TryGetValue(f.Fingerprint, out var id) ? f with { EvidenceId = id } : f);
        return outcome with { Findings = [.. findings] };
    }

    public static byte[] Write(string id, Finding f, Snapshot s, ZoneHistory history, ImmutableArray<EvidenceItem> items)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteString("id", id);
            w.WriteString("createdAt", CheckJson.Iso(s.TakenAt));
            w.WriteString("host", s.Host);
            w.WriteString("platform", s.Platform);

            w.WritePropertyName("finding");
            w.WriteStartObject();
            w.WriteString("rule", f.Rule);
            w.WriteString("zone", f.ZoneId);
            w.WriteString("service", f.Service);
            w.WriteString("severity", MetricsRenderer.SeverityName(f.Severity));
            w.WriteString("since", CheckJson.Iso(f.Since));
            w.WriteString("summary", f.Summary);
            w.WritePropertyName("evidence");
            f.Evidence.WriteJson(w);
            w.WriteStartArray("hints");
            foreach (var h in f.Hints)
            {
                w.WriteStringValue(h.Render());
            }

            w.WriteEndArray();
            w.WriteEndObject();

            if (s.Zones.FirstOrDefault(z => z.Id == f.ZoneId) is { } zone)
            {
                w.WritePropertyName("zone");
                EvidenceMap.Of(
                    ("id", zone.Id), ("kind", zone.Kind), ("name", zone.Name), ("unit", zone.Unit), ("container", zone.Container),
                    ("cgroupPath", zone.CgroupPath), ("zonePath", zone.ZonePath), ("state", zone.State),
                    ("lwps", zone.Lwps), ("lwpLimit", zone.LwpLimit), ("peak", zone.Peak), ("denials", zone.Denials),
                    ("processes", zone.Processes), ("processLimit", zone.ProcessLimit)).WriteJson(w);
            }

            // Usage over the rules' history window: how it got here.
            w.WriteStartArray("usage");
            foreach (var sample in history.Of(f.ZoneId))
            {
                w.WriteStartObject();
                w.WriteString("takenAt", CheckJson.Iso(sample.At));
                Num(w, "lwps", sample.Lwps);
                Num(w, "lwpLimit", sample.LwpLimit);
                Num(w, "denials", sample.Denials);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("topHolders");
            foreach (var h in s.TopHolders.Where(h => h.ZoneId == f.ZoneId))
            {
                Diagnosis.Holder(h).WriteJson(w);
            }

            w.WriteEndArray();
            w.WriteStartArray("services");
            foreach (var sv in s.Services.Where(x => InZone(x.ZoneId, f.ZoneId) && (x.InTransition || x.Name == f.Service)))
            {
                EvidenceMap.Of(
                    ("name", sv.Name), ("zone", sv.ZoneId), ("state", sv.State), ("nextState", sv.NextState), ("inTransition", sv.InTransition),
                    ("stateSince", sv.StateSince), ("tasks", sv.Tasks), ("tasksLimit", sv.TasksLimit), ("controlGroup", sv.ControlGroup)).WriteJson(w);
            }

            w.WriteEndArray();
            w.WriteStartArray("provisions");
            foreach (var p in s.Provisions.Where(p => p.ZoneId == f.ZoneId))
            {
                EvidenceMap.Of(
                    ("vmState", p.VmState), ("markerPresent", p.MarkerPresent), ("markerSince", p.MarkerSince),
                    ("deadline", p.Deadline)).WriteJson(w);
            }

            w.WriteEndArray();
            w.WriteStartArray("items");
            foreach (var it in items)
            {
                w.WriteStartObject();
                w.WriteString("title", it.Title);
                if (!it.Argv.IsDefaultOrEmpty)
                {
                    w.WriteStartArray("argv");
                    foreach (var a in it.Argv)
                    {
                        w.WriteStringValue(a);
                    }

                    w.WriteEndArray();
                }

                if (it.Path is not null)
                {
                    w.WriteString("path", it.Path);
                }

                if (it.ExitCode is { } code)
                {
                    w.WriteNumber("exitCode", code);
                }

                if (it.Error is not null)
                {
                    w.WriteString("error", it.Error);
                }

                w.WriteBoolean("timedOut", it.TimedOut);
                w.WriteBoolean("truncated", it.Truncated);
                w.WriteNumber("durationMs", it.DurationMs);
                w.WriteString("text", it.Text);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return ms.ToArray();
    }

    /// <summary>A service belongs to the zone if it runs in it or, for cgroups, below it.</summary>
    private static bool InZone(string serviceZone, string zone) =>
        serviceZone == zone || (zone.StartsWith('/') && serviceZone.StartsWith(zone.TrimEnd('/') + "/", StringComparison.Ordinal));

    private static void Num(Utf8JsonWriter w, string name, long? v)
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
}
