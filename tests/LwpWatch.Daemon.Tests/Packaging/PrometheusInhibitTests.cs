using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Delivery;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>
/// Issue 17: the shipped inhibit_rules match on [zone, host], so a Prometheus-rule alert needs the same host label
/// as the daemon's own alerts. Real parts end to end: `lwpwatch run --replay` of the Triton incident pushes its
/// native alerts (LwpWatchCapStarvation for the sick zone) to a real Alertmanager running the shipped
/// packaging/alertmanager config; a real Prometheus scrapes the same daemon, evaluates the shipped
/// packaging/prometheus rules (their for: shortened) and sends LwpWatchNearCap and LwpWatchProvisionStuck (per zone,
/// from lwpwatch_zone_findings) for that zone to the same Alertmanager. Those alerts must arrive with the daemon's
/// host (joined from lwpwatch_host_info) and the zone, and be inhibited by the native root cause.
/// </summary>
[Trait("Binary", "lwpwatch")]
public sealed class PrometheusInhibitTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";

    [Fact]
    public async Task A_prometheus_rule_alert_is_inhibited_by_the_daemons_root_cause_of_the_same_zone_and_host()
    {
        await using var hook = new TestReceiver();
        await hook.StartAsync();
        var amConfig = AlertmanagerProcess.ShippedConfig(hook.Url, "2s");
        using var am = new AlertmanagerProcess(amConfig, ["--cluster.listen-address="], TestReceiver.FreePort());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await am.WaitReadyAsync(http);

        var state = TestTools.NewTempDir();
        var yaml = $"state:\n  dir: {state}\nreceivers:\n  - name: am\n    type: alertmanager\n    url: {am.BaseUrl.AbsoluteUri}\ndelivery:\n  tick: 50ms\n";
        using var daemon = new DaemonProcess(["--replay", Repo.Path("examples", "triton-fs-local-stuck"), "--interval", "1s"], yaml);
        await daemon.WaitForAsync("/readyz", TimeSpan.FromSeconds(30));

        var rules = Regex.Replace(File.ReadAllText(Repo.Path("packaging", "prometheus", "lwpwatch-rules.yml")), @"(?m)^(\s+for:) \S+$", "$1 1s");
        var config = string.Create(CultureInfo.InvariantCulture, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [rules.yml]
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ['127.0.0.1:{am.Port}']
            scrape_configs:
              - job_name: lwpwatch
                static_configs:
                  - targets: ['127.0.0.1:{daemon.Port}']
            """);
        using var prometheus = new PrometheusServer(config, new Dictionary<string, string> { ["rules.yml"] = rules });
        // 60 s: a loaded 2-core CI box with a VM image build beside it can take far longer than an idle one to start
        // Prometheus (TSDB, rules); the wait returns as soon as /-/ready answers.
        await prometheus.WaitReadyAsync(TimeSpan.FromSeconds(60));

        // Prometheus's own alert sits in Alertmanager next to the daemon's: the first has job/instance, the second rule.
        JsonElement native = default, fromRule = default, provision = default;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(am.BaseUrl, "/api/v2/alerts")));
            var alerts = doc.RootElement.EnumerateArray().Select(a => a.Clone()).ToList();
            native = alerts.FirstOrDefault(a => Label(a, "alertname") == "LwpWatchCapStarvation" && Label(a, "zone") == Sick && Label(a, "rule") is not null);
            fromRule = alerts.FirstOrDefault(a => Label(a, "alertname") == "LwpWatchNearCap" && Label(a, "zone") == Sick && Label(a, "severity") == "critical" && Label(a, "instance") is not null);
            // Built on the daemon's per-zone lwpwatch_zone_findings: it has the zone, so the same inhibit_rules reach it
            // (a per-node count had no zone label and could never be matched).
            provision = alerts.FirstOrDefault(a => Label(a, "alertname") == "LwpWatchProvisionStuck" && Label(a, "zone") == Sick && Label(a, "instance") is not null);
            if (native.ValueKind != JsonValueKind.Undefined && fromRule.ValueKind != JsonValueKind.Undefined && provision.ValueKind != JsonValueKind.Undefined
                && fromRule.GetProperty("status").GetProperty("state").GetString() == "suppressed"
                && provision.GetProperty("status").GetProperty("state").GetString() == "suppressed")
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no inhibited Prometheus-rule LwpWatchNearCap and LwpWatchProvisionStuck for {Sick} in Alertmanager; it holds:\n{doc.RootElement}\nprometheus:\n{prometheus.Log}\nalertmanager:\n{am.Log}");
            }

            await Task.Delay(250);
        }

        Assert.Equal("cn-triton-07", Label(native, "host"));
        Assert.Equal(Label(native, "host"), Label(fromRule, "host"));
        Assert.Equal("lwpwatch", Label(fromRule, "job"));
        var inhibitedBy = fromRule.GetProperty("status").GetProperty("inhibitedBy").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal([native.GetProperty("fingerprint").GetString()], inhibitedBy);
        Assert.Equal(Label(native, "host"), Label(provision, "host"));
        Assert.Contains(native.GetProperty("fingerprint").GetString(), provision.GetProperty("status").GetProperty("inhibitedBy").EnumerateArray().Select(e => e.GetString()));

        // What reaches the receiver for that zone names the root cause and not the muted rule alert.
        await hook.WaitForAsync(r => r.Accepted.Any(x => x.Body.Contains(Sick, StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the incident's notification");
        var page = JsonDocument.Parse(hook.Accepted.First(x => x.Body.Contains(Sick, StringComparison.Ordinal)).Body).RootElement;
        Assert.DoesNotContain(page.GetProperty("alerts").EnumerateArray(), a => Label(a, "alertname") == "LwpWatchNearCap");
        Assert.DoesNotContain(page.GetProperty("alerts").EnumerateArray(), a => Label(a, "alertname") == "LwpWatchProvisionStuck" && Label(a, "instance") is not null);
        Assert.Contains(page.GetProperty("alerts").EnumerateArray(), a => Label(a, "alertname") == "LwpWatchCapStarvation");
    }

    private static string? Label(JsonElement alert, string name) =>
        alert.GetProperty("labels").TryGetProperty(name, out var v) ? v.GetString() : null;
}
