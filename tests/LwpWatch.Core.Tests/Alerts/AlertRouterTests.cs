using Xunit;
using System.Collections.Immutable;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Core.Tests.Alerts;

public sealed class AlertRouterTests
{
    private static readonly ReceiverSettings[] Receivers =
    [
        new() { Name = "am", Type = ReceiverSettings.Alertmanager, Url = "http://127.0.0.1:9093" },
        new() { Name = "pd", Type = ReceiverSettings.PagerDuty, SecretEnv = "PD_KEY" },
        new() { Name = "slack", Type = ReceiverSettings.Slack, UrlEnv = "SLACK_URL" },
    ];

    private static ImmutableSortedDictionary<string, string> L(params (string K, string V)[] kv) =>
        kv.ToImmutableSortedDictionary(x => x.K, x => x.V, StringComparer.Ordinal);

    [Fact]
    public void No_routes_means_every_receiver()
    {
        var r = new AlertRouter(new AlertsSettings(), Receivers);
        Assert.Equal(["am", "pd", "slack"], r.Route(Severity.Info, L()).ToArray());
    }

    [Fact]
    public void Routes_by_severity_and_labels_first_match_wins_unless_continue()
    {
        var s = new AlertsSettings
        {
            Routes =
            [
                new RouteSettings { Receivers = ["am"], Continue = true },
                new RouteSettings { Receivers = ["pd"], MinSeverity = Severity.Critical, MatchRegex = new Dictionary<string, string> { ["zone"] = "prod-.*" } },
                new RouteSettings { Receivers = ["slack"], Match = new Dictionary<string, string> { ["kind"] = "cgroup" } },
            ],
        };
        var r = new AlertRouter(s, Receivers);
        Assert.Equal(["am", "pd"], r.Route(Severity.Critical, L(("zone", "prod-db"), ("kind", "cgroup"))).ToArray());
        Assert.Equal(["am", "slack"], r.Route(Severity.Warning, L(("zone", "prod-db"), ("kind", "cgroup"))).ToArray());

        // Regexes are anchored like Alertmanager's =~.
        Assert.Equal(["am", "slack"], r.Route(Severity.Critical, L(("zone", "xprod-db"), ("kind", "cgroup"))).ToArray());
        Assert.Equal(["am"], r.Route(Severity.Critical, L(("zone", "dev"), ("kind", "illumos-zone"))).ToArray());
    }

    [Fact]
    public void Repeat_interval_defaults_per_type()
    {
        var r = new AlertRouter(new AlertsSettings { RepeatInterval = TimeSpan.FromHours(2) }, Receivers);
        Assert.Equal(TimeSpan.FromMinutes(1), r.RepeatInterval("am"));
        Assert.Equal(TimeSpan.FromHours(2), r.RepeatInterval("pd"));
    }
}
