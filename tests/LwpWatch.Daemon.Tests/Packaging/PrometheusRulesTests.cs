using System.Collections.Immutable;
using System.Text.RegularExpressions;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Tests.Support;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>packaging/prometheus: the shipped alert rules, judged by the real promtool and against the real exposition.</summary>
public sealed partial class PrometheusRulesTests
{
    private static readonly string Rules = Repo.Path("packaging", "prometheus", "lwpwatch-rules.yml");
    private static readonly string RulesTest = Repo.Path("packaging", "prometheus", "lwpwatch-rules.test.yml");

    [Fact]
    public void Promtool_check_rules_passes()
    {
        var (code, stdout, stderr) = TestTools.Run(Promtool.Path, ["check", "rules", Rules], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"promtool check rules exit {code}:\n{stdout}{stderr}");
        Assert.Contains("SUCCESS", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Promtool_test_rules_passes()
    {
        var (code, stdout, stderr) = TestTools.Run(Promtool.Path, ["test", "rules", RulesTest], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"promtool test rules exit {code}:\n{stdout}{stderr}");
        Assert.Contains("SUCCESS", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_required_alert_exists_and_is_unit_tested()
    {
        var alerts = LoadAlerts().Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        string[] required = ["LwpWatchNearCap", "LwpWatchForkDenied", "LwpWatchServiceStuck", "LwpWatchProvisionStuck", "LwpWatchCollectorHealth", "LwpWatchAbsent"];
        Assert.All(required, r => Assert.Contains(r, alerts));

        var tested = File.ReadAllText(RulesTest);
        Assert.All(alerts, a => Assert.Contains($"alertname: {a}\n        exp_alerts:\n          - exp_labels:", tested, StringComparison.Ordinal));
    }

    /// <summary>
    /// One condition, one name on-call sees, whether the daemon or Prometheus raised it (issue 17: the daemon said
    /// LwpWatchNearCap where these rules said LwpWatchZoneNearCap): every shipped alert is a daemon rule's alertname,
    /// except the ones about the daemon itself, which it cannot raise.
    /// </summary>
    [Fact]
    public void Every_alert_is_named_as_the_daemon_names_the_same_rule()
    {
        var daemon = RuleIds.All.ToDictionary(Core.Alerts.Alert.AlertName, r => r, StringComparer.Ordinal);
        string[] aboutTheDaemonItself = ["LwpWatchAbsent", "LwpWatchPollsStalled"];
        foreach (var alert in LoadAlerts())
        {
            Assert.True(daemon.ContainsKey(alert.Name) || aboutTheDaemonItself.Contains(alert.Name), $"{alert.Name} is no daemon rule's alertname ({string.Join(", ", daemon.Keys)})");
        }

        Assert.Equal("LwpWatchNearCap", Core.Alerts.Alert.AlertName(RuleIds.NearCap));
        Assert.Contains("LwpWatchNearCap", LoadAlerts().Select(a => a.Name));
    }

    [Fact]
    public void Every_alert_has_a_severity_and_a_runbook_that_exists_in_this_repo()
    {
        foreach (var alert in LoadAlerts())
        {
            Assert.Contains(alert.Severity, new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace(alert.Summary), $"{alert.Name}: no summary");
            var m = RunbookUrl().Match(alert.RunbookUrl ?? "");
            Assert.True(m.Success, $"{alert.Name}: runbook_url '{alert.RunbookUrl}' does not point at docs/runbooks/<alert>.md");
            Assert.Equal(alert.Name, m.Groups["name"].Value);
            var doc = Repo.Path("docs", "runbooks", alert.Name + ".md");
            Assert.True(File.Exists(doc), $"{alert.Name}: {doc} is missing");
            var text = File.ReadAllText(doc);
            foreach (var section in new[] { "## Meaning", "## Confirm by hand", "## Fix" })
            {
                Assert.Contains(section, text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Every_lwpwatch_metric_the_rules_use_is_one_the_daemon_emits()
    {
        var emitted = MetricNames().Matches(RenderEverything()).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        var used = LoadAlerts().SelectMany(a => MetricNames().Matches(a.Expr).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(used);
        Assert.All(used, u => Assert.Contains(u, emitted));
    }

    /// <summary>An exposition with every family the renderer can emit: a zone with every field, a stuck service, a zone's finding.</summary>
    private static string RenderEverything()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(20_000);
        var snapshot = new Snapshot
        {
            TakenAt = now,
            Host = "n1",
            Platform = "illumos",
            Zones = [new Zone { Id = "z1", Kind = ZoneKind.IllumosZone, Name = "db01", Lwps = 10, LwpLimit = 20, Processes = 3, ProcessLimit = 8, Denials = 1 }],
            Services = [new ServiceState { ZoneId = "z1", Name = "svc:/x:default", State = "offline", NextState = "online", InTransition = true, StateSince = now.AddMinutes(-10) }],
            Collectors = [new CollectorStatus("svcs", false, TimeSpan.FromSeconds(1), "boom")],
        };
        Finding[] findings = [new() { Rule = RuleIds.ProvisionStuck, ZoneId = "z1", Severity = Severity.Warning, Since = now, Summary = "stuck" }];
        var outcome = new RuleOutcome(snapshot, [.. findings], ImmutableArray<string>.Empty);
        return new MetricsRenderer().Render(outcome, ["near-cap", "provision-stuck"], TimeSpan.FromSeconds(1)).Text;
    }

    private static List<Alert> LoadAlerts()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Rules))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var alerts = new List<Alert>();
        foreach (var group in ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>())
        {
            foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            {
                var labels = (YamlMappingNode)rule["labels"];
                var annotations = (YamlMappingNode)rule["annotations"];
                alerts.Add(new Alert(
                    Scalar(rule, "alert")!,
                    Scalar(rule, "expr")!,
                    Scalar(labels, "severity"),
                    Scalar(annotations, "summary"),
                    Scalar(annotations, "runbook_url")));
            }
        }

        return alerts;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value : null;

    [GeneratedRegex(@"docs/runbooks/(?<name>[A-Za-z]+)\.md$")]
    private static partial Regex RunbookUrl();

    [GeneratedRegex(@"\blwpwatch_[a-z_]+")]
    private static partial Regex MetricNames();

    private sealed record Alert(string Name, string Expr, string? Severity, string? Summary, string? RunbookUrl);
}
