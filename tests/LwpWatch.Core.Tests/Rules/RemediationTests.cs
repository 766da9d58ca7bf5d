using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class RemediationTests
{
    [Theory]
    [InlineData(398, 400, 0, 0, 600)]
    [InlineData(398, 400, 0, 1734, 1200)] // refusals count as demand, at most the cap again
    [InlineData(20, 20, 0, 31, 60)]       // the systemd unit that needs 50 threads gets enough
    [InlineData(40, 40, 40, 61, 150)]
    [InlineData(5, 10, 61, 0, 100)]       // peak counts
    [InlineData(9000, 10000, 0, 0, 15000)]
    public void Suggested_limit_is_demand_times_headroom_rounded(long used, long cap, long peak, long refused, long expected) =>
        Assert.Equal(expected, Remediation.StarvationLimit(Z.Cg("/a", used, cap) with { Peak = peak == 0 ? null : peak }, refused, 1.5));

    [Fact]
    public void Every_rule_gets_the_same_suggestion_from_the_denials_in_the_window()
    {
        var engine = new RuleEngine(RuleFactory.Create(new Core.Options.RulesSettings()), TimeSpan.FromMinutes(30));
        engine.Evaluate(Z.Snap(0, Z.Cg("/a", 20, 20, denials: 0)));
        var o = engine.Evaluate(Z.Snap(15, Z.Cg("/a", 20, 20, denials: 31)));
        var suggested = o.Findings.Where(f => f.SuggestedLimit is not null).Select(f => f.SuggestedLimit).Distinct().ToList();
        Assert.Equal([60L], suggested);
        Assert.True(o.Findings.Length >= 2);
    }

    [Fact]
    public void Illumos_hints_are_live_prctl_and_persistent_vmadm_with_the_uuid()
    {
        var zone = new Zone { Id = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", Kind = ZoneKind.IllumosZone, Name = "delegate-test-7", Lwps = 398, LwpLimit = 400 };
        var hints = Remediation.RaiseCapCommands(RuleIds.CapStarvation, zone, 800);
        Assert.Equal(
            ["prctl -n zone.max-lwps -v 800 -t privileged -r -i zone 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", "vmadm update 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90 max_lwps=800"],
            hints.Render().ToArray());
        Assert.Equal([HintEffect.Live, HintEffect.Persistent], hints.Select(h => h.Effect));
        Assert.Contains(Remediation.Notes(zone), n => n.Contains("625", StringComparison.Ordinal));
        Assert.Contains(Remediation.Notes(zone), n => n.Contains("exactly at its cap", StringComparison.Ordinal));
    }

    [Fact]
    public void Container_hints_use_docker_update()
    {
        var zone = Z.Cg("/system.slice/docker-abc.scope", 100, 100) with { Container = "abc", Unit = "docker-abc.scope" };
        Assert.Contains("docker update --pids-limit 200 abc", Remediation.RaiseCapCommands(RuleIds.NearCap, zone, 200).Render());
    }
}
