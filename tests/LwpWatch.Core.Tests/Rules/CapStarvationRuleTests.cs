using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using Xunit;

namespace LwpWatch.Core.Tests.Rules;

public class CapStarvationRuleTests
{
    private const string Svc = "/system.slice/stuck-notify.service";
    private static readonly CapStarvationSettings Settings = new() { StuckFor = TimeSpan.FromSeconds(30) };

    private static CapStarvationRule Rule() => new(Settings, new ProvisionStuckSettings());

    private static CapStarvationRule DefaultRule() => new(new CapStarvationSettings(), new ProvisionStuckSettings());

    [Fact]
    public void Unit_stuck_at_its_cap_with_denials_is_one_critical_finding_with_exact_fix()
    {
        Snapshot Poll(double t, long denials) => Snap.At(t,
            [Snap.Cgroup("/system.slice", 25, null, denials), Snap.Cgroup(Svc, 20, 20, denials)],
            [Snap.Unit(Svc, "stuck-notify.service", tasks: 20, limit: 20), Snap.Unit("/system.slice/cron.service", "cron.service", "active", "running")],
            [new ThreadHolder(Svc, 4242, "spawn", "/usr/local/bin/spawn 50", 20)]);

        var findings = Snap.Run(Rule(), Poll(0, 0), Poll(15, 31), Poll(30, 62), Poll(45, 93));

        var f = Assert.Single(findings);
        Assert.Equal("cap-starvation", f.Rule);
        Assert.Equal(Severity.Critical, f.Severity);
        Assert.Equal(Svc, f.ZoneId);
        Assert.Null(f.Service); // one finding per starved zone: the unit is in stuckServices, not in its identity
        Assert.Equal("stuck-notify.service", Assert.Single(f.Evidence.Records("stuckServices")).Text("service"));
        Assert.Contains("20/20", f.Summary, StringComparison.Ordinal);
        Assert.Contains("93 thread/process creations refused", f.Summary, StringComparison.Ordinal);
        Assert.Contains("stuck-notify.service stuck activating->start for 45s", f.Summary, StringComparison.Ordinal);
        // demand = 20 held + min(93 refused since start, twice the cap 20) = 60, x1.5 = 90
        Assert.Equal(90L, f.Evidence.Integer("suggestedLimit"));
        Assert.Contains("systemctl set-property stuck-notify.service TasksMax=90", f.Hints.Render());
        Assert.Contains("systemctl set-property --runtime stuck-notify.service TasksMax=90", f.Hints.Render());
        Assert.DoesNotContain(f.Hints.Render(), h => h.StartsWith("echo ", StringComparison.Ordinal)); // the restart it needs would undo it
        var holders = f.Evidence.Records("topHolders").ToList();
        Assert.Equal(4242, Assert.Single(holders).Integer("pid"));
    }

    [Fact]
    public void Not_before_stuckFor_and_resolves_when_the_unit_starts()
    {
        var rule = Rule();
        Snapshot Stuck(double t) => Snap.At(t, [Snap.Cgroup(Svc, 20, 20, (long)t)], [Snap.Unit(Svc, "stuck-notify.service")]);
        Assert.Empty(Snap.Run(rule, Stuck(0), Stuck(15)));
        var started = Snap.At(60, [Snap.Cgroup(Svc, 51, 60, 90)], [Snap.Unit(Svc, "stuck-notify.service", "active", "running")]);
        var ctx = RuleContext.Over([Stuck(0), Stuck(15), started]);
        Assert.Empty(rule.Evaluate(ctx));
    }

    [Fact]
    public void Stuck_unit_with_headroom_is_not_blamed_on_the_cap()
    {
        Snapshot Poll(double t) => Snap.At(t, [Snap.Cgroup("/system.slice/stuck-pre.service", 1, 20)],
            [Snap.Unit("/system.slice/stuck-pre.service", "stuck-pre.service", sub: "start-pre")]);
        Assert.Empty(Snap.Run(Rule(), Poll(0), Poll(60), Poll(120)));
    }

    [Fact]
    public void Limit_on_an_ancestor_slice_is_found_and_named()
    {
        const string pod = "/kubepods.slice/kubepods-pod1a2b.slice";
        const string ctr = pod + "/cri-containerd-0f3e.scope";
        Snapshot Poll(double t, long d) => Snap.At(t, [Snap.Cgroup(pod, 100, 100, d), Snap.Cgroup(ctr, 100, null, d)],
            [Snap.Unit(ctr, "cri-containerd-0f3e.scope")]);
        var f = Assert.Single(Snap.Run(Rule(), Poll(0, 0), Poll(40, 7)));
        Assert.Equal(pod, f.ZoneId);
        Assert.Contains("echo 200 > /sys/fs/cgroup/pids" + pod + "/pids.max", f.Hints.Render());
    }

    [Fact]
    public void Illumos_provision_stuck_in_a_zone_at_its_cap_gets_prctl_and_vmadm_with_uuid()
    {
        var deadline = Snap.T0.AddSeconds(300);
        Snapshot Poll(double t, long lwps, long denials) => Snap.At(t,
            [Snap.Illumos("global", "global", 900, 0, 0) with { LwpLimit = null }, Snap.Illumos(Snap.Uuid, "web01", lwps, 400, denials)],
            [new ServiceState { ZoneId = Snap.Uuid, Name = "svc:/system/filesystem/local:default", State = "offline", NextState = "online", InTransition = true }],
            [new ThreadHolder(Snap.Uuid, 20991, "zfs", "zfs mount -va", 201), new ThreadHolder(Snap.Uuid, 20992, "zfs", "zfs mount -va", 197)],
            [new Provision { ZoneId = Snap.Uuid, VmState = "provisioning", MarkerPresent = true, MarkerSince = Snap.T0, Deadline = deadline }],
            platform: "illumos");

        var first = Snap.Run(DefaultRule(), Poll(0, 120, 0), Poll(30, 398, 300));
        Assert.Empty(first); // 30 s: neither the service nor the provision has been stuck 60 s

        var findings = Snap.Run(DefaultRule(), Poll(0, 120, 0), Poll(30, 398, 300), Poll(60, 398, 900));
        var f = Assert.Single(findings);
        Assert.Equal(Snap.Uuid, f.ZoneId);
        Assert.Contains("web01 (" + Snap.Uuid + ")", f.Summary, StringComparison.Ordinal);
        Assert.Contains("398/400", f.Summary, StringComparison.Ordinal);
        Assert.Contains("vmadm fails it and stops the zone in 240s", f.Summary, StringComparison.Ordinal);
        Assert.Contains(f.Hints.Render(), h => h.StartsWith("prctl -n zone.max-lwps -v ", StringComparison.Ordinal) && h.EndsWith(" -t privileged -r -i zone " + Snap.Uuid, StringComparison.Ordinal));
        Assert.Contains(f.Hints.Render(), h => h.StartsWith("vmadm update " + Snap.Uuid + " max_lwps=", StringComparison.Ordinal));
        // demand 400 + min(900 refused since boot, twice the cap 800) = 1200 x 1.5 = 1800 (>= the 625 Triton needs for zfs mount)
        Assert.Equal(1800L, f.Evidence.Integer("suggestedLimit"));
        var notes = string.Join("\n", f.Notes);
        Assert.Contains("625", notes, StringComparison.Ordinal);
        Assert.Contains("prctl", notes, StringComparison.Ordinal);
    }

    [Fact]
    public void Zone_exactly_at_cap_says_prctl_cannot_act()
    {
        Snapshot Poll(double t) => Snap.At(t, [Snap.Illumos(Snap.Uuid, "web01", 400, 400, (long)t)],
            [new ServiceState { ZoneId = Snap.Uuid, Name = "svc:/system/filesystem/local:default", State = "offline", NextState = "online", InTransition = true }], platform: "illumos");
        var f = Assert.Single(Snap.Run(Rule(), Poll(0), Poll(60)));
        Assert.Contains(f.Notes, n => n.Contains("exactly at its cap", StringComparison.Ordinal));
    }

    [Fact]
    public void Denials_counted_once_without_usage_at_cap_are_not_enough()
    {
        // One-shot check: the counter's age is unknown, usage is far from the cap.
        var snap = Snap.At(0, [Snap.Cgroup(Svc, 3, 20, 31)], [Snap.Unit(Svc, "stuck-notify.service", since: Snap.T0.AddMinutes(-10))]);
        Assert.Empty(Snap.Run(Rule(), snap));
    }

    [Fact]
    public void Two_stuck_units_in_one_starved_slice_are_one_finding()
    {
        const string slice = "/app.slice";
        Snapshot Poll(double t) => Snap.At(t, [Snap.Cgroup(slice, 50, 50, (long)t), Snap.Cgroup(slice + "/a.service", 30, null), Snap.Cgroup(slice + "/b.service", 20, null)],
            [Snap.Unit(slice + "/a.service", "a.service"), Snap.Unit(slice + "/b.service", "b.service", "reloading", "reload")]);
        var f = Assert.Single(Snap.Run(Rule(), Poll(0), Poll(40)));
        Assert.Equal(slice, f.ZoneId);
        Assert.Contains("a.service", f.Summary, StringComparison.Ordinal);
        Assert.Contains("b.service", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Provision_racing_its_deadline_is_projected_before_the_cap_is_hit()
    {
        var deadline = Snap.T0.AddSeconds(300);
        Snapshot Poll(double t, long lwps) => Snap.At(t, [Snap.Illumos(Snap.Uuid, "web01", lwps, 400, 0)], null, null,
            [new Provision { ZoneId = Snap.Uuid, VmState = "provisioning", MarkerPresent = true, MarkerSince = Snap.T0, Deadline = deadline }], platform: "illumos");

        var f = Assert.Single(Snap.Run(DefaultRule(), Poll(45, 92), Poll(75, 172)));
        Assert.Equal(true, f.Evidence.Flag("projected"));
        Assert.Contains("172/400 threads and rising 160/min: at its cap in ~85s", f.Summary, StringComparison.Ordinal);
        Assert.Contains("vmadm update " + Snap.Uuid + " max_lwps=625", f.Hints.Render());

        // Slow growth that reaches the cap only after the deadline, or a plateau, is not blamed on the cap.
        Assert.Empty(Snap.Run(DefaultRule(), Poll(45, 92), Poll(75, 100)));
        Assert.Empty(Snap.Run(DefaultRule(), Poll(45, 172), Poll(60, 250), Poll(75, 250)));
        // One sample is no trend.
        Assert.Empty(Snap.Run(DefaultRule(), Poll(75, 172)));
    }
}
