using System.Reflection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;
using Prometheus;

namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// The per-poll half of /metrics: a prometheus-net registry holding what one poll saw (zones, services, alerts,
/// collectors, host limits), updated once per poll and serialized at most once per poll per format (see
/// <see cref="RenderedMetrics"/>). Series of zones, services or collectors that the poll no longer saw are removed.
/// What changes between polls (delivery, logging, HTTP) is in <see cref="ScrapeMetrics"/>, read at scrape time.
/// </summary>
public sealed class MetricsRenderer
{
    public static readonly string Version =
        typeof(MetricsRenderer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static readonly string[] Severities = ["warning", "critical"];
    private static readonly string[] NoLabels = [];

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Lock _lock = new();

    // Reused for every serialization (under the lock): a fresh MemoryStream grew through 64-128-256 KB at 1,000 zones,
    // 700 KB of garbage per format per poll for a 240 KB exposition; now only the result array is allocated.
    private readonly MemoryStream _buffer = new(64 * 1024);
    private readonly PollFamily[] _all;
    private readonly PollFamily _buildInfo, _hostInfo, _lwps, _lwpsLimit, _denials, _processes, _processesLimit, _inTransition, _alerts, _zoneFindings,
        _collectorSuccess, _collectorDuration, _pollDuration, _lastPoll, _threadsMax, _pidMax, _tasks;

    public MetricsRenderer()
    {
        var f = Prometheus.Metrics.WithCustomRegistry(_registry);
        f.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        string[] zone = ["zone", "kind", "name"];
        _all =
        [
            _buildInfo = PollFamily.Gauge(f, "lwpwatch_build_info", "LwpWatch build and platform; always 1.", "version", "platform"),
            _hostInfo = PollFamily.Gauge(f, "lwpwatch_host_info", "The node name LwpWatch puts in its own alerts' host label; always 1. Prometheus rules join it to get the same host label.", "host"),
            _lwps = PollFamily.Gauge(f, "lwpwatch_zone_lwps", "LWPs (illumos) or tasks (Linux pids.current) in use in the zone.", zone),
            _lwpsLimit = PollFamily.Gauge(f, "lwpwatch_zone_lwps_limit", "The zone's LWP/task cap (zone.max-lwps, pids.max); absent when unlimited.", zone),
            _denials = PollFamily.Counter(f, "lwpwatch_zone_lwp_denials_total", "Forks/thread creations refused by the zone's cap (forkfail_cap, pids.events max), cumulative.", zone),
            _processes = PollFamily.Gauge(f, "lwpwatch_zone_processes", "Processes in the zone.", zone),
            _processesLimit = PollFamily.Gauge(f, "lwpwatch_zone_processes_limit", "The zone's process cap; absent when unlimited or unknown.", zone),
            _inTransition = PollFamily.Gauge(f, "lwpwatch_service_in_transition_seconds", "How long a service has been in transition (SMF nstate set, systemd activating/deactivating/reloading), by the manager's state-change time.", "zone", "service", "state", "next_state"),
            _alerts = PollFamily.Gauge(f, "lwpwatch_alerts", "Findings currently active, by severity and rule.", "severity", "rule"),
            _zoneFindings = PollFamily.Gauge(f, "lwpwatch_zone_findings", "Findings currently active in the zone, by rule and severity (rules about a zone; lwpwatch_alerts is the node's total).", [.. zone, "rule", "severity"]),
            _collectorSuccess = PollFamily.Gauge(f, "lwpwatch_collector_success", "1 if the collector succeeded in the last poll, 0 if it failed or timed out.", "collector"),
            _collectorDuration = PollFamily.Gauge(f, "lwpwatch_collector_duration_seconds", "How long the collector took in the last poll.", "collector"),
            _pollDuration = PollFamily.Gauge(f, "lwpwatch_poll_duration_seconds", "How long the last poll (collection and rules) took."),
            _lastPoll = PollFamily.Gauge(f, "lwpwatch_last_poll_timestamp_seconds", "Unix time of the last completed poll."),
            _threadsMax = PollFamily.Gauge(f, "lwpwatch_host_threads_max", "kernel.threads-max: the host-wide thread ceiling."),
            _pidMax = PollFamily.Gauge(f, "lwpwatch_host_pid_max", "kernel.pid_max: the highest pid (and host-wide task ceiling)."),
            _tasks = PollFamily.Gauge(f, "lwpwatch_host_tasks", "Tasks (threads) existing on the host."),
        ];
    }

    /// <summary>Series in the registry now (for tests and the bench).</summary>
    public int SeriesCount
    {
        get
        {
            lock (_lock)
            {
                return _all.Sum(f => f.Count);
            }
        }
    }

    /// <summary>Sets the registry to this poll; called on the poll loop. Serializing is left to the first scrape.</summary>
    public RenderedMetrics Render(RuleOutcome outcome, IReadOnlyList<string> ruleNames, TimeSpan pollDuration)
    {
        var s = outcome.Snapshot;
        lock (_lock)
        {
            foreach (var f in _all)
            {
                f.Begin();
            }

            _buildInfo.Set(1, [Version, s.Platform]);

            // The exporter convention is that a target's identity comes from target labels (job, instance), so the
            // zone series carry no host. Alerts LwpWatch sends itself do carry host, and the shipped Alertmanager
            // inhibit_rules match on [zone, host]: the shipped Prometheus rules join this info metric
            // (group_left(host)) so their alerts get the same value, whatever address the target is scraped at.
            _hostInfo.Set(1, [s.Host]);
            foreach (var z in s.Zones)
            {
                // One label array per zone, shared by its five families (it is their series key).
                string[] labels = [z.Id, z.Kind, z.Name];
                SetIf(_lwps, z.Lwps, labels);
                SetIf(_lwpsLimit, z.LwpLimit, labels);
                SetIf(_denials, z.Denials, labels);
                SetIf(_processes, z.Processes, labels);
                SetIf(_processesLimit, z.ProcessLimit, labels);
            }

            foreach (var svc in s.Services)
            {
                if (svc.InTransition)
                {
                    var secs = svc.StateSince is { } since ? Math.Max(0, (s.TakenAt - since).TotalSeconds) : 0;
                    _inTransition.Set(Math.Round(secs, 3), [svc.ZoneId, svc.Name, svc.State, svc.NextState ?? ""]);
                }
            }

            foreach (var rule in ruleNames)
            {
                foreach (var sev in Severities)
                {
                    var n = outcome.Findings.Count(f => f.Rule == rule && OutputNames.Severity(f.Severity) == sev);
                    _alerts.Set(n, [sev, rule]);
                }
            }

            // Per zone as well: what only the daemon can judge (a stuck provision against vmadm's deadline, a cap
            // configured but not enforced) becomes a Prometheus alert with the zone label the shipped Alertmanager
            // inhibit_rules match on ([zone, host]); a per-node count could never be matched to the zone's other
            // alerts. Only rules about a zone (host-limits and collector-health name the node, not a zone).
            foreach (var g in outcome.Findings.Where(f => RuleFactory.RoleOf(f.Rule) is { IsRootCause: true } or { IsSymptom: true })
                .GroupBy(f => (f.ZoneId, f.Rule, f.Severity)))
            {
                // A provision's zone may not be listed yet: its kind and name are then unknown, left empty.
                var z = SnapshotIndex.Zone(s, g.Key.ZoneId);
                _zoneFindings.Set(g.Count(), [g.Key.ZoneId, z?.Kind ?? "", z?.Name ?? "", g.Key.Rule, OutputNames.Severity(g.Key.Severity)]);
            }

            foreach (var c in s.Collectors)
            {
                string[] labels = [c.Name];
                _collectorSuccess.Set(c.Success ? 1 : 0, labels);
                _collectorDuration.Set(Math.Round(c.Duration.TotalSeconds, 6), labels);
            }

            _pollDuration.Set(Math.Round(pollDuration.TotalSeconds, 6), NoLabels);
            _lastPoll.Set(s.TakenAt.ToUnixTimeMilliseconds() / 1000.0, NoLabels);
            if (s.HostLimits is { } h)
            {
                SetIf(_threadsMax, h.ThreadsMax, NoLabels);
                SetIf(_pidMax, h.PidMax, NoLabels);
                SetIf(_tasks, h.Tasks, NoLabels);
            }

            foreach (var f in _all)
            {
                f.Sweep();
            }
        }

        return new RenderedMetrics(this);
    }

    /// <summary>
    /// Serializes the registry as it is now. Under the same lock as <see cref="Render"/>, so a scrape never sees half
    /// a poll; a scrape holding a poll's <see cref="RenderedMetrics"/> after the next poll's update gets the newer poll,
    /// which is as consistent and only fresher.
    /// </summary>
    internal byte[] Serialize(ExpositionFormat format)
    {
        lock (_lock)
        {
            _buffer.SetLength(0);
            // The target is a MemoryStream: every write completes synchronously, so nothing blocks here.
            _registry.CollectAndExportAsTextAsync(_buffer, format).GetAwaiter().GetResult();
            return _buffer.ToArray();
        }
    }

    private static void SetIf(PollFamily family, long? value, string[] labels)
    {
        if (value is { } v)
        {
            family.Set(v, labels);
        }
    }
}
