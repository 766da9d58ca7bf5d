using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Tests.Support;
using Prometheus;

namespace LwpWatch.Daemon.Tests.Metrics;

public sealed class ExpositionTests
{
    /// <summary>Prometheus 2.42's scrape Accept header (scrape/scrape.go acceptHeader; the same bytes a real 2.42
    /// sends, recorded by PrometheusScrapeTests).</summary>
    public const string Prometheus242Accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    [Theory]
    [InlineData(Prometheus242Accept, true)]
    [InlineData("application/openmetrics-text; version=1.0.0; charset=utf-8", true)]
    [InlineData("application/openmetrics-text;version=0.0.1", true)]
    [InlineData("application/openmetrics-text", true)]
    [InlineData("text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.8", true)]
    // What client_golang would also answer with text:
    [InlineData("text/plain;version=0.0.4", false)]
    [InlineData("text/plain", false)]
    [InlineData("*/*", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("application/json", false)]
    [InlineData("application/openmetrics-text;version=2.0.0", false)]
    [InlineData("application/openmetrics-text;q=0.2,text/plain;q=0.9", false)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8", true)]
    // q=0 is "not acceptable" (RFC 9110), and a broken q value does not make a range acceptable.
    [InlineData("application/openmetrics-text;q=0", false)]
    [InlineData("application/openmetrics-text;q=zero,text/plain", false)]
    public void The_format_is_negotiated_like_prometheus_client_libraries_do(string? accept, bool openMetrics) =>
        Assert.Equal(openMetrics ? ExpositionFormat.OpenMetricsText : ExpositionFormat.PrometheusText, Exposition.Negotiate(accept));

    [Fact]
    public void Poll_and_scrape_time_halves_make_one_valid_exposition_in_both_formats()
    {
        var snap = new Snapshot
        {
            TakenAt = DateTimeOffset.UnixEpoch.AddDays(20000),
            Host = "n",
            Platform = "linux",
            Zones = [new Zone { Id = "/a", Kind = ZoneKind.Cgroup, Name = "a", Lwps = 1, LwpLimit = 2, Denials = 0 }],
            Collectors = [new CollectorStatus("cgroup", true, TimeSpan.FromMilliseconds(3))],
        };
        var outcome = new RuleEngine(RuleFactory.Create(new Core.Options.RulesSettings()), TimeSpan.FromMinutes(5)).Evaluate(snap);
        var poll = new MetricsRenderer().Render(outcome, ["near-cap"], TimeSpan.FromMilliseconds(5));
        var scrape = new ScrapeMetrics([], TimeSpan.Zero, TimeProvider.System);
        scrape.Counter("lwpwatch_test_events_total", "Events.", "kind").WithLabels("a").Inc(3);
        scrape.Gauge("lwpwatch_test_level", "Level.").Set(0.25);

        var text = System.Text.Encoding.UTF8.GetString(Exposition.Render(poll, scrape, ExpositionFormat.PrometheusText));
        var check = Promtool.CheckMetrics(text);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr + text);
        Assert.Contains("\nlwpwatch_test_events_total{kind=\"a\"} 3\n", text, StringComparison.Ordinal);

        var om = System.Text.Encoding.UTF8.GetString(Exposition.Render(poll, scrape, ExpositionFormat.OpenMetricsText));
        var samples = ExpositionParser.OpenMetrics(om);
        Assert.Single(om.Split('\n'), l => l == "# EOF");
        Assert.EndsWith("lwpwatch_test_level 0.25\n# EOF\n", om, StringComparison.Ordinal);
        Assert.Contains(samples, s => s.Name == "lwpwatch_zone_lwps" && s.Value == 1);
        Assert.Contains(samples, s => s.Family == "lwpwatch_test_events" && s.Type == "counter" && s.Value == 3);
        Assert.Equal(
            ExpositionParser.Text(text).Select(s => (s.Series, s.Value)).Order(),
            samples.Select(s => (s.Series, s.Value)).Order());

        // Before the first poll there is only the scrape-time half, and it is still one valid exposition.
        _ = ExpositionParser.OpenMetrics(System.Text.Encoding.UTF8.GetString(Exposition.Render(RenderedMetrics.Empty, scrape, ExpositionFormat.OpenMetricsText)));
    }

    [Fact]
    public async Task The_endpoint_writes_the_same_bytes_in_slices_Kestrel_never_buffers_whole()
    {
        // 300 zones: an exposition several slices long, as 1,000 zones are (~200 KB).
        var snap = new Snapshot
        {
            TakenAt = DateTimeOffset.UnixEpoch.AddDays(20000),
            Host = "n",
            Platform = "linux",
            Zones = [.. Enumerable.Range(0, 300).Select(i => new Zone { Id = $"/z{i}", Kind = ZoneKind.Cgroup, Name = $"z{i}", Lwps = i, LwpLimit = 1000, Denials = 0 })],
        };
        var outcome = new RuleEngine(RuleFactory.Create(new Core.Options.RulesSettings()), TimeSpan.FromMinutes(5)).Evaluate(snap);
        var poll = new MetricsRenderer().Render(outcome, ["near-cap"], TimeSpan.FromMilliseconds(5));
        var scrape = new ScrapeMetrics([], TimeSpan.Zero, TimeProvider.System);
        scrape.Gauge("lwpwatch_test_level", "Level.").Set(0.25);
        foreach (var (accept, format) in new[] { ("text/plain", ExpositionFormat.PrometheusText), (Prometheus242Accept, ExpositionFormat.OpenMetricsText) })
        {
            var body = new WriteRecorder();
            var ctx = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            ctx.Request.Headers.Accept = accept;
            ctx.Response.Body = body;
            await Exposition.WriteAsync(ctx, poll, scrape);

            var expected = Exposition.Render(poll, scrape, format);
            Assert.True(expected.Length > 3 * Exposition.WriteSlice, $"exposition only {expected.Length} bytes");
            Assert.Equal(expected, body.ToArray());
            Assert.Equal(expected.Length, ctx.Response.ContentLength);
            Assert.All(body.Writes, n => Assert.InRange(n, 1, Exposition.WriteSlice));
        }
    }

    private sealed class WriteRecorder : MemoryStream
    {
        public List<int> Writes { get; } = [];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}
