using System.Text.RegularExpressions;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Tests.Support;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>
/// packaging/alertmanager: the shipped route and inhibit_rules, judged by the real amtool and held to the daemon's
/// own incident chain (issue 17: Alertmanager users get the folding the native receivers get).
/// </summary>
public sealed partial class AlertmanagerConfigTests
{
    private static readonly string Config = Repo.Path("packaging", "alertmanager", "alertmanager.yml");

    private static string Amtool => File.Exists("/usr/bin/amtool") ? "/usr/bin/amtool" : "amtool";

    [Fact]
    public void Amtool_check_config_passes()
    {
        var (code, stdout, stderr) = TestTools.Run(Amtool, ["check-config", Config], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"amtool check-config exit {code}:\n{stdout}{stderr}");
        Assert.Contains("SUCCESS", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_route_groups_one_incident_as_one_zone_on_one_host()
    {
        var route = (YamlMappingNode)Root()["route"];
        var groupBy = ((YamlSequenceNode)route["group_by"]).Select(n => ((YamlScalarNode)n).Value!).ToArray();
        Assert.Equal(["zone", "host"], groupBy);
    }

    /// <summary>
    /// For every pair of daemon rules and every pair of severities, the shipped inhibit_rules mute the target
    /// exactly when the daemon folds it under the source (same zone and host; every label the daemon sets on both).
    /// </summary>
    [Fact]
    public void Inhibit_rules_mute_exactly_what_the_daemon_folds()
    {
        var rules = InhibitRules();
        Assert.NotEmpty(rules);
        Assert.All(rules, r => Assert.Equal(["zone", "host"], r.Equal));
        Severity[] severities = [Severity.Info, Severity.Warning, Severity.Critical];
        var mismatches = new List<string>();
        var folds = 0;
        foreach (var source in RuleIds.All)
        {
            foreach (var target in RuleIds.All)
            {
                if (source == target)
                {
                    continue;
                }

                foreach (var ss in severities)
                {
                    foreach (var ts in severities)
                    {
                        var daemon = IncidentRole.Folds(source, ss, "z1", target, ts, "z1");
                        var src = Labels(source, ss);
                        var tgt = Labels(target, ts);
                        var am = rules.Any(r => r.Source.All(m => m.Matches(src)) && r.Target.All(m => m.Matches(tgt)));
                        folds += daemon ? 1 : 0;
                        if (daemon != am)
                        {
                            mismatches.Add($"{Alert.AlertName(source)} ({ss}) -> {Alert.AlertName(target)} ({ts}): daemon folds {daemon}, alertmanager inhibits {am}");
                        }
                    }
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.True(folds > 0, "the daemon folds nothing: the comparison proves nothing");
    }

    /// <summary>
    /// The mirror test above holds the file to whatever the chain is; this pins the one case bench/pages measured: a
    /// zone at its cap refusing forks with nothing stuck is one page (fork-denied mutes near-cap), near-cap never mutes
    /// fork-denied, and a warning fork-denied (first sight) never mutes a critical near-cap.
    /// </summary>
    [Fact]
    public void Fork_denied_mutes_its_zones_near_cap_but_a_warning_never_mutes_a_critical()
    {
        var rules = InhibitRules();
        bool Mutes(string source, Severity ss, string target, Severity ts) =>
            rules.Any(r => r.Source.All(m => m.Matches(Labels(source, ss))) && r.Target.All(m => m.Matches(Labels(target, ts))));

        Assert.True(Mutes(RuleIds.ForkDenied, Severity.Critical, RuleIds.NearCap, Severity.Critical));
        Assert.True(Mutes(RuleIds.ForkDenied, Severity.Critical, RuleIds.ExhaustionForecast, Severity.Warning));
        Assert.True(Mutes(RuleIds.ForkDenied, Severity.Critical, RuleIds.ServiceStuck, Severity.Critical));
        Assert.True(Mutes(RuleIds.ForkDenied, Severity.Warning, RuleIds.NearCap, Severity.Warning));
        Assert.False(Mutes(RuleIds.ForkDenied, Severity.Warning, RuleIds.NearCap, Severity.Critical));
        Assert.False(Mutes(RuleIds.NearCap, Severity.Critical, RuleIds.ForkDenied, Severity.Critical));
        Assert.False(Mutes(RuleIds.ForkDenied, Severity.Critical, RuleIds.ProvisionStuck, Severity.Warning));
        Assert.True(Mutes(RuleIds.ProvisionStuck, Severity.Critical, RuleIds.ForkDenied, Severity.Critical));
    }

    [Fact]
    public void The_matcher_reader_of_this_test_reads_what_amtool_reads()
    {
        // The test's own reading of matchers, checked on cases it must get right (a mirror test that cannot fail proves nothing).
        Assert.True(Matcher.Parse("alertname=\"LwpWatchCapStarvation\"").Matches(Labels(RuleIds.CapStarvation, Severity.Critical)));
        Assert.False(Matcher.Parse("alertname=\"LwpWatchCapStarvation\"").Matches(Labels(RuleIds.NearCap, Severity.Critical)));
        Assert.True(Matcher.Parse("severity=~\"warning|info\"").Matches(Labels(RuleIds.NearCap, Severity.Info)));
        Assert.False(Matcher.Parse("severity=~\"warning|info\"").Matches(Labels(RuleIds.NearCap, Severity.Critical)));
        Assert.False(Matcher.Parse("alertname=~\"LwpWatch(NearCap)\"").Matches(new Dictionary<string, string> { ["alertname"] = "LwpWatchNearCapX" })); // anchored
    }

    private static Dictionary<string, string> Labels(string rule, Severity severity) => new(StringComparer.Ordinal)
    {
        ["alertname"] = Alert.AlertName(rule),
        ["severity"] = OutputNames.Severity(severity),
        ["rule"] = rule,
        ["zone"] = "z1",
        ["host"] = "cn1",
    };

    private static YamlMappingNode Root()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Config));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static List<InhibitRule> InhibitRules() =>
    [
        .. ((YamlSequenceNode)Root()["inhibit_rules"]).Cast<YamlMappingNode>().Select(r => new InhibitRule(
            [.. ((YamlSequenceNode)r["source_matchers"]).Select(n => Matcher.Parse(((YamlScalarNode)n).Value!))],
            [.. ((YamlSequenceNode)r["target_matchers"]).Select(n => Matcher.Parse(((YamlScalarNode)n).Value!))],
            [.. ((YamlSequenceNode)r["equal"]).Select(n => ((YamlScalarNode)n).Value!)])),
    ];

    private sealed record InhibitRule(List<Matcher> Source, List<Matcher> Target, List<string> Equal);

    private sealed partial record Matcher(string Name, string Op, string Value)
    {
        public static Matcher Parse(string text)
        {
            var m = MatcherSyntax().Match(text);
            Assert.True(m.Success, $"matcher '{text}' is not name=\"v\", name!=\"v\", name=~\"re\" or name!~\"re\"");
            return new Matcher(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value);
        }

        // Alertmanager regex matchers are anchored (^(?:re)$), as in Prometheus.
        public bool Matches(IReadOnlyDictionary<string, string> labels)
        {
            var v = labels.GetValueOrDefault(Name, "");
            return Op switch
            {
                "=" => v == Value,
                "!=" => v != Value,
                "=~" => Regex.IsMatch(v, "^(?:" + Value + ")$", RegexOptions.CultureInvariant),
                "!~" => !Regex.IsMatch(v, "^(?:" + Value + ")$", RegexOptions.CultureInvariant),
                _ => throw new InvalidOperationException(Op),
            };
        }

        [GeneratedRegex("^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)\"(.*)\"$")]
        private static partial Regex MatcherSyntax();
    }
}
