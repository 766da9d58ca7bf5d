using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using Xunit;

namespace LwpWatch.Core.Tests.Rules;

public class ProvisionStuckRuleTests
{
    private static Snapshot Poll(double t, bool marker = true, string state = "provisioning", DateTimeOffset? since = null) => Snap.At(t,
        [Snap.Illumos(Snap.Uuid, "web01", 398, 400, 0)], null, null,
        [new Provision { ZoneId = Snap.Uuid, VmState = state, MarkerPresent = marker, MarkerSince = since ?? Snap.T0, Deadline = Snap.T0.AddSeconds(300) }], platform: "illumos");

    [Fact]
    public void States_seconds_left_until_transition_expire()
    {
        var rule = new ProvisionStuckRule(new ProvisionStuckSettings(), new CapStarvationSettings());
        Assert.Empty(Snap.Run(rule, Poll(30)));
        var f = Assert.Single(Snap.Run(new ProvisionStuckRule(new ProvisionStuckSettings(), new CapStarvationSettings()), Poll(30), Poll(90)));
        Assert.Equal(210L, f.Evidence.Integer("secondsLeft"));
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("stops the zone in 210s", f.Summary, StringComparison.Ordinal);
        Assert.Contains("(LWPs 398/400)", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Critical_close_to_the_deadline()
    {
        var f = Assert.Single(Snap.Run(new ProvisionStuckRule(new ProvisionStuckSettings(), new CapStarvationSettings()), Poll(200)));
        Assert.Equal(Severity.Critical, f.Severity);
    }

    [Fact]
    public void No_marker_or_not_provisioning_is_quiet()
    {
        Assert.Empty(Snap.Run(new ProvisionStuckRule(new ProvisionStuckSettings(), new CapStarvationSettings()), Poll(120, marker: false)));
        Assert.Empty(Snap.Run(new ProvisionStuckRule(new ProvisionStuckSettings(), new CapStarvationSettings()), Poll(120, state: "running")));
    }
}

public class HostLimitsRuleTests
{
    [Fact]
    public void Tasks_near_the_lower_host_ceiling()
    {
        var snap = Snap.At(0, host: new HostLimits { ThreadsMax = 192730, PidMax = 32768, Tasks = 31500 });
        var f = Assert.Single(Snap.Run(new HostLimitsRule(new HostLimitsSettings()), snap));
        Assert.Equal(Severity.Critical, f.Severity);
        Assert.Equal("kernel.pid_max", f.Evidence.Text("limitingKey"));
        Assert.Equal("sysctl -w kernel.pid_max=65536", Assert.Single(f.Hints.Render()));
    }

    [Fact]
    public void Plenty_of_room_is_quiet() =>
        Assert.Empty(Snap.Run(new HostLimitsRule(new HostLimitsSettings()), Snap.At(0, host: new HostLimits { ThreadsMax = 192730, PidMax = 32768, Tasks = 300 })));

    [Fact]
    public void Process_table_failures_rising_is_critical()
    {
        Snapshot P(double t, long n) => Snap.At(t, [Snap.Illumos(Snap.Uuid, "web01", 10, 400, 0, new ZonePressure { ProcessTableFailures = n })], platform: "illumos");
        var f = Assert.Single(Snap.Run(new HostLimitsRule(new HostLimitsSettings()), P(0, 4), P(15, 9)));
        Assert.Equal("process-table", f.Service);
        Assert.Contains("5 forks refused", f.Summary, StringComparison.Ordinal);
    }
}
