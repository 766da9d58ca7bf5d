using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Integration;

/// <summary>`lwpwatch run` on loopback over a real cgroup: /metrics, promtool, health endpoints.</summary>
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed class RunDaemonTests
{
    [Fact]
    public async Task Run_serves_metrics_for_a_real_cgroup_that_pass_promtool_and_health_endpoints()
    {
        Assert.True(RealCgroup.Available, "needs root and /sys/fs/cgroup/pids");
        using var cg = new RealCgroup(max: 30);
        cg.StartThreads(50);
        var state = TestTools.NewTempDir();
        using var d = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {state}\nlogging:\n  format: json\n");
        await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(30));
        var metrics = await d.WaitForAsync("/metrics", TimeSpan.FromSeconds(10), m => m.Contains(cg.ZoneId, StringComparison.Ordinal));

        Assert.Contains($"lwpwatch_zone_lwps{{zone=\"{cg.ZoneId}\",kind=\"cgroup\",name=\"{cg.Name}\"}} 30", metrics, StringComparison.Ordinal);
        Assert.Contains($"lwpwatch_zone_lwps_limit{{zone=\"{cg.ZoneId}\",kind=\"cgroup\",name=\"{cg.Name}\"}} 30", metrics, StringComparison.Ordinal);
        Assert.Contains($"lwpwatch_zone_lwp_denials_total{{zone=\"{cg.ZoneId}\",kind=\"cgroup\",name=\"{cg.Name}\"}} 21", metrics, StringComparison.Ordinal);
        Assert.Contains("lwpwatch_collector_success{collector=\"cgroup-pids\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("lwpwatch_alerts{severity=\"critical\",rule=\"fork-denied\"}", metrics, StringComparison.Ordinal);

        var (code, stdout, stderr) = Promtool.CheckMetrics(metrics);
        Assert.True(code == 0, $"promtool check metrics exit {code}: {stdout}{stderr}");

        Assert.Equal("ok\n", await d.WaitForAsync("/healthz", TimeSpan.FromSeconds(5)));
        var zones = await d.WaitForAsync("/api/v1/zones", TimeSpan.FromSeconds(5));
        Assert.Contains(cg.ZoneId, zones, StringComparison.Ordinal);

        // Logs are compact JSON lines on stdout when not on a TTY.
        Assert.Contains("\"@mt\":", d.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_with_an_invalid_config_prints_every_error_and_starts_nothing()
    {
        var dir = TestTools.NewTempDir();
        var path = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(path, "poll:\n  interval: fast\nhttp:\n  listen: nowhere\nlinux:\n  topholders: 3\n");
        var (code, _, stderr) = TestTools.Run(TestTools.Lwpwatch, ["run", "--config", path], TimeSpan.FromSeconds(30));
        Assert.Equal(1, code);
        Assert.Contains("poll.interval", stderr, StringComparison.Ordinal);
        Assert.Contains("http.listen", stderr, StringComparison.Ordinal);
        Assert.Contains("linux.topholders: unknown key (did you mean 'topHolders'?)", stderr, StringComparison.Ordinal);
    }
}
