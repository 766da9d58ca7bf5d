using Xunit;
using LwpWatch.Core.Options;

namespace LwpWatch.Core.Tests.Alerts;

public sealed class DeliveryOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new AlertsSettings().Validate("alerts", []));
        Assert.Empty(new DeliverySettings().Validate("delivery"));
        Assert.Empty(ReceiverList.Validate("receivers", [new ReceiverSettings { Name = "am", Type = "alertmanager", Url = "http://127.0.0.1:9093" }]));
    }

    [Fact]
    public void Problems_are_named_by_key_path()
    {
        var problems = ReceiverList.Validate("receivers",
        [
            new ReceiverSettings { Name = "x", Type = "email", Url = "ftp://a" },
            new ReceiverSettings { Name = "pd", Type = "pagerduty" },
            new ReceiverSettings { Name = "pd", Type = "slack", Url = "https://hooks.slack.com/x", UrlEnv = "S", Timeout = TimeSpan.Zero },
        ]).ToList();
        Assert.Contains("receivers[0].type: must be one of alertmanager, webhook, slack, pagerduty, got 'email'", problems);
        Assert.Contains("receivers[0].url: must be an absolute http(s) URL", problems);
        Assert.Contains("receivers[1].secretFile: pagerduty needs its routing key in secretFile or secretEnv", problems);
        Assert.Contains("receivers[2].url: set only one of url, urlFile, urlEnv", problems);
        Assert.Contains("receivers[2].timeout: must be in (0, 5m], got 00:00:00", problems);
        Assert.Contains("receivers[2].name: duplicate receiver name 'pd'", problems);

        var routes = new AlertsSettings { Routes = [new RouteSettings { Receivers = ["nope"], MatchRegex = new Dictionary<string, string> { ["zone"] = "(" } }] };
        var rp = routes.Validate("alerts", []).ToList();
        Assert.Contains("alerts.routes[0].receivers: unknown receiver 'nope'", rp);
        Assert.Contains(rp, p => p.StartsWith("alerts.routes[0].matchRegex.zone: invalid regex", StringComparison.Ordinal));

        Assert.Contains("delivery.jitter: must be in [0, 1), got 1.5", new DeliverySettings { Jitter = 1.5 }.Validate("delivery"));
    }

    [Fact]
    public void An_alertmanager_cluster_is_a_list_of_urls_each_checked_under_its_own_key()
    {
        Assert.Empty(new ReceiverSettings { Name = "am", Type = "alertmanager", Urls = ["http://am1:9093", "http://am2:9093/"] }.Validate("receivers[0]"));

        // A single url stays valid (backward compatible), and is the one-member cluster.
        Assert.Empty(new ReceiverSettings { Name = "am", Type = "alertmanager", Url = "http://am1:9093" }.Validate("receivers[0]"));

        var bad = new ReceiverSettings { Name = "am", Type = "alertmanager", Urls = ["http://am1:9093", "ftp://am2", "http://u:SECRETPW@am3:9093", "http://am1:9093/"] }.Validate("receivers[0]").ToList();
        Assert.Equal(
            [
                "receivers[0].urls[1]: must be an absolute http(s) URL",
                "receivers[0].urls[2]: must not carry credentials (user:password@), which are never sent; use username and secretFile/secretEnv",
                "receivers[0].urls[3]: duplicate member",
            ],
            bad);
        Assert.DoesNotContain(bad, p => p.Contains("SECRETPW", StringComparison.Ordinal));

        Assert.Equal(["receivers[0].urls: set only one of url, urls, urlFile, urlEnv"], new ReceiverSettings { Name = "am", Type = "alertmanager", Url = "http://a:9093", Urls = ["http://b:9093"] }.Validate("receivers[0]").ToList());
        Assert.Equal(["receivers[0].urls: only for type alertmanager (the members of one Alertmanager cluster); use url"], new ReceiverSettings { Name = "h", Type = "webhook", Urls = ["http://b/x"] }.Validate("receivers[0]").ToList());
        Assert.Equal(["receivers[0].url: required for type alertmanager (or urls, urlFile/urlEnv)"], new ReceiverSettings { Name = "am", Type = "alertmanager" }.Validate("receivers[0]").ToList());
        var many = new ReceiverSettings { Name = "am", Type = "alertmanager", Urls = [.. Enumerable.Range(0, ReceiverSettings.MaxMembers + 1).Select(i => $"http://am{i}:9093")] };
        Assert.Equal([$"receivers[0].urls: at most {ReceiverSettings.MaxMembers} members, got {ReceiverSettings.MaxMembers + 1}"], many.Validate("receivers[0]").ToList());
    }

    [Fact]
    public void A_slack_url_only_from_a_file_or_the_environment()
    {
        var inline = new ReceiverSettings { Name = "s", Type = "slack", Url = "https://hooks.slack.com/services/T0/B0/SECRETTOKEN" }.Validate("receivers[0]").ToList();
        Assert.Equal(["receivers[0].url: a Slack webhook URL is a credential: put it in urlFile or urlEnv, not in the config"], inline);
        Assert.Empty(new ReceiverSettings { Name = "s", Type = "slack", UrlFile = "/etc/lwpwatch/slack-url" }.Validate("r"));
        Assert.Empty(new ReceiverSettings { Name = "s", Type = "slack", UrlEnv = "SLACK_URL" }.Validate("r"));
    }

    [Theory]
    [InlineData("alertmanager", "https://lwpwatch:SECRETPW@am.example:9093/")]
    [InlineData("webhook", "https://user:SECRETPW@hooks.example/x")]
    [InlineData("pagerduty", "https://SECRETPW@events.example/v2/enqueue")]
    public void Credentials_in_a_url_are_an_error_that_does_not_print_them(string type, string url)
    {
        var problems = new ReceiverSettings { Name = "r", Type = type, Url = url, SecretEnv = type == "pagerduty" ? "PD_KEY" : "" }.Validate("receivers[0]").ToList();
        var p = Assert.Single(problems);
        Assert.StartsWith("receivers[0].url: must not carry credentials", p, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETPW", p, StringComparison.Ordinal);
    }

    [Fact]
    public void Alertmanager_basic_auth_is_a_username_with_a_password_from_a_file_or_the_environment()
    {
        Assert.Empty(new ReceiverSettings { Name = "am", Type = "alertmanager", Url = "https://am.example", Username = "lwpwatch", SecretFile = "/etc/lwpwatch/am-password" }.Validate("r"));
        Assert.Empty(new ReceiverSettings { Name = "am", Type = "alertmanager", Url = "https://am.example", Username = "lwpwatch", SecretEnv = "AM_PASSWORD" }.Validate("r"));
        Assert.Equal(["r.secretFile: basic auth needs the password in secretFile or secretEnv"], new ReceiverSettings { Name = "am", Type = "alertmanager", Url = "https://am.example", Username = "lwpwatch" }.Validate("r"));
        Assert.Equal(["r.username: basic auth needs a username with the password of secretFile/secretEnv"], new ReceiverSettings { Name = "am", Type = "alertmanager", Url = "https://am.example", SecretFile = "/p" }.Validate("r"));
        Assert.Equal(["r.username: must not contain ':' or control characters"], new ReceiverSettings { Name = "am", Type = "alertmanager", Url = "https://am.example", Username = "a:b", SecretFile = "/p" }.Validate("r"));
        Assert.Contains("r.username: not used by type webhook", new ReceiverSettings { Name = "h", Type = "webhook", Url = "https://h.example", Username = "u" }.Validate("r"));
        Assert.Contains("Username = lwpwatch", new ReceiverSettings { Name = "am", Type = "alertmanager", Username = "lwpwatch" }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_never_appear_in_a_config_dump()
    {
        var slack = new ReceiverSettings { Name = "s", Type = "slack", Url = "https://hooks.slack.com/services/T000/B000/SECRETTOKEN" };
        Assert.DoesNotContain("SECRETTOKEN", slack.ToString(), StringComparison.Ordinal);
        var hook = new ReceiverSettings { Name = "h", Type = "webhook", Url = "https://user:pw@example.com/hook?token=SECRETTOKEN" };
        var dump = hook.ToString();
        Assert.DoesNotContain("SECRETTOKEN", dump, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", dump, StringComparison.Ordinal);
        Assert.Contains("example.com/hook", dump, StringComparison.Ordinal);
    }
}
