using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>The dependency verdict on illumos: an FMRI names a service in every zone, so only the same zone's instance counts.</summary>
public sealed class IllumosDependencyVerdictTests
{
    private const string Other = "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e";

    private static ServiceState Svc(string zone, string fmri, string state, string next = "-") =>
        new() { ZoneId = zone, Name = fmri, State = state, NextState = next, InTransition = next != "-" };

    private static Verdict Diagnose(params ServiceState[] services)
    {
        var stuck = services[0] with { Dependencies = ["svc:/network/nfs/nlockmgr:default", "svc:/network/nfs/status:default"] };
        var snap = Snap.At(0, [Snap.Illumos(Snap.Uuid, "a", 100, 2000, 0), Snap.Illumos(Other, "b", 100, 2000, 0)], [stuck, .. services[1..]], platform: "illumos");
        return Diagnosis.Diagnose(Snap.Uuid, stuck, RuleContext.Single(snap), new CapStarvationSettings());
    }

    [Fact]
    public void A_dependency_in_maintenance_in_the_same_zone_is_the_verdict()
    {
        var v = Diagnose(
            Svc(Snap.Uuid, "svc:/network/nfs/client:default", "offline", "online"),
            Svc(Snap.Uuid, "svc:/network/nfs/nlockmgr:default", "online"),
            Svc(Snap.Uuid, "svc:/network/nfs/status:default", "maintenance"));
        Assert.Equal(VerdictCause.Dependency, v.Cause);
        Assert.Contains("it needs svc:/network/nfs/status:default, which is maintenance", v.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_fmri_in_maintenance_in_another_zone_is_not()
    {
        var v = Diagnose(
            Svc(Snap.Uuid, "svc:/network/nfs/client:default", "offline", "online"),
            Svc(Snap.Uuid, "svc:/network/nfs/status:default", "online"),
            Svc(Other, "svc:/network/nfs/status:default", "maintenance"));
        Assert.Equal(VerdictCause.Unknown, v.Cause);
    }
}
