using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Metrics;

public sealed class MetricsRendererTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch.AddDays(20000);

    private static readonly Zone[] HostileZones =
    [
        new Zone { Id = "/system.slice/a\"b.service", Kind = ZoneKind.Cgroup, Name = "we\\ird\nname", Lwps = 5, LwpLimit = 10, Denials = 3 },
        new Zone { Id = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", Kind = ZoneKind.IllumosZone, Name = "delegate-test-7", Lwps = 398, LwpLimit = 400, Denials = 1734, Processes = 37, ProcessLimit = 2147483647 },
    ];

    private const string IllumosZoneLabels = "{zone=\"9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90\",kind=\"illumos-zone\",name=\"delegate-test-7\"}";

    private static Snapshot Snap(Zone[] zones, ServiceState[]? services = null, DateTimeOffset? at = null) => new()
    {
        TakenAt = at ?? At,
        Host = "node",
        Platform = "illumos",
        Zones = [.. zones],
        Services = [.. services ?? []],
        Collectors = [new CollectorStatus("kstat", true, TimeSpan.FromMilliseconds(12)), new CollectorStatus("svcs", false, TimeSpan.FromSeconds(8), "timed out")],
        HostLimits = new HostLimits { ThreadsMax = 192730, PidMax = 32768, Tasks = 345 },
    };

    private static RuleOutcome Evaluate(Snapshot snap) =>
        new RuleEngine(RuleFactory.Create(new Core.Options.RulesSettings()), TimeSpan.FromMinutes(5)).Evaluate(snap);

    [Fact]
    public void A_rendered_poll_with_hostile_names_passes_promtool_in_both_formats()
    {
        var snap = Snap(HostileZones, [new ServiceState { ZoneId = HostileZones[1].Id, Name = "svc:/system/filesystem/local:default", State = "offline", NextState = "online", InTransition = true, StateSince = At.AddMinutes(-3) }]);
        var rendered = new MetricsRenderer().Render(Evaluate(snap), ["near-cap", "fork-denied"], TimeSpan.FromMilliseconds(30));

        // Text 0.0.4: promtool, the Prometheus project's own checker.
        var check = Promtool.CheckMetrics(rendered.Text);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr + rendered.Text);
        Assert.Contains("lwpwatch_service_in_transition_seconds{zone=\"9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90\",service=\"svc:/system/filesystem/local:default\",state=\"offline\",next_state=\"online\"} 180", rendered.Text, StringComparison.Ordinal);
        Assert.Contains("lwpwatch_alerts{severity=\"critical\",rule=\"near-cap\"} 1", rendered.Text, StringComparison.Ordinal);
        Assert.Contains("lwpwatch_collector_success{collector=\"svcs\"} 0", rendered.Text, StringComparison.Ordinal);
        // Label values escaped as the format asks (backslash, quote, newline).
        Assert.Contains("lwpwatch_zone_lwps{zone=\"/system.slice/a\\\"b.service\",kind=\"cgroup\",name=\"we\\\\ird\\nname\"} 5\n", rendered.Text, StringComparison.Ordinal);

        // OpenMetrics: promtool 2.42 cannot read it (see ExpositionParser); a strict OpenMetrics parser can, and it
        // must carry the same series with the same values as the text format.
        var om = ExpositionParser.OpenMetrics(rendered.OpenMetrics);
        var text = ExpositionParser.Text(rendered.Text);
        Assert.Equal(text.Select(s => (s.Series, s.Value)).Order(), om.Select(s => (s.Series, s.Value)).Order());
        Assert.Contains(om, s => s.Family == "lwpwatch_zone_lwp_denials" && s.Type == "counter" && s.Name == "lwpwatch_zone_lwp_denials_total" && s.Value == 1734);
        Assert.Contains("\n# TYPE lwpwatch_zone_lwp_denials counter\n", rendered.OpenMetrics, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", rendered.OpenMetrics, StringComparison.Ordinal);

        // Serialized once per poll, then the same bytes for every scrape.
        Assert.Same(rendered.TextUtf8, rendered.TextUtf8);
        Assert.Same(rendered.OpenMetricsUtf8, rendered.OpenMetricsUtf8);
        Assert.Equal("", RenderedMetrics.Empty.Text);
        Assert.Equal("# EOF\n", RenderedMetrics.Empty.OpenMetrics);
    }

    [Fact]
    public void Series_of_zones_and_services_the_poll_no_longer_sees_are_removed_in_both_formats()
    {
        var renderer = new MetricsRenderer();
        var inTransition = new ServiceState { ZoneId = HostileZones[1].Id, Name = "svc:/a:default", State = "offline", NextState = "online", InTransition = true, StateSince = At.AddMinutes(-1) };
        var first = renderer.Render(Evaluate(Snap(HostileZones, [inTransition])), ["near-cap"], TimeSpan.FromMilliseconds(30));
        Assert.Contains("delegate-test-7", first.Text, StringComparison.Ordinal);
        Assert.Contains("lwpwatch_service_in_transition_seconds{", first.Text, StringComparison.Ordinal);
        var before = renderer.SeriesCount;

        // The illumos zone halted and its service settled; the cgroup lost its cap.
        var cgroupUncapped = HostileZones[0] with { LwpLimit = null };
        var second = renderer.Render(Evaluate(Snap([cgroupUncapped], [inTransition with { InTransition = false, NextState = null }], At.AddSeconds(10))), ["near-cap"], TimeSpan.FromMilliseconds(30));
        foreach (var exposition in new[] { second.Text, second.OpenMetrics })
        {
            Assert.DoesNotContain("delegate-test-7", exposition, StringComparison.Ordinal);
            Assert.DoesNotContain(HostileZones[1].Id, exposition, StringComparison.Ordinal);
            Assert.DoesNotContain("lwpwatch_service_in_transition_seconds{", exposition, StringComparison.Ordinal);
            Assert.DoesNotContain("lwpwatch_zone_lwps_limit{", exposition, StringComparison.Ordinal);
            Assert.Contains("lwpwatch_zone_lwps{zone=\"/system.slice/a\\\"b.service\"", exposition, StringComparison.Ordinal);
        }

        // Gone from the registry, not only hidden: zones coming and going must not grow it. Five series of the
        // illumos zone, the cgroup's cap, the service, and the zones' findings (none is left: the illumos zone is
        // gone, the uncapped cgroup refuses nothing itself).
        Assert.True(ZoneFindings(first.Text) > 0, first.Text);
        Assert.Equal(0, ZoneFindings(second.Text));
        Assert.Equal(before - 5 - 1 - 1 - ZoneFindings(first.Text), renderer.SeriesCount);
        Assert.Equal(0, Promtool.CheckMetrics(second.Text).ExitCode);
        _ = ExpositionParser.OpenMetrics(second.OpenMetrics);

        // And back: the zone reappears with its values.
        var third = renderer.Render(Evaluate(Snap(HostileZones, [], At.AddSeconds(20))), ["near-cap"], TimeSpan.FromMilliseconds(30));
        Assert.Contains("lwpwatch_zone_lwps" + IllumosZoneLabels + " 398\n", third.Text, StringComparison.Ordinal);
        Assert.Equal(before - 1 - ZoneFindings(first.Text) + ZoneFindings(third.Text), renderer.SeriesCount);
    }

    private static int ZoneFindings(string text) =>
        text.Split('\n').Count(l => l.StartsWith("lwpwatch_zone_findings{", StringComparison.Ordinal));

    [Fact]
    public void A_kernel_denial_count_that_went_down_is_exposed_as_a_counter_reset_not_held_at_its_old_maximum()
    {
        var renderer = new MetricsRenderer();
        var zone = HostileZones[1];
        Assert.Contains("lwpwatch_zone_lwp_denials_total" + IllumosZoneLabels + " 1734\n", renderer.Render(Evaluate(Snap([zone])), [], TimeSpan.Zero).Text, StringComparison.Ordinal);
        var rebooted = renderer.Render(Evaluate(Snap([zone with { Denials = 2 }], [], At.AddSeconds(10))), [], TimeSpan.Zero);
        Assert.Contains("lwpwatch_zone_lwp_denials_total" + IllumosZoneLabels + " 2\n", rebooted.Text, StringComparison.Ordinal);
        var grown = renderer.Render(Evaluate(Snap([zone with { Denials = 9 }], [], At.AddSeconds(20))), [], TimeSpan.Zero);
        Assert.Contains("lwpwatch_zone_lwp_denials_total" + IllumosZoneLabels + " 9\n", grown.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_host_limits_and_a_platform_without_them_give_no_sample_not_a_zero()
    {
        var snap = Snap(HostileZones) with { HostLimits = new HostLimits { ThreadsMax = 100 } };
        var renderer = new MetricsRenderer();
        var text = renderer.Render(Evaluate(snap), [], TimeSpan.Zero).Text;
        Assert.Contains("\nlwpwatch_host_threads_max 100\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\nlwpwatch_host_pid_max ", text, StringComparison.Ordinal);
        var illumos = renderer.Render(Evaluate(snap with { HostLimits = null }), [], TimeSpan.Zero).Text;
        Assert.DoesNotContain("\nlwpwatch_host_threads_max ", illumos, StringComparison.Ordinal);
        Assert.Equal(0, Promtool.CheckMetrics(illumos).ExitCode);
    }

    /// <summary>
    /// lwpwatch_zone_findings carries the zone (and its kind and name), so a Prometheus rule built on it can be matched
    /// by the shipped inhibit_rules ([zone, host]) to the zone's other alerts; lwpwatch_alerts counts per node only.
    /// </summary>
    [Fact]
    public void Zone_findings_are_per_zone_rule_and_severity_and_vanish_with_the_finding()
    {
        static Finding F(string rule, string zone, Severity sev, string? service = null) =>
            new() { Rule = rule, ZoneId = zone, Service = service, Severity = sev, Since = At, Summary = rule };
        var snap = Snap(HostileZones);
        var illumos = HostileZones[1].Id;
        const string Provisioning = "5b7d0c1e-9a3f-4c21-8e44-0f6d2b1a7c90"; // not listed among the poll's zones yet
        var findings = new[]
        {
            F(RuleIds.ProvisionStuck, illumos, Severity.Warning),
            F(RuleIds.ServiceStuck, illumos, Severity.Warning, "svc:/a:default"),
            F(RuleIds.ServiceStuck, illumos, Severity.Warning, "svc:/b:default"),
            F(RuleIds.ConfiguredNotEnforced, illumos, Severity.Critical),
            F(RuleIds.ProvisionStuck, Provisioning, Severity.Critical),
            F(RuleIds.ForkDenied, HostileZones[0].Id, Severity.Critical),
            F(RuleIds.HostLimits, "node", Severity.Warning),
            F(RuleIds.CollectorHealth, "node", Severity.Warning),
        };
        var renderer = new MetricsRenderer();
        var text = renderer.Render(new RuleOutcome(snap, [.. findings], []), RuleIds.All, TimeSpan.Zero).Text;
        Assert.Equal(0, Promtool.CheckMetrics(text).ExitCode);
        var series = ExpositionParser.Text(text).Where(x => x.Name == "lwpwatch_zone_findings").ToList();
        double? Value(string zone, string rule, string sev) =>
            series.SingleOrDefault(x => x.Labels["zone"] == zone && x.Labels["rule"] == rule && x.Labels["severity"] == sev)?.Value;

        Assert.Equal(1, Value(illumos, RuleIds.ProvisionStuck, "warning"));
        Assert.Equal(2, Value(illumos, RuleIds.ServiceStuck, "warning"));
        Assert.Equal(1, Value(illumos, RuleIds.ConfiguredNotEnforced, "critical"));
        Assert.Equal(1, Value(HostileZones[0].Id, RuleIds.ForkDenied, "critical"));
        Assert.All(series.Where(x => x.Labels["zone"] == illumos), x => Assert.Equal(("illumos-zone", "delegate-test-7"), (x.Labels["kind"], x.Labels["name"])));
        var unlisted = Assert.Single(series, x => x.Labels["zone"] == Provisioning);
        Assert.Equal(("", "", 1.0), (unlisted.Labels["kind"], unlisted.Labels["name"], unlisted.Value));
        // The node's own findings are not a zone's.
        Assert.DoesNotContain(series, x => x.Labels["rule"] is RuleIds.HostLimits or RuleIds.CollectorHealth);
        Assert.Equal(5, series.Count);

        // The provision finished and the zone is fine again: its series go, the other zone's stays.
        var next = renderer.Render(new RuleOutcome(snap, [findings[5]], []), RuleIds.All, TimeSpan.Zero).Text;
        Assert.Equal(["fork-denied"], ExpositionParser.Text(next).Where(x => x.Name == "lwpwatch_zone_findings").Select(x => x.Labels["rule"]).ToArray());
    }

    [Fact]
    public void Every_documented_poll_metric_is_rendered_with_its_documented_type_and_labels()
    {
        // README's metrics table is the contract (names, types, labels); the poll half must match it exactly.
        var services = new[] { new ServiceState { ZoneId = "z", Name = "s", State = "offline", NextState = "online", InTransition = true, StateSince = At } };
        var rendered = new MetricsRenderer().Render(Evaluate(Snap(HostileZones, services)), ["near-cap"], TimeSpan.Zero);
        var samples = ExpositionParser.Text(rendered.Text);
        (string Name, string Type, string[] Labels)[] expected =
        [
            ("lwpwatch_build_info", "gauge", ["version", "platform"]),
            ("lwpwatch_host_info", "gauge", ["host"]),
            ("lwpwatch_zone_lwps", "gauge", ["zone", "kind", "name"]),
            ("lwpwatch_zone_lwps_limit", "gauge", ["zone", "kind", "name"]),
            ("lwpwatch_zone_lwp_denials_total", "counter", ["zone", "kind", "name"]),
            ("lwpwatch_zone_processes", "gauge", ["zone", "kind", "name"]),
            ("lwpwatch_zone_processes_limit", "gauge", ["zone", "kind", "name"]),
            ("lwpwatch_service_in_transition_seconds", "gauge", ["zone", "service", "state", "next_state"]),
            ("lwpwatch_alerts", "gauge", ["severity", "rule"]),
            ("lwpwatch_zone_findings", "gauge", ["zone", "kind", "name", "rule", "severity"]),
            ("lwpwatch_collector_success", "gauge", ["collector"]),
            ("lwpwatch_collector_duration_seconds", "gauge", ["collector"]),
            ("lwpwatch_poll_duration_seconds", "gauge", []),
            ("lwpwatch_last_poll_timestamp_seconds", "gauge", []),
            ("lwpwatch_host_threads_max", "gauge", []),
            ("lwpwatch_host_pid_max", "gauge", []),
            ("lwpwatch_host_tasks", "gauge", []),
        ];
        foreach (var (name, type, labels) in expected)
        {
            var s = samples.First(x => x.Name == name);
            Assert.Equal(type, s.Type);
            Assert.Equal(labels.Order(), s.Labels.Keys.Order());
        }

        Assert.Equal(expected.Select(e => e.Name).Order(), samples.Select(s => s.Name).Distinct().Order());
    }
}
