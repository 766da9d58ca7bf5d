using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class NearCapRuleTests
{
    private static List<Finding> Eval(NearCapRule rule, double t, long used, long? cap = 100) =>
        rule.Evaluate(RuleContext.Single(Z.Snap(t, Z.Cg("/a", used, cap)))).ToList();

    [Theory]
    [InlineData(84, null)]
    [InlineData(85, Severity.Warning)]
    [InlineData(94, Severity.Warning)]
    [InlineData(95, Severity.Critical)]
    [InlineData(130, Severity.Critical)] // pids.max can be lowered below pids.current
    public void Thresholds(long used, Severity? expected)
    {
        var f = Eval(new NearCapRule(new NearCapSettings()), 0, used);
        Assert.Equal(expected, f.SingleOrDefault()?.Severity);
    }

    [Fact]
    public void A_value_hovering_at_the_threshold_does_not_flap()
    {
        var rule = new NearCapRule(new NearCapSettings { Warning = 0.85, Critical = 0.95, Hysteresis = 0.03 });
        long[] series = [95, 94, 96, 93, 95, 92];
        var levels = series.Select((u, i) => Eval(rule, i * 15, u).Single().Severity).ToList();
        Assert.All(levels, l => Assert.Equal(Severity.Critical, l));
        Assert.Equal(Severity.Warning, Eval(rule, 100, 91).Single().Severity);
        Assert.Equal(Severity.Warning, Eval(rule, 115, 83).Single().Severity);
        Assert.Empty(Eval(rule, 130, 81));
    }

    [Fact]
    public void For_duration_delays_firing_and_resets_when_the_condition_breaks()
    {
        var rule = new NearCapRule(new NearCapSettings { For = TimeSpan.FromSeconds(60) });
        Assert.Empty(Eval(rule, 0, 96));
        Assert.Empty(Eval(rule, 30, 96));
        Assert.Equal(Severity.Critical, Eval(rule, 60, 96).Single().Severity);
        Assert.Empty(Eval(rule, 75, 50));
        Assert.Empty(Eval(rule, 90, 96));
    }

    [Fact]
    public void Unlimited_or_unknown_zones_never_fire()
    {
        var rule = new NearCapRule(new NearCapSettings());
        Assert.Empty(Eval(rule, 0, 1_000_000, cap: null));
        Assert.Empty(rule.Evaluate(RuleContext.Single(Z.Snap(0, Z.Cg("/a", null, 100)))));
    }

    [Fact]
    public void Finding_carries_evidence_and_a_computed_fix()
    {
        var rule = new NearCapRule(new NearCapSettings());
        var z = Z.Cg("/system.slice/web.service", 398, 400, unit: "web.service");
        var owner = new ServiceState { ZoneId = z.Id, Name = "web.service", State = "active", ControlGroup = z.Id };
        var f = rule.Evaluate(RuleContext.Single(Z.Snap(0, z) with { Services = [owner] })).Single();
        Assert.Equal(398L, f.Evidence.Integer("lwps"));
        Assert.Equal(400L, f.Evidence.Integer("lwpLimit"));
        Assert.Equal(600L, f.Evidence.Integer("suggestedLimit"));
        Assert.Contains("systemctl set-property web.service TasksMax=600", f.Hints.Render());
        Assert.Contains("systemctl set-property --runtime web.service TasksMax=600", f.Hints.Render());
        Assert.DoesNotContain(f.Hints.Render(), h => h.StartsWith("echo ", StringComparison.Ordinal)); // a restart would undo it
        Assert.Contains("398 of 400", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Disabled_rule_is_silent() =>
        Assert.Empty(Eval(new NearCapRule(new NearCapSettings { Enabled = false }), 0, 100));
}
