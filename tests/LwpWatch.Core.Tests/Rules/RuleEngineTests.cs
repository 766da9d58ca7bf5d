using System.Runtime.CompilerServices;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class RuleEngineTests
{
    private sealed class Boom : IRule
    {
        public string Name => "boom";

        public IEnumerable<Finding> Evaluate(RuleContext context) => throw new InvalidOperationException("bad rule");
    }

    [Fact]
    public void Since_stays_at_the_first_poll_while_a_finding_keeps_firing_and_restarts_after_it_clears()
    {
        var engine = new RuleEngine([new NearCapRule(new NearCapSettings())], TimeSpan.FromMinutes(30));
        Assert.Equal(Z.T0, engine.Evaluate(Z.Snap(0, Z.Cg("/a", 99, 100))).Findings.Single().Since);
        Assert.Equal(Z.T0, engine.Evaluate(Z.Snap(15, Z.Cg("/a", 99, 100))).Findings.Single().Since);
        Assert.Empty(engine.Evaluate(Z.Snap(30, Z.Cg("/a", 10, 100))).Findings);
        Assert.Equal(Z.T0.AddSeconds(45), engine.Evaluate(Z.Snap(45, Z.Cg("/a", 99, 100))).Findings.Single().Since);
    }

    [Fact]
    public void Keeps_the_last_context_with_the_poll_before_for_explain_by_default()
    {
        var engine = new RuleEngine([new NearCapRule(new NearCapSettings())], TimeSpan.FromMinutes(30));
        var first = Z.Snap(0, Z.Cg("/a", 1, 100));
        var second = Z.Snap(15, Z.Cg("/a", 2, 100));
        engine.Evaluate(first);
        engine.Evaluate(second);
        Assert.Same(first, engine.LastContext!.Previous);
        Assert.Same(second, engine.LastContext.Current);
    }

    [Fact]
    public void Without_the_last_context_the_poll_before_last_is_not_kept_alive_and_a_rebuild_keeps_the_setting()
    {
        var engine = new RuleEngine([new NearCapRule(new NearCapSettings())], TimeSpan.FromMinutes(30)) { KeepLastContext = false };
        var before = EvaluateTwoAndForgetTheFirst(engine);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(before.IsAlive, "the poll before last (every zone of it) is still reachable from the engine");
        Assert.Null(engine.LastContext);

        // Rules still see the previous poll while they run: host-limits counts forkfail_noproc against it.
        var rebuilt = engine.Rebuild([new HostLimitsRule(new HostLimitsSettings())], TimeSpan.FromMinutes(30));
        Assert.False(rebuilt.KeepLastContext);
        static Zone Full(long failures) => Z.Cg("/a", 2, 100) with { Pressure = new ZonePressure { ProcessTableFailures = failures } };
        Assert.Empty(rebuilt.Evaluate(Z.Snap(30, Full(1))).Findings);
        var f = Assert.Single(rebuilt.Evaluate(Z.Snap(45, Full(4))).Findings);
        Assert.Equal(3L, f.Evidence.Integer("forkfailNoproc"));
        Assert.Null(rebuilt.LastContext);

        var on = new RuleEngine([new NearCapRule(new NearCapSettings())], TimeSpan.FromMinutes(30));
        on.Evaluate(Z.Snap(0, Z.Cg("/a", 1, 100)));
        on.KeepLastContext = false;
        Assert.Null(on.LastContext); // turned off, dropped at once
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference EvaluateTwoAndForgetTheFirst(RuleEngine engine)
    {
        var first = Z.Snap(0, Z.Cg("/a", 1, 100));
        engine.Evaluate(first);
        engine.Evaluate(Z.Snap(15, Z.Cg("/a", 2, 100)));
        return new WeakReference(first);
    }

    [Fact]
    public void Keeps_zone_samples_only_as_far_back_as_the_rules_read_and_polls_for_all_of_poll_history()
    {
        IRule forecast = new ExhaustionForecastRule(new ExhaustionForecastSettings { Window = TimeSpan.FromMinutes(2) });
        IRule nearCap = new NearCapRule(new NearCapSettings());
        IRule offForecast = new ExhaustionForecastRule(new ExhaustionForecastSettings { Enabled = false, Window = TimeSpan.FromMinutes(20) });
        var cases = new (IRule[] Rules, TimeSpan PollHistory, int Polls, int Samples)[]
        {
            ([nearCap, forecast], TimeSpan.FromMinutes(30), 40, 9), // 2 minutes of 15 s polls, both ends in
            ([nearCap, forecast], TimeSpan.FromMinutes(1), 5, 5),   // poll.history still bounds both
            ([nearCap], TimeSpan.FromMinutes(30), 40, 1),           // no rule looks back: this poll's sample only
            ([nearCap, offForecast], TimeSpan.FromMinutes(30), 40, 1),
        };
        foreach (var (rules, pollHistory, polls, samples) in cases)
        {
            var engine = new RuleEngine(rules, pollHistory, sampleWindow: RuleEngine.Kept(rules, pollHistory));
            for (var i = 0; i < 40; i++)
            {
                engine.Evaluate(Z.Snap(i * 15, Z.Cg("/a", i, 1000)));
            }

            Assert.Equal(polls, engine.History.Polls);
            Assert.Equal(samples, engine.History.Of("/a").Length);
            Assert.Equal(39, engine.History.Of("/a")[^1].Lwps);
        }

        // The shipped rules: exhaustion-forecast's 10 minutes is the longest window.
        Assert.Equal(TimeSpan.FromMinutes(10), RuleEngine.Kept(RuleFactory.Create(new LwpWatch.Core.Options.RulesSettings()), TimeSpan.FromMinutes(30)));
    }

    [Fact]
    public void A_throwing_rule_is_reported_and_makes_the_status_unknown_not_a_crash()
    {
        var engine = new RuleEngine([new Boom(), new NearCapRule(new NearCapSettings())], TimeSpan.FromMinutes(30));
        var o = engine.Evaluate(Z.Snap(0, Z.Cg("/a", 90, 100)));
        Assert.Contains("rule boom failed: InvalidOperationException: bad rule", o.RuleErrors);
        Assert.Equal(Severity.Warning, o.Findings.Single().Severity);
        Assert.Equal(CheckStatus.Unknown, o.Status);
    }

    [Fact]
    public void Status_orders_critical_over_unknown_over_warning_over_ok()
    {
        var engine = new RuleEngine([new NearCapRule(new NearCapSettings())], TimeSpan.FromMinutes(30));
        Assert.Equal(CheckStatus.Ok, engine.Evaluate(Z.Snap(0, Z.Cg("/a", 1, 100))).Status);
        Assert.Equal(CheckStatus.Warning, engine.Evaluate(Z.Snap(1, Z.Cg("/a", 90, 100))).Status);
        var failed = Z.Snap(2, Z.Cg("/a", 90, 100)) with { Collectors = [new CollectorStatus("x", false, TimeSpan.Zero, "e")] };
        Assert.Equal(CheckStatus.Unknown, engine.Evaluate(failed).Status);
        var crit = Z.Snap(3, Z.Cg("/a", 100, 100)) with { Collectors = [new CollectorStatus("x", false, TimeSpan.Zero, "e")] };
        Assert.Equal(CheckStatus.Critical, engine.Evaluate(crit).Status);
    }

    [Fact]
    public void History_is_bounded_by_the_window_and_carried_across_a_clock_step_back()
    {
        var engine = new RuleEngine([], TimeSpan.FromSeconds(60));
        for (var i = 0; i < 10; i++)
        {
            engine.Evaluate(Z.Snap(i * 15, Z.Cg("/a", i, 100)));
        }

        Assert.Equal(5, engine.History.Polls); // 75..135 s: 60 s window + the current poll
        engine.Evaluate(Z.Snap(10, Z.Cg("/a", 10, 100)));

        // The clock went back 125 s: the kept polls move back by that plus one interval (the time that passed), so
        // the series reads on 15 s apart up to now instead of starting again.
        var times = new List<double>();
        var lwps = new List<long?>();
        foreach (var s in engine.History.Of("/a"))
        {
            times.Add((s.At - Z.T0).TotalSeconds);
            lwps.Add(s.Lwps);
        }

        Assert.Equal([-50.0, -35, -20, -5, 10], times);
        Assert.Equal([6L, 7L, 8L, 9L, 10L], lwps);
        Assert.Equal(5, engine.History.Polls);
    }

    [Fact]
    public void Collector_health_reports_each_failed_collector()
    {
        var s = Z.Snap(0) with { Collectors = [new CollectorStatus("svcs", false, TimeSpan.FromSeconds(8), "timed out after 8s"), new CollectorStatus("kstat", true, TimeSpan.Zero)] };
        var f = new CollectorHealthRule().Evaluate(RuleContext.Single(s)).Single();
        Assert.Equal("svcs", f.Service);
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("timed out", f.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void With_monotonic_readings_a_step_forward_is_not_time_that_passed()
    {
        // A unit activating for 4 minutes, then the wall clock steps 2 hours ahead while 15 s really pass: it has
        // been stuck 4m15s, not 2 hours (service-stuck's threshold is 5 minutes).
        var engine = new RuleEngine([new ServiceStuckRule(new ServiceStuckSettings(), new CapStarvationSettings())], TimeSpan.FromMinutes(30));
        var svc = Snap.Unit("/system.slice/x.service", "x.service");
        Snapshot Poll(double wall, double mono) => Snap.At(wall, [Snap.Cgroup("/system.slice/x.service", 5, 100)], [svc]) with { Monotonic = TimeSpan.FromSeconds(1000 + mono) };
        for (var t = 0; t <= 240; t += 15)
        {
            Assert.Empty(engine.Evaluate(Poll(t, t)).Findings);
        }

        Assert.Empty(engine.Evaluate(Poll(7200 + 255, 255)).Findings);
        Assert.Equal(TimeSpan.FromHours(2), engine.LastContext!.ClockStep);
        var fired = engine.Evaluate(Poll(7200 + 300, 300)).Findings.Single();
        Assert.Equal(300L, fired.Evidence.Integer("stuckSeconds"));

        // Without monotonic readings the same forward step is indistinguishable from two hours between polls.
        var blind = new RuleEngine([new ServiceStuckRule(new ServiceStuckSettings(), new CapStarvationSettings())], TimeSpan.FromMinutes(30));
        for (var t = 0; t <= 240; t += 15)
        {
            blind.Evaluate(Poll(t, t) with { Monotonic = null });
        }

        Assert.Single(blind.Evaluate(Poll(7200 + 255, 255) with { Monotonic = null }).Findings);
    }

    [Fact]
    public void With_monotonic_readings_a_step_back_is_measured_exactly_and_jitter_is_no_step()
    {
        var engine = new RuleEngine([], TimeSpan.FromMinutes(30));
        engine.Evaluate(Z.Snap(0, Z.Cg("/a", 1, 10)) with { Monotonic = TimeSpan.FromSeconds(50) });
        engine.Evaluate(Z.Snap(15.4, Z.Cg("/a", 2, 10)) with { Monotonic = TimeSpan.FromSeconds(65) });
        Assert.Equal(TimeSpan.Zero, engine.LastContext!.ClockStep); // 0.4 s apart: jitter, not a step
        engine.Evaluate(Z.Snap(-570, Z.Cg("/a", 3, 10)) with { Monotonic = TimeSpan.FromSeconds(80) });
        Assert.Equal(TimeSpan.FromSeconds(-600.4), engine.LastContext!.ClockStep);
        Assert.Equal(TimeSpan.FromSeconds(15), engine.History.Of("/a")[^1].At - engine.History.Of("/a")[^2].At);
    }
}
