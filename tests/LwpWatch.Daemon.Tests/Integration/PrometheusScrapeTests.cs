using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Packaging;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Integration;

/// <summary>
/// The acceptance path end to end on real parts: a real cgroup at its pids cap, `lwpwatch run` as a child
/// process, the Debian `prometheus` scraping it on loopback and evaluating the shipped alert rules
/// (with their `for:` shortened in a test copy so this takes seconds, not minutes).
/// </summary>
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Prometheus_scrapes_lwpwatch_run_and_fires_near_cap_for_a_real_cgroup()
    {
        Assert.True(RealCgroup.Available, "needs root and /sys/fs/cgroup/pids");
        using var cg = new RealCgroup(max: 20);
        cg.StartThreads(50);
        var state = TestTools.NewTempDir();
        using var daemon = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {state}\nlogging:\n  format: json\n");
        await daemon.WaitForAsync("/readyz", TimeSpan.FromSeconds(30));

        var rules = Regex.Replace(File.ReadAllText(Repo.Path("packaging", "prometheus", "lwpwatch-rules.yml")), @"(?m)^(\s+for:) \S+$", "$1 1s");
        var config = $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [rules.yml]
            scrape_configs:
              - job_name: lwpwatch
                static_configs:
                  - targets: ['127.0.0.1:{daemon.Port}']
            """;
        using var prometheus = new PrometheusServer(config, new Dictionary<string, string> { ["rules.yml"] = rules });
        await prometheus.WaitReadyAsync(TimeSpan.FromSeconds(15));

        var series = await prometheus.WaitForQueryAsync($"lwpwatch_zone_lwps{{zone=\"{cg.ZoneId}\"}}", TimeSpan.FromSeconds(25));
        var sample = series[0];
        Assert.Equal("cgroup", sample.GetProperty("metric").GetProperty("kind").GetString());
        Assert.Equal(cg.Name, sample.GetProperty("metric").GetProperty("name").GetString());
        Assert.Equal("lwpwatch", sample.GetProperty("metric").GetProperty("job").GetString());
        Assert.Equal(20, double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture));

        var alert = await prometheus.WaitForAlertAsync(
            a => Label(a, "alertname") == "LwpWatchNearCap" && Label(a, "zone") == cg.ZoneId && Label(a, "severity") == "critical" && a.GetProperty("state").GetString() == "firing",
            TimeSpan.FromSeconds(15),
            "LwpWatchNearCap critical firing for " + cg.ZoneId);
        Assert.Equal("lwps", Label(alert, "resource"));
        Assert.Equal($"cgroup {cg.Name} is at 100% of its lwps cap", alert.GetProperty("annotations").GetProperty("summary").GetString());
        Assert.EndsWith("docs/runbooks/LwpWatchNearCap.md", alert.GetProperty("annotations").GetProperty("runbook_url").GetString(), StringComparison.Ordinal);
    }

    private static string? Label(JsonElement alert, string name) =>
        alert.GetProperty("labels").TryGetProperty(name, out var v) ? v.GetString() : null;
}
