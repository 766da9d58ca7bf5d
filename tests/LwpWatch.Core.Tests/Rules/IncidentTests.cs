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
        // A zone near its cap (and forecast to hit it) that has refused nothing yet: two findings, no cause among them.
        var findings = new[] { F(RuleIds.NearCap), F(RuleIds.ExhaustionForecast, Severity.Warning) };
        Assert.Equal(2, Incident.Group(findings).Length);
        Assert.All(Incident.Group(findings), i => Assert.Empty(i.Symptoms));
    }

    [Fact]
    public void A_linux_zone_at_its_cap_without_a_stuck_service_is_one_incident_headed_by_fork_denied()
    {
        // What a capped cgroup whose workload is refused threads gives (bench/pages' live capture, the VM's scopes and
        // containers): the refusals are the harm and explain the zone being at its cap; near-cap is folded under them.
        var findings = new[] { F(RuleIds.NearCap), F(RuleIds.ForkDenied), F(RuleIds.ExhaustionForecast, Severity.Warning), F(RuleIds.NearCap, zone: "z2") };
        var incidents = Incident.Group(findings);
        Assert.Equal(2, incidents.Length);
        var z1 = Assert.Single(incidents, i => i.Head.ZoneId == "z1");
        Assert.Equal(RuleIds.ForkDenied, z1.Head.Rule);
        Assert.Equal([RuleIds.NearCap, RuleIds.ExhaustionForecast], z1.Symptoms.Select(s => s.Rule).ToArray());
        Assert.Empty(Assert.Single(incidents, i => i.Head.ZoneId == "z2").Symptoms);
    }

    [Fact]
    public void A_first_sight_warning_fork_denied_never_hides_a_critical_near_cap()
    {
        // fork-denied is a warning when its counter is first seen below firstSightCriticalRatio: near-cap's critical
        // stays its own page, as the severity-matched inhibit rules keep it.
        var findings = new[] { F(RuleIds.NearCap), F(RuleIds.ForkDenied, Severity.Warning) };
        var incidents = Incident.Group(findings);
        Assert.Equal(2, incidents.Length);
        Assert.All(incidents, i => Assert.Empty(i.Symptoms));
    }

    [Fact]
    public void A_higher_root_cause_folds_fork_denied_with_the_rest()
    {
        var findings = new[] { F(RuleIds.ForkDenied), F(RuleIds.NearCap), F(RuleIds.ProvisionStuck), F(RuleIds.ServiceStuck, Severity.Warning, service: "a") };
        var incident = Assert.Single(Incident.Group(findings));
        Assert.Equal(RuleIds.ProvisionStuck, incident.Head.Rule);
        Assert.Equal([RuleIds.ForkDenied, RuleIds.NearCap, RuleIds.ServiceStuck], incident.Symptoms.Select(s => s.Rule).ToArray());
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
        Assert.True(RuleFactory.RoleOf(RuleIds.ProvisionStuck).Outranks(RuleFactory.RoleOf(RuleIds.ForkDenied)));
        Assert.False(RuleFactory.RoleOf(RuleIds.ForkDenied).Outranks(RuleFactory.RoleOf(RuleIds.ProvisionStuck)));
        Assert.True(RuleFactory.RoleOf(RuleIds.ForkDenied).Outranks(RuleFactory.RoleOf(RuleIds.NearCap)));
        Assert.True(RuleFactory.RoleOf(RuleIds.ForkDenied).Outranks(RuleFactory.RoleOf(RuleIds.ServiceStuck)));
        Assert.True(RuleFactory.RoleOf(RuleIds.ForkDenied).Outranks(RuleFactory.RoleOf(RuleIds.ExhaustionForecast)));
        Assert.False(RuleFactory.RoleOf(RuleIds.NearCap).Outranks(RuleFactory.RoleOf(RuleIds.ForkDenied)));
        Assert.False(RuleFactory.RoleOf(RuleIds.CapStarvation).Outranks(RuleFactory.RoleOf(RuleIds.HostLimits)));
        Assert.False(RuleFactory.RoleOf("no-such-rule").IsRootCause);
    }
}
