using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using Xunit;

namespace LwpWatch.Core.Tests.Rules;

public class ExhaustionForecastRuleTests
{
    private static readonly ExhaustionForecastSettings Settings = new();

    /// <summary>One poll every 30 s with the given usages (cap 1000).</summary>
    private static List<Finding> Run(params long[] usage) => Run(usage, null);

    private static List<Finding> Run(long[] usage, long[]? denials)
    {
        var polls = usage.Select((u, i) => Snap.At(i * 30, [Snap.Cgroup("/app.slice", u, 1000, denials?[i] ?? 0)])).ToArray();
        return Snap.Run(new ExhaustionForecastRule(Settings), polls);
    }

    [Fact]
    public void Linear_growth_fires_with_time_to_cap()
    {
        // +20 per 30 s = 40/min; at 800 the cap is 200 away = 5 min
        var f = Assert.Single(Run(640, 660, 680, 700, 720, 740, 760, 780, 800));
        Assert.Equal(300L, f.Evidence.Integer("secondsToCap"));
        Assert.Equal(40.0, f.Evidence.Real("slopePerMinute"));
        Assert.Contains("in about 5m00s", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Slow_growth_beyond_the_horizon_does_not_fire()
    {
        Assert.Empty(Run(100, 101, 102, 103, 104, 105, 106, 107));
    }

    [Fact]
    public void Plateau_does_not_fire() => Assert.Empty(Run(700, 700, 700, 700, 700, 700, 700, 700));

    [Fact]
    public void Falling_does_not_fire() => Assert.Empty(Run(900, 880, 860, 840, 820, 800, 780));

    [Fact]
    public void Noise_does_not_fire() => Assert.Empty(Run(700, 900, 650, 880, 690, 910, 640, 870, 700));

    [Fact]
    public void Growth_then_plateau_stops_firing()
    {
        Assert.Empty(Run(200, 400, 600, 800, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900));
    }

    [Fact]
    public void Reset_drop_starts_the_series_again()
    {
        // A restart from 950 to 10 then slow growth: neither the fall nor the jump across the reset is a trend.
        Assert.Empty(Run(800, 850, 900, 950, 10, 11, 12, 13, 14, 15));
        // ...but a fast climb after the reset is seen on its own.
        Assert.Single(Run(950, 960, 10, 150, 290, 430, 570, 710));
    }

    [Fact]
    public void Denial_counter_reset_starts_the_series_again()
    {
        // Usage did not drop by half, but the counter going down says the zone was recreated: too few samples after it.
        Assert.Empty(Run([600, 650, 700, 750, 520, 560, 600], [5, 9, 14, 20, 0, 0, 0]));
    }

    [Fact]
    public void Needs_min_samples_and_skips_zones_at_cap_or_unlimited()
    {
        Assert.Empty(Run(700, 750, 800, 850));
        var polls = Enumerable.Range(0, 8).Select(i => Snap.At(i * 30, [Snap.Cgroup("/full", 1000, 1000), Snap.Cgroup("/nolimit", 100 * i, null)])).ToArray();
        Assert.Empty(Snap.Run(new ExhaustionForecastRule(Settings), polls));
    }

    [Fact]
    public void Fit_is_exact_on_a_line()
    {
        var fit = ExhaustionForecastRule.Fit([0, 1, 2, 3], [1, 3, 5, 7]);
        Assert.Equal((1.0, 2.0, 1.0), fit);
        Assert.Null(ExhaustionForecastRule.Fit([5, 5, 5], [1, 2, 3]));
    }
}

public sealed class ForecastSignificanceTests
{
    [Theory]
    [InlineData(0.70, 5, false)] // passes the R² bar, but five jittery points prove no trend
    [InlineData(0.95, 5, false)]
    [InlineData(0.98, 5, true)]
    [InlineData(0.70, 20, true)]
    [InlineData(0.10, 40, false)]
    [InlineData(1.00, 3, true)]
    [InlineData(0.99, 2, false)]
    public void Slope_must_be_significant_for_its_sample_size(double r2, int n, bool expected) =>
        Assert.Equal(expected, LwpWatch.Core.Rules.ExhaustionForecastRule.SlopeIsSignificant(r2, n));

    [Fact]
    public void Jitter_around_a_level_on_many_zones_gives_almost_no_forecasts()
    {
        // 1,000 zones at ~85% of a 100 cap with +-3 jitter, 20 polls 15 s apart: the load test's pattern.
        var rng = new Random(7);
        var engine = new LwpWatch.Core.Rules.RuleEngine([new LwpWatch.Core.Rules.ExhaustionForecastRule(new LwpWatch.Core.Rules.ExhaustionForecastSettings())], TimeSpan.FromMinutes(30));
        var fired = new HashSet<string>();
        for (var poll = 0; poll < 20; poll++)
        {
            var zones = Enumerable.Range(0, 1000).Select(i => Z.Cg($"/z{i}", 85 + rng.Next(-3, 4), 100)).ToArray();
            foreach (var f in engine.Evaluate(Z.Snap(poll * 15, zones)).Findings)
            {
                fired.Add(f.ZoneId);
            }
        }

        Assert.True(fired.Count <= 10, $"{fired.Count} of 1000 jittering zones got a forecast");
    }
}
