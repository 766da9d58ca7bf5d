using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class RemediationTests
{
    [Theory]
    [InlineData(398, 400, 0, 800)]
    [InlineData(20, 20, 0, 40)]
    [InlineData(40, 40, 40, 80)]
    [InlineData(5, 10, 61, 150)]
    [InlineData(9000, 10000, 0, 20000)]
    public void Suggested_limit_is_peak_plus_headroom_rounded(long used, long cap, long peak, long expected) =>
        Assert.Equal(expected, Remediation.SuggestedLimit(Z.Cg("/a", used, cap) with { Peak = peak == 0 ? null : peak }));

    [Fact]
    public void Illumos_hints_are_live_prctl_and_persistent_vmadm_with_the_uuid()
    {
        var zone = new Zone { Id = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", Kind = ZoneKind.IllumosZone, Name = "delegate-test-7", Lwps = 398, LwpLimit = 400 };
        var hints = Remediation.RaiseCapCommands(zone, 800);
        Assert.Equal(
            ["prctl -n zone.max-lwps -v 800 -t privileged -r -i zone 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", "vmadm update 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90 max_lwps=800"],
            hints.ToArray());
        Assert.Contains(Remediation.Notes(zone), n => n.Contains("625", StringComparison.Ordinal));
        Assert.Contains(Remediation.Notes(zone), n => n.Contains("exactly at its cap", StringComparison.Ordinal));
    }

    [Fact]
    public void Container_hints_use_docker_update()
    {
        var zone = Z.Cg("/system.slice/docker-abc.scope", 100, 100) with { Container = "abc", Unit = "docker-abc.scope" };
        Assert.Contains("docker update --pids-limit 200 abc", Remediation.RaiseCapCommands(zone, 200));
    }
}
