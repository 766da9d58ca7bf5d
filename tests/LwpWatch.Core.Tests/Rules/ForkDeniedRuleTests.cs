using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class ForkDeniedRuleTests
{
    private static List<Finding> Eval(ForkDeniedRule rule, double t, long denials, long used = 40, long? cap = 40) =>
        rule.Evaluate(RuleContext.Single(Z.Snap(t, Z.Cg("/a", used, cap, denials)))).ToList();

    [Fact]
    public void First_sight_of_denials_at_the_cap_is_critical_below_it_a_warning()
    {
        Assert.Equal(Severity.Critical, Eval(new ForkDeniedRule(new ForkDeniedSettings()), 0, 61).Single().Severity);
        Assert.Equal(Severity.Warning, Eval(new ForkDeniedRule(new ForkDeniedSettings()), 0, 61, used: 2).Single().Severity);
        Assert.Empty(Eval(new ForkDeniedRule(new ForkDeniedSettings()), 0, 0));
    }

    [Fact]
    public void A_rise_fires_critical_with_the_rise_and_a_stable_since_and_clears_after_the_window()
    {
        var rule = new ForkDeniedRule(new ForkDeniedSettings { Window = TimeSpan.FromMinutes(5) });
        Assert.Empty(Eval(rule, 0, 0));
        var f1 = Eval(rule, 15, 10).Single();
        Assert.Equal(Severity.Critical, f1.Severity);
        Assert.Equal(10L, f1.Evidence.Integer("denialsInEpisode"));
        var f2 = Eval(rule, 30, 25).Single();
        Assert.Equal(25L, f2.Evidence.Integer("denialsInEpisode"));
        Assert.Equal(f1.Since, f2.Since);
        Assert.Single(Eval(rule, 300, 25)); // 285 s after the last rise: still in the window
        Assert.Empty(Eval(rule, 330, 25)); // 300 s after: cleared
    }

    [Fact]
    public void A_counter_that_goes_down_means_a_new_cgroup_reset_not_an_alert()
    {
        var rule = new ForkDeniedRule(new ForkDeniedSettings());
        Assert.Empty(Eval(rule, 0, 0));
        Assert.Single(Eval(rule, 15, 50));
        Assert.Empty(Eval(rule, 30, 3)); // recreated: baseline 3
        Assert.Empty(Eval(rule, 45, 3));
        Assert.Equal(2L, Eval(rule, 60, 5).Single().Evidence["denialsInEpisode"]);
    }

    [Fact]
    public void Unlimited_zones_are_not_blamed() =>
        Assert.Empty(Eval(new ForkDeniedRule(new ForkDeniedSettings()), 0, 99, cap: null));
}
