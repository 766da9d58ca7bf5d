using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>RuleEngine.Rebuild: what a config reload does to rule state.</summary>
public sealed class RuleEngineRebuildTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(30);

    private static RuleEngine Engine(NearCapSettings settings) => new([new NearCapRule(settings)], Window);

    [Fact]
    public void A_firing_finding_keeps_its_first_seen_time_across_new_thresholds()
    {
        var engine = Engine(new NearCapSettings());
        for (var t = 0; t <= 60; t += 15)
        {
            engine.Evaluate(Z.Snap(t, Z.Cg("/a", 97, 100)));
        }

        var firstSeen = engine.Evaluate(Z.Snap(75, Z.Cg("/a", 97, 100))).Findings.Single().Since;

        var rebuilt = engine.Rebuild([new NearCapRule(new NearCapSettings { Warning = 0.5, Critical = 0.9 })], Window);
        var after = rebuilt.Evaluate(Z.Snap(90, Z.Cg("/a", 97, 100))).Findings.Single();
        Assert.Equal(firstSeen, after.Since);
        Assert.Equal(Z.Snap(0).TakenAt, after.Since);
        Assert.Equal(7, rebuilt.History.Polls);
    }

    [Fact]
    public void A_for_duration_already_served_in_history_is_not_served_again()
    {
        // Under the old rules the zone was never near its cap; under the new ones (warning at 50 %, for 60 s)
        // it has been for 75 s of kept history, so the very next poll fires instead of waiting 60 s more.
        var engine = Engine(new NearCapSettings());
        for (var t = 0; t <= 75; t += 15)
        {
            Assert.Empty(engine.Evaluate(Z.Snap(t, Z.Cg("/a", 60, 100))).Findings);
        }

        var rebuilt = engine.Rebuild([new NearCapRule(new NearCapSettings { Warning = 0.5, Critical = 0.9, For = TimeSpan.FromSeconds(60) })], Window);
        var f = rebuilt.Evaluate(Z.Snap(90, Z.Cg("/a", 60, 100))).Findings.Single();
        Assert.Equal(LwpWatch.Core.Model.Severity.Warning, f.Severity);
    }

    [Fact]
    public void Findings_the_new_rules_no_longer_raise_are_gone()
    {
        var engine = Engine(new NearCapSettings());
        engine.Evaluate(Z.Snap(0, Z.Cg("/a", 90, 100)));
        var rebuilt = engine.Rebuild([new NearCapRule(new NearCapSettings { Warning = 0.95, Critical = 0.99 })], Window);
        Assert.Empty(rebuilt.Evaluate(Z.Snap(15, Z.Cg("/a", 90, 100))).Findings);
    }

    [Fact]
    public void A_service_stuck_before_the_reload_is_still_stuck_since_then()
    {
        // No manager timestamp: only the kept history says how long the unit has been activating.
        var svc = Snap.Unit("/system.slice/x.service", "x.service");
        var engine = new RuleEngine([new ServiceStuckRule(new ServiceStuckSettings(), new CapStarvationSettings())], Window);
        for (var t = 0; t <= 240; t += 60)
        {
            Assert.Empty(engine.Evaluate(Snap.At(t, [Snap.Cgroup("/system.slice/x.service", 5, 100)], [svc])).Findings);
        }

        var rebuilt = engine.Rebuild([new ServiceStuckRule(new ServiceStuckSettings(), new CapStarvationSettings())], Window);
        var f = rebuilt.Evaluate(Snap.At(300, [Snap.Cgroup("/system.slice/x.service", 5, 100)], [svc])).Findings.Single();
        // Fires at 300 s only because the replay told the new rule the unit was first seen activating at 0 s.
        Assert.Equal("service-stuck", f.Rule);
    }
}
