using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>Incident.Group: which finding heads, which are folded under it (the check/explain/API view of issue 17).</summary>
public sealed class IncidentTests
{
    private static Finding F(string rule, Severity sev = Severity.Critical, string zone = "z1", string? service = null) => new()
    {
        Rule = rule,
        ZoneId = zone,
        Service = service,
        Severity = sev,
        Since = Snap.T0,
        Summary = rule,
    };

    [Fact]
    public void The_triton_set_is_one_incident_headed_by_cap_starvation()
    {
        var findings = new[]
        {
            F(RuleIds.ForkDenied), F(RuleIds.CapStarvation), F(RuleIds.NearCap), F(RuleIds.ProvisionStuck),
            F(RuleIds.ServiceStuck, Severity.Warning, service: "svc:/system/filesystem/local:default"), F(RuleIds.ExhaustionForecast, Severity.Warning),
        };
        var incident = Assert.Single(Incident.Group(findings));
        Assert.Equal(RuleIds.CapStarvation, incident.Head.Rule);
        Assert.Equal(5, incident.Symptoms.Length);
        Assert.Equal(RuleIds.ForkDenied, incident.Symptoms[0].Rule); // in the findings' order
    }

    [Fact]
    public void Without_a_root_cause_every_finding_is_its_own_incident()
    {
        var findings = new[] { F(RuleIds.ForkDenied), F(RuleIds.NearCap) };
        Assert.Equal(2, Incident.Group(findings).Length);
        Assert.All(Incident.Group(findings), i => Assert.Empty(i.Symptoms));
    }

    [Fact]
    public void Zones_never_mix_and_host_findings_are_never_folded()
    {
        var findings = new[] { F(RuleIds.CapStarvation), F(RuleIds.NearCap, zone: "z2"), F(RuleIds.HostLimits, zone: "z1"), F(RuleIds.CollectorHealth, zone: "z1") };
        var incidents = Incident.Group(findings);
        Assert.Equal(4, incidents.Length);
        Assert.Empty(incidents[0].Symptoms);
    }

    [Fact]
    public void A_stuck_provision_without_a_cap_cause_heads_its_stuck_services_but_not_a_critical_it_cannot_outrank()
    {
        var findings = new[] { F(RuleIds.NearCap), F(RuleIds.ProvisionStuck, Severity.Warning), F(RuleIds.ServiceStuck, Severity.Warning, service: "a") };
        var incidents = Incident.Group(findings);
        Assert.Equal(2, incidents.Length);
        Assert.Equal(RuleIds.ServiceStuck, Assert.Single(Assert.Single(incidents, i => i.Head.Rule == RuleIds.ProvisionStuck).Symptoms).Rule);
    }

    [Fact]
    public void Configured_not_enforced_heads_the_cap_starvation_it_explains_and_its_symptoms()
    {
        // The kernel enforces the boot-time cap while the zone XML says more: raising the cap again (cap-starvation's
        // fix) would change nothing, so the head is the rule whose fix makes the kernel enforce the configured one.
        var findings = new[] { F(RuleIds.ForkDenied), F(RuleIds.CapStarvation), F(RuleIds.ConfiguredNotEnforced), F(RuleIds.NearCap), F(RuleIds.NearCap, zone: "z2") };
        var incidents = Incident.Group(findings);
        Assert.Equal(2, incidents.Length);
        var head = Assert.Single(incidents, i => i.Head.ZoneId == "z1");
        Assert.Equal(RuleIds.ConfiguredNotEnforced, head.Head.Rule);
        Assert.Equal([RuleIds.ForkDenied, RuleIds.CapStarvation, RuleIds.NearCap], head.Symptoms.Select(s => s.Rule).ToArray());
    }

    [Fact]
    public void Chain_levels_are_as_documented()
    {
        Assert.True(RuleFactory.RoleOf(RuleIds.ConfiguredNotEnforced).Outranks(RuleFactory.RoleOf(RuleIds.CapStarvation)));
        Assert.True(RuleFactory.RoleOf(RuleIds.CapStarvation).Outranks(RuleFactory.RoleOf(RuleIds.ProvisionStuck)));
        Assert.False(RuleFactory.RoleOf(RuleIds.ProvisionStuck).Outranks(RuleFactory.RoleOf(RuleIds.CapStarvation)));
        Assert.False(RuleFactory.RoleOf(RuleIds.NearCap).Outranks(RuleFactory.RoleOf(RuleIds.ForkDenied)));
        Assert.False(RuleFactory.RoleOf(RuleIds.CapStarvation).Outranks(RuleFactory.RoleOf(RuleIds.HostLimits)));
        Assert.False(RuleFactory.RoleOf("no-such-rule").IsRootCause);
    }
}
