using System.Text.Json;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Delivery;
using LwpWatch.Daemon.Tests.Integration;
using LwpWatch.Daemon.Tests.Support;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>
/// packaging/mixin: the recording rules (judged by the real promtool) and the Grafana dashboard, whose every panel
/// query, template query and every recording rule must return data from a real Prometheus scraping a real
/// `lwpwatch run` over real capped cgroups v1. The queries are read from the dashboard JSON itself, so a panel
/// added later is tested as it ships.
/// </summary>
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed partial class DashboardTests
{
    private static readonly string Recording = Repo.Path("packaging", "mixin", "lwpwatch-recording.yml");
    private static readonly string RecordingTest = Repo.Path("packaging", "mixin", "lwpwatch-recording.test.yml");
    private static readonly string Dashboard = Repo.Path("packaging", "mixin", "lwpwatch-dashboard.json");

    [Fact]
    public void Promtool_check_and_test_rules_pass_for_the_recording_rules()
    {
        var (code, stdout, stderr) = TestTools.Run(Promtool.Path, ["check", "rules", Recording], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"promtool check rules exit {code}:\n{stdout}{stderr}");
        Assert.Contains($"SUCCESS: {RecordNames().Count} rules found", stdout, StringComparison.Ordinal);
        (code, stdout, stderr) = TestTools.Run(Promtool.Path, ["test", "rules", RecordingTest], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"promtool test rules exit {code}:\n{stdout}{stderr}");

        // Every recording rule has a unit test of its own value.
        var tested = File.ReadAllText(RecordingTest);
        Assert.All(RecordNames(), r => Assert.Contains($"- expr: {r}\n", tested, StringComparison.Ordinal));
    }

    [Fact]
    public void The_dashboard_has_a_panel_for_each_thing_on_call_needs_and_every_panel_a_query()
    {
        var panels = Panels().ToList();
        Assert.True(panels.Count >= 10, $"only {panels.Count} panels");
        Assert.All(panels, p => Assert.NotEmpty(p.Exprs));
        var titles = string.Join("\n", panels.Select(p => p.Title));
        foreach (var needed in new[] { "share of their cap", "refused per second", "Stuck services", "Time to exhaustion", "Collector success", "Notification outcomes", "Outbox" })
        {
            Assert.Contains(needed, titles, StringComparison.Ordinal);
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(Dashboard));
        Assert.Equal("lwpwatch", doc.RootElement.GetProperty("uid").GetString());
        Assert.All(panels, p => Assert.Equal("${datasource}", p.Datasource));
    }

    [Fact]
    public async Task Every_panel_query_and_recording_rule_returns_data_from_a_real_prometheus_over_a_real_daemon()
    {
        Assert.True(RealCgroup.Available, "needs root and /sys/fs/cgroup/pids");
        using var full = new RealCgroup(max: 20);
        full.StartThreads(50);
        using var growing = new RealCgroup(max: 1000);
        growing.StartThreads(5);

        // A webhook, and an Alertmanager HA pair with one member down, so delivery and member health have series.
        await using var hook = new TestReceiver();
        await hook.StartAsync();
        await using var amUp = new TestReceiver();
        await amUp.StartAsync();
        await using var amDown = new TestReceiver();
        var state = TestTools.NewTempDir();
        var yaml = $"state:\n  dir: {state}\nreceivers:\n  - name: hook\n    type: webhook\n    url: {hook.Url.AbsoluteUri}\n"
            + $"  - name: am\n    type: alertmanager\n    urls: ['{amUp.BaseUrl.AbsoluteUri}', '{amDown.BaseUrl.AbsoluteUri}']\ndelivery:\n  tick: 50ms\n";
        using var daemon = new DaemonProcess(["--interval", "1s"], yaml);
        await daemon.WaitForAsync("/readyz", TimeSpan.FromSeconds(30));

        var config = $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [recording.yml]
            scrape_configs:
              - job_name: lwpwatch
                static_configs:
                  - targets: ['127.0.0.1:{daemon.Port}']
            """;
        using var prometheus = new PrometheusServer(config, new Dictionary<string, string> { ["recording.yml"] = File.ReadAllText(Recording) });
        // 60 s: a loaded 2-core CI box with a VM image build beside it can take far longer than an idle one to start
        // Prometheus (TSDB, rules); the wait returns as soon as /-/ready answers.
        await prometheus.WaitReadyAsync(TimeSpan.FromSeconds(60));

        // The growing zone keeps gaining tasks while Prometheus records it, so it has a time to exhaustion.
        using var stop = new CancellationTokenSource();
        var grow = Task.Run(async () =>
        {
            for (var i = 0; i < 30 && !stop.IsCancellationRequested; i++)
            {
                growing.StartThreads(5);
                await Task.Delay(1000, CancellationToken.None);
            }
        });
        try
        {
            await prometheus.WaitForQueryAsync($"lwpwatch_zone_lwps{{zone=\"{full.ZoneId}\"}}", TimeSpan.FromSeconds(30));
            await hook.WaitForAsync(r => r.Accepted.Count >= 1, TimeSpan.FromSeconds(30), "the near-cap page of the full cgroup");
            foreach (var record in RecordNames())
            {
                await prometheus.WaitForQueryAsync(record, TimeSpan.FromSeconds(45));
            }

            foreach (var variable in TemplateQueries())
            {
                await prometheus.WaitForQueryAsync(variable, TimeSpan.FromSeconds(30));
            }

            var checkedExprs = 0;
            foreach (var panel in Panels())
            {
                foreach (var expr in panel.Exprs)
                {
                    var result = await prometheus.WaitForQueryAsync(expr, TimeSpan.FromSeconds(45));
                    Assert.True(result.GetArrayLength() > 0, $"{panel.Title}: {expr}");
                    checkedExprs++;
                }
            }

            Assert.True(checkedExprs >= Panels().Count());

            // The panels show our own zones, not only whatever else this host runs.
            var share = await prometheus.WaitForQueryAsync($"zone:lwpwatch_zone_lwps_used:ratio{{zone=\"{full.ZoneId}\"}}", TimeSpan.FromSeconds(10));
            Assert.Equal("1", share[0].GetProperty("value")[1].GetString());
            await prometheus.WaitForQueryAsync($"zone:lwpwatch_zone_lwps_exhaustion:seconds{{zone=\"{growing.ZoneId}\"}}", TimeSpan.FromSeconds(30));
            await prometheus.WaitForQueryAsync("lwpwatch_receiver_member_up{receiver=\"am\"} == 0", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await stop.CancelAsync();
            await grow;
        }
    }

    /// <summary>Every non-row panel, with its targets' expressions and each template variable replaced by its "All" value.</summary>
    private static IEnumerable<Panel> Panels()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Dashboard));
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (v.TryGetProperty("allValue", out var allValue))
            {
                all[v.GetProperty("name").GetString()!] = allValue.GetString()!;
            }
        }

        var result = new List<Panel>();
        Collect(doc.RootElement.GetProperty("panels"), all, result);
        return result;
    }

    private static void Collect(JsonElement panels, Dictionary<string, string> all, List<Panel> into)
    {
        foreach (var p in panels.EnumerateArray())
        {
            if (p.TryGetProperty("panels", out var nested))
            {
                Collect(nested, all, into);
            }

            if (p.GetProperty("type").GetString() == "row")
            {
                continue;
            }

            var exprs = new List<string>();
            foreach (var t in p.TryGetProperty("targets", out var targets) ? targets.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                var expr = t.GetProperty("expr").GetString()!;
                foreach (var (name, value) in all)
                {
                    expr = expr.Replace("${" + name + "}", value, StringComparison.Ordinal).Replace("$" + name, value, StringComparison.Ordinal);
                }

                Assert.DoesNotContain("$", expr, StringComparison.Ordinal);
                exprs.Add(expr);
            }

            into.Add(new Panel(p.GetProperty("title").GetString()!, p.GetProperty("datasource").GetProperty("uid").GetString()!, exprs));
        }
    }

    /// <summary>The template variables' queries as PromQL: Grafana's label_values(metric, label) lists the label's values of that metric.</summary>
    private static IEnumerable<string> TemplateQueries()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Dashboard));
        var queries = new List<string>();
        foreach (var v in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (v.GetProperty("type").GetString() == "query")
            {
                var m = LabelValues().Match(v.GetProperty("definition").GetString()!);
                Assert.True(m.Success, v.GetProperty("definition").GetString());
                queries.Add($"group by ({m.Groups["label"].Value}) ({m.Groups["metric"].Value})");
            }
        }

        Assert.NotEmpty(queries);
        return queries;
    }

    private static List<string> RecordNames()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Recording))
        {
            yaml.Load(reader);
        }

        var names = new List<string>();
        foreach (var group in ((YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"]).Cast<YamlMappingNode>())
        {
            foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            {
                names.Add(((YamlScalarNode)rule["record"]).Value!);
            }
        }

        return names;
    }

    [GeneratedRegex(@"^label_values\((?<metric>[^,]+),\s*(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")]
    private static partial Regex LabelValues();

    private sealed record Panel(string Title, string Datasource, IReadOnlyList<string> Exprs);
}
