using CsCheck;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>
/// The one sizing (issue 14): demand since the zone started (what it holds or held, pids.peak included, plus the
/// whole refusal counter up to the retry bound), times the headroom, and never a cap that leaves the demand at or
/// above near-cap's clearing ratio.
/// </summary>
public sealed class CapSizingTests
{
    private const string Id = "/system.slice/app.service";

    /// <summary>Near-cap stops warning below warning - hysteresis (0.85 - 0.03 by default).</summary>
    private static readonly double Clears = new NearCapSettings().Warning - new NearCapSettings().Hysteresis;

    [Theory]
    [InlineData(398, 400, 0, 0, 600)]         // 400 x 1.5
    [InlineData(398, 400, 0, 1734, 1800)]     // refusals count up to twice the cap: (400 + 800) x 1.5
    [InlineData(20, 20, 0, 31, 80)]           // the unit that needs 51 tasks: 51 x 1.5 = 77 -> 80 (the old 60 left it at 85%)
    [InlineData(40, 40, 40, 61, 200)]         // 101 x 1.5 = 152 -> 200
    [InlineData(5, 10, 61, 0, 100)]           // pids.peak counts: 61 x 1.5 = 92 -> 100
    [InlineData(9000, 10000, 0, 0, 15000)]
    public void Suggested_limit_is_demand_since_start_times_headroom_rounded(long used, long cap, long peak, long refused, long expected) =>
        Assert.Equal(expected, CapSizing.Default.Suggest(Z.Cg("/a", used, cap, denials: refused) with { Peak = peak == 0 ? null : peak }));

    [Fact]
    public void A_low_headroom_still_clears_near_cap()
    {
        // headroom 1.0 would suggest exactly the demand: 51/51 = 100% warns; 51/70 = 73% does not.
        var sizing = CapSizing.From(new RulesSettings
        {
            NearCap = new NearCapSettings { Headroom = 1.0 },
            ForkDenied = new ForkDeniedSettings { Headroom = 1.0 },
            CapStarvation = new CapStarvationSettings { Headroom = 1.0 },
        });
        var n = sizing.Suggest(Z.Cg("/a", 20, 20, denials: 31));
        Assert.True(51.0 / n < Clears, $"N={n}");
        Assert.Equal(70, n);
    }

    /// <summary>
    /// For any history of a unit that needs D tasks at cap C (each missing task refused once when it starts, any
    /// number of retries after, LwpWatch's first sample any time after the start, so refusals before it): every cap
    /// any rule suggests is the same number, and once applied (the unit restarted under it: a new cgroup, counter 0)
    /// the unit holds all D tasks and no rule warns about it. D up to 3C: the refusals the counter can show as
    /// missing tasks (beyond, see <see cref="A_demand_beyond_what_the_counter_shows_fits_after_few_applications"/>).
    /// </summary>
    [Fact]
    public void Any_history_one_suggestion_and_applying_it_clears_every_rule()
    {
        var history = from cap in Gen.Long[1, 3000]
                      from need in Gen.Long[1, 3 * cap]
                      from retries in Gen.Long[0, 20 * cap]
                      from firstLook in Gen.Int[0, 600]
                      from polls in Gen.Int[1, 12]
                      from peakKnown in Gen.Bool
                      select (cap, need, retries, firstLook, polls, peakKnown);
        history.Sample(h =>
        {
            var (cap, need, retries, firstLook, polls, peakKnown) = h;
            var engine = Engine();
            var start = Z.T0.AddSeconds(-firstLook - 1);
            var missing = Math.Max(need - cap, 0);
            var suggested = new HashSet<long>();
            var t = 0.0;
            for (var i = 0; i < polls; i++, t += 15)
            {
                // Retries spread over the unit's life: some before LwpWatch's first look, the rest while it watches.
                var life = firstLook + 1 + t;
                var refused = missing == 0 ? 0 : missing + (long)(retries * Math.Min(1.0, life / (firstLook + 1 + (15.0 * polls))));
                var o = engine.Evaluate(Unit(t, cap, Math.Min(need, cap), refused, start, peakKnown, stuck: need > cap));
                var here = o.Findings.Where(f => f.ZoneId == Id && f.SuggestedLimit is not null).Select(f => f.SuggestedLimit!.Value).Distinct().ToList();
                Assert.True(here.Count <= 1, $"one poll, several caps: {string.Join(", ", here)}");
                suggested.UnionWith(here);
            }

            if (suggested.Count == 0)
            {
                Assert.True(need / (double)cap < new NearCapSettings().Warning, $"{need}/{cap}: nothing suggested for a zone at the warning");
                return;
            }

            var n = suggested.Max();
            foreach (var s in suggested)
            {
                Assert.True(need / (double)s < Clears, $"need {need}, cap {cap}: suggested {s} leaves {need * 100.0 / s:0.#}%");
            }

            // Applied: set-property + restart, a new cgroup (pids.events starts at 0) that now holds all it needs.
            for (var i = 0; i < 24; i++, t += 15)
            {
                var o = engine.Evaluate(Unit(t, n, need, 0, Z.T0.AddSeconds(t - (15 * i)), peakKnown, stuck: false));
                if (i >= 20)
                {
                    Assert.DoesNotContain(o.Findings, f => f.ZoneId == Id && f.Rule is RuleIds.NearCap or RuleIds.CapStarvation or RuleIds.ForkDenied or RuleIds.ExhaustionForecast);
                }
            }
        }, iter: 200);
    }

    /// <summary>
    /// A program that retries one creation at a time says nothing about how many it wants: a unit needing up to 50x
    /// its cap fits after at most three applied hints, each one at least quadrupling the cap when the demand is beyond
    /// what the counter shows.
    /// </summary>
    [Fact]
    public void A_demand_beyond_what_the_counter_shows_fits_after_few_applications()
    {
        Gen.Select(Gen.Long[1, 500], Gen.Long[1, 50]).Sample((cap0, factor) =>
        {
            long need = cap0 * factor, cap = cap0;
            for (var round = 0; round < 3 && need / (double)cap >= Clears; round++)
            {
                var n = CapSizing.Default.Suggest(Z.Cg(Id, cap, cap, denials: need - cap) with { Peak = cap });
                // Beyond the retry bound the counter shows only 2x the cap: the cap must still at least multiply.
                Assert.True(need - cap > CapSizing.RetryBound * cap ? n >= 4 * cap : n > cap, $"round {round}: need {need}, {cap} -> {n}");
                cap = n;
            }

            Assert.True(need / (double)cap < Clears, $"need {need} from cap {cap0}: still {need}/{cap} after three hints");
        }, iter: 500);
    }

    [Fact]
    public void A_retry_storm_is_bounded()
    {
        // nspawn's spawn retried 31 threads every 200 ms for minutes: the counter says 11656, the cap 20.
        var n = CapSizing.Default.Suggest(Z.Cg("/a", 20, 20, denials: 11656));
        Assert.Equal(90, n); // (20 + 2 x 20) x 1.5
    }

    [Fact]
    public void A_provisioning_illumos_zone_gets_the_zfs_mount_floor_from_every_rule()
    {
        // 290/300, refusing, filesystem/local waiting and vmadm provisioning: demand alone says 500, zfs mount -va needs 625.
        const string uuid = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";
        var engine = Engine();
        RuleOutcome o = null!;
        for (var t = 0; t <= 120; t += 15)
        {
            var zone = new Zone { Id = uuid, Kind = ZoneKind.IllumosZone, Name = "web01", Lwps = 300, LwpLimit = 300, Denials = t / 15 };
            o = engine.Evaluate(Z.Snap(t, zone) with
            {
                Platform = "illumos",
                Services = [new ServiceState { ZoneId = uuid, Name = "svc:/system/filesystem/local:default", State = "offline", NextState = "online", InTransition = true, StateSince = Z.T0 }],
                Provisions = [new Provision { ZoneId = uuid, VmState = "provisioning", MarkerPresent = true, MarkerSince = Z.T0, Deadline = Z.T0.AddSeconds(300) }],
            });
        }

        var rules = o.Findings.Where(f => f.SuggestedLimit is not null).Select(f => f.Rule).ToHashSet();
        Assert.Contains(RuleIds.NearCap, rules);
        Assert.Contains(RuleIds.CapStarvation, rules);
        Assert.Equal([CapSizing.TritonZfsMountLwps], o.Findings.Where(f => f.SuggestedLimit is not null).Select(f => f.SuggestedLimit!.Value).Distinct());
        Assert.Equal(500, CapSizing.Default.Suggest(o.Snapshot.Zones[0])); // (300 + 8 refused) x 1.5 -> 500 without the floor
    }

    private static RuleEngine Engine() => new(RuleFactory.Create(new RulesSettings()), TimeSpan.FromMinutes(30));

    private static Snapshot Unit(double t, long cap, long used, long refused, DateTimeOffset start, bool peakKnown, bool stuck) =>
        Z.Snap(t, Z.Cg(Id, used, cap, denials: refused, unit: "app.service") with { Peak = peakKnown ? used : null }) with
        {
            Services =
            [
                new ServiceState
                {
                    ZoneId = Id, Name = "app.service", State = stuck ? "activating" : "active", NextState = stuck ? "start" : "running",
                    InTransition = stuck, StateSince = start, Tasks = used, TasksLimit = cap, ControlGroup = Id,
                },
            ],
        };
}
