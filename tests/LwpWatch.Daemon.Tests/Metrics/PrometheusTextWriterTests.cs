using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Metrics;

public sealed class PrometheusTextWriterTests
{
    [Fact]
    public void Escapes_label_values_and_help_and_groups_samples_under_one_family()
    {
        var w = new PrometheusTextWriter();
        w.Gauge("x_lwps", "line one\nback\\slash");
        w.Gauge("y", "other");
        w.Sample("x_lwps", 1, ("zone", "a\"b\\c\nd"));
        w.Sample("y", 2.5);
        w.Sample("x_lwps", 3, ("zone", "plain"));
        var text = w.Render(ExpositionFormat.Text004);
        Assert.Equal(
            "# HELP x_lwps line one\\nback\\\\slash\n# TYPE x_lwps gauge\nx_lwps{zone=\"a\\\"b\\\\c\\nd\"} 1\nx_lwps{zone=\"plain\"} 3\n" +
            "# HELP y other\n# TYPE y gauge\ny 2.5\n",
            text);
        Assert.Equal(0, Promtool.CheckMetrics(text).ExitCode);
    }

    [Fact]
    public void Duplicate_series_are_refused_because_promtool_would_not_notice()
    {
        var w = new PrometheusTextWriter();
        w.Gauge("g", "h");
        w.Sample("g", 1, ("a", "1"));
        Assert.Throws<InvalidOperationException>(() => w.Sample("g", 2, ("a", "1")));
    }

    [Fact]
    public void Counters_must_end_in_total_and_openmetrics_drops_the_suffix_from_the_family()
    {
        var w = new PrometheusTextWriter();
        Assert.Throws<ArgumentException>(() => w.Counter("denials", "h"));
        w.Counter("denials_total", "h");
        w.Sample("denials_total", 7);
        var om = w.Render(ExpositionFormat.OpenMetrics);
        Assert.Equal("# HELP denials h\n# TYPE denials counter\ndenials_total 7\n# EOF\n", om);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(0.000001, "1E-06")]
    [InlineData(1234567.0, "1234567")]
    public void Values(double v, string text) => Assert.Equal(text, PrometheusTextWriter.FormatValue(v));

    [Fact]
    public void A_rendered_poll_with_hostile_names_passes_promtool_in_both_formats()
    {
        var zones = new[]
        {
            new Zone { Id = "/system.slice/a\"b.service", Kind = ZoneKind.Cgroup, Name = "we\\ird\nname", Lwps = 5, LwpLimit = 10, Denials = 3 },
            new Zone { Id = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", Kind = ZoneKind.IllumosZone, Name = "delegate-test-7", Lwps = 398, LwpLimit = 400, Denials = 1734, Processes = 37, ProcessLimit = 2147483647 },
        };
        var snap = new Snapshot
        {
            TakenAt = DateTimeOffset.UnixEpoch.AddDays(20000),
            Host = "node",
            Platform = "illumos",
            Zones = [.. zones],
            Services = [new ServiceState { ZoneId = zones[1].Id, Name = "svc:/system/filesystem/local:default", State = "offline", NextState = "online", InTransition = true, StateSince = DateTimeOffset.UnixEpoch.AddDays(20000).AddMinutes(-3) }],
            Collectors = [new CollectorStatus("kstat", true, TimeSpan.FromMilliseconds(12)), new CollectorStatus("svcs", false, TimeSpan.FromSeconds(8), "timed out")],
            HostLimits = new HostLimits { ThreadsMax = 192730, PidMax = 32768, Tasks = 345 },
        };
        var outcome = new RuleEngine(RuleFactory.Create(new Core.Options.RulesSettings()), TimeSpan.FromMinutes(5)).Evaluate(snap);
        var rendered = new MetricsRenderer([]).Render(outcome, ["near-cap", "fork-denied"], TimeSpan.FromMilliseconds(30));
        var check = Promtool.CheckMetrics(rendered.Text);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr + rendered.Text);
        Assert.Contains("lwpwatch_service_in_transition_seconds{zone=\"9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90\",service=\"svc:/system/filesystem/local:default\",state=\"offline\",next_state=\"online\"} 180", rendered.Text, StringComparison.Ordinal);
        Assert.Contains("lwpwatch_alerts{severity=\"critical\",rule=\"near-cap\"} 1", rendered.Text, StringComparison.Ordinal);
        Assert.Contains("lwpwatch_collector_success{collector=\"svcs\"} 0", rendered.Text, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", rendered.OpenMetrics, StringComparison.Ordinal);
        // Serialized once per poll, then the same bytes for every scrape.
        Assert.Same(rendered.TextUtf8, rendered.TextUtf8);
        Assert.Same(rendered.OpenMetricsUtf8, rendered.OpenMetricsUtf8);
        Assert.Equal("", RenderedMetrics.Empty.Text);
        Assert.Equal("# EOF\n", RenderedMetrics.Empty.OpenMetrics);
    }
}
