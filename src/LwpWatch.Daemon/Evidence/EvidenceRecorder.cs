using System.Collections.Immutable;
using System.Text.Json;
using LwpWatch.Collectors.Evidence;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LwpWatch.Daemon.Evidence;

/// <summary>
/// Evidence bundles, beside the rules -> alerts path rather than in it: on the poll loop <see cref="Record"/> only
/// decides (no I/O): every critical incident head without a bundle gets an id (root causes first, at most
/// evidence.maxPerPoll per poll, the rest on the next poll) and its gathering is queued. What proves it (caps, usage
/// over the history window, top holders, the services, what <see cref="EvidenceGatherer"/> ran) is gathered and
/// saved off the poll loop, one batch at a time, within evidence.budget per bundle, so a hung tool never delays a
/// poll. Findings are never rewritten: the ids are returned (fingerprint -> id) for the outputs and alerts to name.
/// A bundle that could not be saved is reported in <see cref="LastError"/> and gathered again on the next poll.
/// </summary>
/// <param name="log">where a bundle that could not be saved is reported (id 1700); null = nowhere.</param>
public sealed class EvidenceRecorder(EvidenceSettings settings, EvidenceGatherer gatherer, EvidenceStore store, ILogger? log = null)
{
    /// <summary>Bundles gathered at the same time (each runs its tools and bus calls concurrently within its budget).</summary>
    public const int GatherConcurrency = 2;

    private readonly ILogger _log = log ?? NullLogger.Instance;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
    private ImmutableDictionary<string, string> _published = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
    private Task _batch = Task.CompletedTask;
    private string? _lastError;
    private long _saveFailures;

    public EvidenceStore Store => store;

    /// <summary>Bundles that could not be written (exported as lwpwatch_evidence_save_errors_total).</summary>
    public long SaveFailures => Interlocked.Read(ref _saveFailures);

    public string? LastError
    {
        get
        {
            lock (_gate)
            {
                return _lastError;
            }
        }
    }

    /// <summary>Fingerprint -> bundle id of every live incident that has one (saved, or being gathered).</summary>
    public ImmutableDictionary<string, string> Ids
    {
        get
        {
            lock (_gate)
            {
                return _published;
            }
        }
    }

    /// <summary>
    /// One poll, on the poll loop: forgets resolved findings (a new episode gets a new bundle), picks the new critical
    /// incident heads, gives each an id and queues its gathering. Returns the ids of every live finding with one.
    /// </summary>
    public ImmutableDictionary<string, string> Record(RuleOutcome outcome, ZoneHistory history, CancellationToken cancellationToken = default)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in outcome.Findings)
        {
            live.Add(f.Fingerprint);
        }

        var jobs = new List<Job>();
        lock (_gate)
        {
            foreach (var gone in _ids.Keys.Where(k => !live.Contains(k)).ToList())
            {
                _ids.Remove(gone);
            }

            // One batch in flight at a time: a slow batch holds back the next poll's new bundles, never the poll.
            if (_batch.IsCompleted)
            {
                // Root causes first: when more critical incidents start than one poll may gather for, the bundles
                // that must exist before vmadm (or an operator) stops the zone are the root causes'.
                var todo = outcome.Incidents
                    .Where(i => i.Head.Severity == Severity.Critical && !_ids.ContainsKey(i.Fingerprint))
                    .OrderBy(i => RuleFactory.RoleOf(i.Head.Rule) is { IsRootCause: true } r ? r.Level : int.MaxValue)
                    .Take(settings.MaxPerPoll);
                foreach (var incident in todo)
                {
                    var f = incident.Head;
                    var id = EvidenceStore.NewId(outcome.Snapshot.TakenAt, f.Rule, f.Fingerprint);
                    // Two live incidents never share a bundle, however their fingerprints hash (tenants name cgroups).
                    for (var salt = 1; _ids.ContainsValue(id); salt++)
                    {
                        id = EvidenceStore.NewId(outcome.Snapshot.TakenAt, f.Rule, f.Fingerprint, salt);
                    }

                    _ids[f.Fingerprint] = id;
                    // The samples are copied now: the history is the engine's and changes with the next poll.
                    jobs.Add(new Job(id, f, ServiceOf(incident, outcome.Snapshot), history.Of(f.ZoneId).ToArray()));
                }

                if (jobs.Count > 0)
                {
                    var snapshot = outcome.Snapshot;
                    _batch = Task.Run(() => GatherAndSaveAsync(jobs, snapshot, cancellationToken), CancellationToken.None);
                }
            }

            _published = _ids.ToImmutableDictionary(StringComparer.Ordinal);
            return _published;
        }
    }

    /// <summary>Waits for the gathering queued so far (replays, tests, shutdown).</summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            return _batch;
        }
    }

    /// <summary>
    /// The service whose manager's account and log go in the bundle: the head's own, else the first symptom that names
    /// one (the stuck service a starving zone's cap-starvation explains), else the zone's longest-stuck service.
    /// </summary>
    private static string? ServiceOf(Incident incident, Snapshot snapshot)
    {
        if (incident.Head.Service is { } own)
        {
            return own;
        }

        foreach (var s in incident.Symptoms)
        {
            if (s.Service is { } named && s.ZoneId == incident.Head.ZoneId)
            {
                return named;
            }
        }

        return snapshot.Services
            .Where(sv => sv.InTransition && InZone(sv.ZoneId, incident.Head.ZoneId))
            .OrderBy(sv => sv.StateSince ?? DateTimeOffset.MaxValue)
            .ThenBy(sv => sv.Name, StringComparer.Ordinal)
            .FirstOrDefault()?.Name;
    }

    private async Task GatherAndSaveAsync(List<Job> jobs, Snapshot snapshot, CancellationToken cancellationToken)
    {
        var gathered = new ImmutableArray<EvidenceItem>[jobs.Count];
        try
        {
            // At most GatherConcurrency bundles at once, each with its own budget from when it starts: a storm of
            // incidents must not fork a journalctl and a systemctl per incident at the same moment on a node that is
            // short of threads already (in the VM suite 7 at once overran a 3 s budget where 1 or 2 did not).
            var options = new ParallelOptions { MaxDegreeOfParallelism = GatherConcurrency, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, jobs.Count), options, async (i, ct) =>
                gathered[i] = await gatherer.GatherAsync(jobs[i].Finding, jobs[i].Service, snapshot, settings.Budget, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Gathering is best effort; the bundle still says what the poll saw.
            gathered = [.. jobs.Select(_ => ImmutableArray.Create(new EvidenceItem { Title = "gathering", Error = ex.GetType().Name + ": " + ex.Message }))];
        }

        for (var i = 0; i < jobs.Count; i++)
        {
            var j = jobs[i];
            try
            {
                store.Save(j.Id, Write(j.Id, j.Finding, snapshot, j.Usage, gathered[i]));
                lock (_gate)
                {
                    _lastError = null;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref _saveFailures);
                _log.EvidenceSaveFailed(j.Id, j.Finding.Fingerprint, store.Dir, ex.Message);
                lock (_gate)
                {
                    _lastError = $"evidence for {j.Finding.Fingerprint} not saved: {ex.Message}";
                    // Not saved: the next poll tries again under a new id.
                    if (_ids.TryGetValue(j.Finding.Fingerprint, out var id) && id == j.Id)
                    {
                        _ids.Remove(j.Finding.Fingerprint);
                        _published = _ids.ToImmutableDictionary(StringComparer.Ordinal);
                    }
                }
            }
        }
    }

    private sealed record Job(string Id, Finding Finding, string? Service, ZoneSample[] Usage);

    public static byte[] Write(string id, Finding f, Snapshot s, ZoneHistory history, ImmutableArray<EvidenceItem> items) =>
        Write(id, f, s, history.Of(f.ZoneId).ToArray(), items);

    public static byte[] Write(string id, Finding f, Snapshot s, IReadOnlyList<ZoneSample> usage, ImmutableArray<EvidenceItem> items)
    {
        return JsonOutput.Bytes(JsonOutput.RelaxedIndented, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteString("id", id);
            w.WriteString("createdAt", Timestamps.Seconds(s.TakenAt));
            w.WriteString("host", s.Host);
            w.WriteString("platform", s.Platform);

            w.WritePropertyName("finding");
            w.WriteStartObject();
            w.WriteString("rule", f.Rule);
            w.WriteString("zone", f.ZoneId);
            w.WriteString("service", f.Service);
            w.WriteString("severity", OutputNames.Severity(f.Severity));
            w.WriteString("since", Timestamps.Seconds(f.Since));
            w.WriteString("summary", f.Summary);
            w.WritePropertyName("evidence");
            f.Evidence.WriteJson(w);
            JsonOutput.Strings(w, "hints", f.Hints.Render());
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
            foreach (var sample in usage)
            {
                w.WriteStartObject();
                w.WriteString("takenAt", Timestamps.Seconds(sample.At));
                JsonOutput.LwpCounts(w, sample.Lwps, sample.LwpLimit, sample.Denials);
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
                    JsonOutput.Strings(w, "argv", it.Argv);
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
        });
    }

    /// <summary>A service belongs to the zone if it runs in it or, for cgroups, below it.</summary>
    private static bool InZone(string serviceZone, string zone) =>
        serviceZone == zone || (zone.StartsWith('/') && serviceZone.StartsWith(zone.TrimEnd('/') + "/", StringComparison.Ordinal));
}
