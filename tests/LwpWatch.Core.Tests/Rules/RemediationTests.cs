using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class RemediationTests
{
    [Fact]
    public void Every_rule_gets_the_same_suggestion_from_the_demand_since_start()
    {
        var engine = new RuleEngine(RuleFactory.Create(new Core.Options.RulesSettings()), TimeSpan.FromMinutes(30));
        engine.Evaluate(Z.Snap(0, Z.Cg("/a", 20, 20, denials: 0)));
        var o = engine.Evaluate(Z.Snap(15, Z.Cg("/a", 20, 20, denials: 31)));
        var suggested = o.Findings.Where(f => f.SuggestedLimit is not null).Select(f => f.SuggestedLimit).Distinct().ToList();
        Assert.Equal([80L], suggested); // 20 held + 31 refused = 51, x1.5 -> 80
        Assert.True(o.Findings.Length >= 2);
    }

    [Fact]
    public void Illumos_hints_are_live_prctl_and_persistent_vmadm_with_the_uuid()
    {
        var zone = new Zone { Id = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", Kind = ZoneKind.IllumosZone, Name = "delegate-test-7", Lwps = 398, LwpLimit = 400 };
        var hints = Remediation.RaiseCapCommands(RuleIds.CapStarvation, zone, 800, Z.Snap(0, zone));
        Assert.Equal(
            ["prctl -n zone.max-lwps -v 800 -t privileged -r -i zone 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", "vmadm update 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90 max_lwps=800"],
            hints.Render().ToArray());
        Assert.Equal([HintEffect.Live, HintEffect.Persistent], hints.Select(h => h.Effect));
        Assert.Contains(Remediation.Notes(zone, Z.Snap(0, zone)), n => n.Contains("625", StringComparison.Ordinal));
        Assert.Contains(Remediation.Notes(zone, Z.Snap(0, zone)), n => n.Contains("exactly at its cap", StringComparison.Ordinal));
    }

    private const string Id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static Snapshot With(Zone zone, params ServiceState[] services) => Z.Snap(0, zone) with { Services = [.. services] };

    private static ServiceState Unit(string name, string zoneId, string? controlGroup) =>
        new() { ZoneId = zoneId, Name = name, State = "active", NextState = "running", ControlGroup = controlGroup };

    [Theory]
    [InlineData("/system.slice/docker-" + Id64 + ".scope", true)]   // docker, systemd cgroup driver
    [InlineData("/docker/" + Id64, true)]                             // docker, cgroupfs driver
    [InlineData("/tenant/docker-" + Id64 + ".scope", false)]          // a tenant's look-alike below its own cgroup
    [InlineData("/system.slice/tenant.service/docker-" + Id64 + ".scope", false)]
    [InlineData("/tenant/docker/" + Id64, false)]
    [InlineData("/system.slice/docker-0123456789ab.scope", false)]    // not a full docker id
    public void Docker_update_only_for_a_container_the_path_places(string id, bool docker)
    {
        var last = id[(id.LastIndexOf('/') + 1)..];
        var container = last.StartsWith("docker-", StringComparison.Ordinal) ? last["docker-".Length..^".scope".Length] : last;
        var zone = Z.Cg(id, 100, 100) with { Container = container };
        var hints = Remediation.RaiseCapCommands(RuleIds.NearCap, zone, 200, With(zone)).Render();
        Assert.Equal(docker, hints.Contains($"docker update --pids-limit 200 {container}"));
        Assert.Contains($"echo 200 > /sys/fs/cgroup/pids{id}/pids.max", hints);
    }

    [Fact]
    public void Set_property_only_for_the_unit_the_manager_reports_owning_this_cgroup()
    {
        var web = Z.Cg("/system.slice/web.service", 90, 100, unit: "web.service");
        Assert.Equal(
            // No pids.max write for a unit's cgroup: systemd recreates it with TasksMax at the unit's next start.
            ["systemctl set-property web.service TasksMax=150", "systemctl set-property --runtime web.service TasksMax=150"],
            Remediation.RaiseCapCommands(RuleIds.NearCap, web, 150, With(web, Unit("web.service", web.Id, web.Id))).Render().ToArray());
        Assert.Contains("systemctl set-property is persistent", Remediation.Notes(web, With(web, Unit("web.service", web.Id, web.Id)))[0], StringComparison.Ordinal);

        // Named like a unit, but the manager did not say it owns it (not asked, or no such unit): pids.max only.
        Assert.Equal(["echo 150 > /sys/fs/cgroup/pids/system.slice/web.service/pids.max"],
            Remediation.RaiseCapCommands(RuleIds.NearCap, web, 150, With(web, Unit("web.service", web.Id, null))).Render().ToArray());
        Assert.StartsWith("writing pids.max is live only", Remediation.Notes(web, With(web))[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_tenant_cgroup_named_like_a_host_unit_gets_only_its_pids_max()
    {
        var tenant = Z.Cg("/tenant/sshd.service", 10, 10, unit: "sshd.service");
        var snap = With(tenant, Unit("sshd.service", "/system.slice/sshd.service", "/system.slice/sshd.service"));
        Assert.Equal(["echo 20 > /sys/fs/cgroup/pids/tenant/sshd.service/pids.max"], Remediation.RaiseCapCommands(RuleIds.NearCap, tenant, 20, snap).Render().ToArray());
    }

    [Fact]
    public void A_mkdired_slice_gets_only_its_pids_max()
    {
        // /test.slice made with mkdir: systemd has no such unit (ListUnits), so nothing reports owning it.
        var slice = Z.Cg("/test.slice", 10, 10, unit: "test.slice");
        var hints = Remediation.RaiseCapCommands(RuleIds.ForkDenied, slice, 20, With(slice, Unit("user.slice", "/user.slice", "/user.slice")));
        var h = Assert.Single(hints);
        Assert.Equal("echo 20 > /sys/fs/cgroup/pids/test.slice/pids.max", h.Render());
        Assert.Equal((HintEffect.Live, RuleIds.ForkDenied, "/test.slice"), (h.Effect, h.Rule, h.ZoneId));
    }

    [Fact]
    public void A_unit_name_that_looks_like_an_option_is_passed_after_double_dash()
    {
        var zone = Z.Cg("/system.slice/-x.service", 10, 10, unit: "-x.service");
        Assert.Contains("systemctl set-property -- -x.service TasksMax=20",
            Remediation.RaiseCapCommands(RuleIds.NearCap, zone, 20, With(zone, Unit("-x.service", zone.Id, zone.Id))).Render().ToArray());
    }
}
