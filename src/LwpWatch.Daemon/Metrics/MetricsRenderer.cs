using System.Reflection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// Turns one poll (snapshot + findings) into the exposition, in both formats, once per poll. /metrics then
/// serves the cached bytes: a scrape costs no collection and no rendering.
/// </summary>
public sealed class MetricsRenderer(IEnumerable<IMetricsSource> sources)
{
    public static readonly string Version =
        typeof(MetricsRenderer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static readonly string[] Severities = ["warning", "critical"];

    public RenderedMetrics Render(RuleOutcome outcome, IReadOnlyList<string> ruleNames, TimeSpan pollDuration)
    {
        var w = new PrometheusTextWriter();
        var s = outcome.Snapshot;

        w.Gauge("lwpwatch_build_info", "LwpWatch build and platform; always 1.");
        w.Sample("lwpwatch_build_info", 1, ("version", Version), ("platform", s.Platform));

        w.Gauge("lwpwatch_zone_lwps", "LWPs (illumos) or tasks (Linux pids.current) in use in the zone.");
        w.Gauge("lwpwatch_zone_lwps_limit", "The zone's LWP/task cap (zone.max-lwps, pids.max); absent when unlimited.");
        w.Counter("lwpwatch_zone_lwp_denials_total", "Forks/thread creations refused by the zone's cap (forkfail_cap, pids.events max), cumulative.");
        w.Gauge("lwpwatch_zone_processes", "Processes in the zone.");
        w.Gauge("lwpwatch_zone_processes_limit", "The zone's process cap; absent when unlimited or unknown.");
        foreach (var z in s.Zones)
        {
            (string, string)[] labels = [("zone", z.Id), ("kind", z.Kind), ("name", z.Name)];
            if (z.Lwps is { } l)
            {
                w.Sample("lwpwatch_zone_lwps", l, labels);
            }

            if (z.LwpLimit is { } cap)
            {
                w.Sample("lwpwatch_zone_lwps_limit", cap, labels);
            }

            if (z.Denials is { } d)
            {
                w.Sample("lwpwatch_zone_lwp_denials_total", d, labels);
            }

            if (z.Processes is { } p)
            {
                w.Sample("lwpwatch_zone_processes", p, labels);
            }

            if (z.ProcessLimit is { } pl)
            {
                w.Sample("lwpwatch_zone_processes_limit", pl, labels);
            }
        }

        w.Gauge("lwpwatch_service_in_transition_seconds", "How long a service has been in transition (SMF nstate set, systemd activating/deactivating/reloading), by the manager's state-change time.");
        foreach (var svc in s.Services)
        {
            if (svc.InTransition)
            {
                var secs = svc.StateSince is { } since ? Math.Max(0, (s.TakenAt - since).TotalSeconds) : 0;
                w.Sample("lwpwatch_service_in_transition_seconds", Math.Round(secs, 3), ("zone", svc.ZoneId), ("service", svc.Name), ("state", svc.State), ("next_state", svc.NextState ?? ""));
            }
        }

        w.Gauge("lwpwatch_alerts", "Findings currently active, by severity and rule.");
        foreach (var rule in ruleNames)
        {
            foreach (var sev in Severities)
            {
                var n = outcome.Findings.Count(f => f.Rule == rule && SeverityName(f.Severity) == sev);
                w.Sample("lwpwatch_alerts", n, ("severity", sev), ("rule", rule));
            }
        }

        w.Gauge("lwpwatch_collector_success", "1 if the collector succeeded in the last poll, 0 if it failed or timed out.");
        w.Gauge("lwpwatch_collector_duration_seconds", "How long the collector took in the last poll.");
        foreach (var c in s.Collectors)
        {
            w.Sample("lwpwatch_collector_success", c.Success ? 1 : 0, ("collector", c.Name));
            w.Sample("lwpwatch_collector_duration_seconds", Math.Round(c.Duration.TotalSeconds, 6), ("collector", c.Name));
        }

        w.Gauge("lwpwatch_poll_duration_seconds", "How long the last poll (collection and rules) took.");
        w.Sample("lwpwatch_poll_duration_seconds", Math.Round(pollDuration.TotalSeconds, 6));
        w.Gauge("lwpwatch_last_poll_timestamp_seconds", "Unix time of the last completed poll.");
        w.Sample("lwpwatch_last_poll_timestamp_seconds", s.TakenAt.ToUnixTimeMilliseconds() / 1000.0);

        if (s.HostLimits is { } h)
        {
            w.Gauge("lwpwatch_host_threads_max", "kernel.threads-max: the host-wide thread ceiling.");
            w.Gauge("lwpwatch_host_pid_max", "kernel.pid_max: the highest pid (and host-wide task ceiling).");
            w.Gauge("lwpwatch_host_tasks", "Tasks (threads) existing on the host.");
            if (h.ThreadsMax is { } tm)
            {
                w.Sample("lwpwatch_host_threads_max", tm);
            }

            if (h.PidMax is { } pm)
            {
                w.Sample("lwpwatch_host_pid_max", pm);
            }

            if (h.Tasks is { } t)
            {
                w.Sample("lwpwatch_host_tasks", t);
            }
        }

        foreach (var source in sources)
        {
            source.Write(w);
        }

        return new RenderedMetrics(w);
    }

    public static string SeverityName(Severity s) => s switch
    {
        Severity.Critical => "critical",
        Severity.Warning => "warning",
        _ => "info",
    };
}

/// <summary>
/// One poll's exposition. The samples are gathered on the poll loop; each format is serialized to UTF-8 on its
/// first request, at most once per poll, on the request's thread. Rendering both eagerly cost the poll loop
/// two ~200 KB strings and two byte arrays at 1,000 zones, all on the large object heap, every poll, whether
/// anyone scraped or not (Prometheus asks for one format).
/// </summary>
public sealed class RenderedMetrics
{
    private readonly Lazy<byte[]> _text;
    private readonly Lazy<byte[]> _openMetrics;

    public RenderedMetrics(PrometheusTextWriter samples)
    {
        _text = new(() => System.Text.Encoding.UTF8.GetBytes(samples.Render(ExpositionFormat.Text004)));
        _openMetrics = new(() => System.Text.Encoding.UTF8.GetBytes(samples.Render(ExpositionFormat.OpenMetrics)));
    }

    public static readonly RenderedMetrics Empty = new(new PrometheusTextWriter());

    /// <summary>Prometheus text format 0.0.4, UTF-8.</summary>
    public byte[] TextUtf8 => _text.Value;

    /// <summary>OpenMetrics 1.0.0, UTF-8.</summary>
    public byte[] OpenMetricsUtf8 => _openMetrics.Value;

    public string Text => System.Text.Encoding.UTF8.GetString(TextUtf8);

    public string OpenMetrics => System.Text.Encoding.UTF8.GetString(OpenMetricsUtf8);
}
