using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using Xunit;

namespace LwpWatch.Core.Tests.Rules;

public class ServiceStuckRuleTests
{
    private static ServiceStuckRule Rule(ServiceStuckSettings? s = null) => new(s ?? new ServiceStuckSettings(), new CapStarvationSettings());

    private static Snapshot Poll(double t, ServiceState s, params Zone[] zones) => Snap.At(t, zones, [s]);

    [Fact]
    public void Fires_after_the_threshold_measured_from_first_sight()
    {
        var s = Snap.Unit("/system.slice/x.service", "x.service");
        var z = Snap.Cgroup("/system.slice/x.service", 1, 20);
        Assert.Empty(Snap.Run(Rule(), Poll(0, s, z), Poll(299, s, z)));
        var f = Assert.Single(Snap.Run(Rule(), Poll(0, s, z), Poll(300, s, z)));
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Equal(300L, f.Evidence.Integer("stuckSeconds"));
    }

    [Fact]
    public void Manager_stamp_is_a_lower_bound_after_a_daemon_restart()
    {
        var s = Snap.Unit("/system.slice/x.service", "x.service", since: Snap.T0.AddMinutes(-10));
        var f = Assert.Single(Snap.Run(Rule(), Poll(0, s)));
        Assert.Equal(600L, f.Evidence.Integer("stuckSeconds"));
    }

    [Fact]
    public void Future_manager_stamp_is_ignored()
    {
        var s = Snap.Unit("/system.slice/x.service", "x.service", since: Snap.T0.AddHours(1));
        Assert.Empty(Snap.Run(Rule(), Poll(0, s), Poll(60, s)));
    }

    [Fact]
    public void State_change_starts_a_new_episode()
    {
        var a = Snap.Unit("/z", "x.service", sub: "start-pre");
        var b = Snap.Unit("/z", "x.service", sub: "start");
        Assert.Empty(Snap.Run(Rule(), Poll(0, a), Poll(200, a), Poll(250, b), Poll(400, b)));
    }

    [Fact]
    public void Fmri_override_applies_to_instances()
    {
        var settings = new ServiceStuckSettings();
        Assert.Equal(TimeSpan.FromMinutes(2), settings.ThresholdFor("svc:/system/filesystem/local:default"));
        Assert.Equal(TimeSpan.FromMinutes(5), settings.ThresholdFor("svc:/system/filesystem/localx:default"));
        var s = new ServiceState { ZoneId = Snap.Uuid, Name = "svc:/system/filesystem/local:default", State = "offline", NextState = "online", InTransition = true };
        var f = Assert.Single(Snap.Run(Rule(settings), Poll(0, s), Poll(120, s)));
        Assert.Equal("svcs -xv -z " + Snap.Uuid + " svc:/system/filesystem/local:default", Assert.Single(f.Hints.Render()));
    }

    [Fact]
    public void Headroom_gives_a_non_cap_verdict_unknown()
    {
        var s = Snap.Unit("/system.slice/stuck-pre.service", "stuck-pre.service", sub: "start-pre");
        var z = Snap.Cgroup("/system.slice/stuck-pre.service", 1, 20);
        var f = Assert.Single(Snap.Run(Rule(new() { Threshold = TimeSpan.Zero }), Poll(0, s, z)));
        Assert.Equal("unknown", f.Evidence.Text("verdict"));
        Assert.Contains("not short of threads (1/20)", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_pressure_verdict()
    {
        var s = Snap.Unit("/a.service", "a.service");
        var z = Snap.Cgroup("/a.service", 3, 100, pressure: new ZonePressure { CpuPressureAvg10 = 73.5 });
        var f = Assert.Single(Snap.Run(Rule(new() { Threshold = TimeSpan.Zero }), Poll(0, s, z)));
        Assert.Equal("cpu", f.Evidence.Text("verdict"));
    }

    [Fact]
    public void Illumos_waitrq_growth_verdict_cpu()
    {
        var s = new ServiceState { ZoneId = Snap.Uuid, Name = "svc:/site/app:default", State = "offline", NextState = "online", InTransition = true };
        Zone Z(long ns) => Snap.Illumos(Snap.Uuid, "web01", 50, 400, 0, new ZonePressure { CpuWaitNanos = ns });
        // 45 CPU-seconds waited in 15 s of wall time = 3 per second
        var f = Assert.Single(Snap.Run(Rule(new() { Threshold = TimeSpan.Zero }), Poll(0, s, Z(1_000_000_000)), Poll(15, s, Z(46_000_000_000))));
        Assert.Equal("cpu", f.Evidence.Text("verdict"));
    }

    [Fact]
    public void Memory_failures_rising_verdict()
    {
        var s = Snap.Unit("/a.service", "a.service");
        Zone Z(long oom) => Snap.Cgroup("/a.service", 3, 100, pressure: new ZonePressure { MemoryFailures = oom });
        var f = Assert.Single(Snap.Run(Rule(new() { Threshold = TimeSpan.Zero }), Poll(0, s, Z(2)), Poll(15, s, Z(5))));
        Assert.Equal("memory", f.Evidence.Text("verdict"));
        Assert.Contains("3 OOM", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_dependency_verdict()
    {
        var s = Snap.Unit("/a.service", "a.service", deps: ["db.service"]);
        var snap = Snap.At(0, [Snap.Cgroup("/a.service", 3, 100)], [s, Snap.Unit("/db.service", "db.service", "failed", "failed")]);
        var f = Assert.Single(Snap.Run(Rule(new() { Threshold = TimeSpan.Zero }), snap));
        Assert.Equal("dependency", f.Evidence.Text("verdict"));
        Assert.Contains("db.service, which is failed", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Cap_verdict_points_at_cap_starvation()
    {
        var s = Snap.Unit("/a.service", "a.service");
        var f = Assert.Single(Snap.Run(Rule(new() { Threshold = TimeSpan.Zero }), Poll(0, s, Snap.Cgroup("/a.service", 20, 20, 5)), Poll(10, s, Snap.Cgroup("/a.service", 20, 20, 9))));
        Assert.Equal("thread-cap", f.Evidence.Text("verdict"));
        Assert.Contains("see cap-starvation", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_rejects_negative_override()
    {
        var s = new ServiceStuckSettings { Overrides = new Dictionary<string, TimeSpan> { ["x.service"] = TimeSpan.FromSeconds(-1) } };
        Assert.Contains("rules.serviceStuck.overrides.x.service: must not be negative", s.Validate("rules.serviceStuck"));
    }
}
