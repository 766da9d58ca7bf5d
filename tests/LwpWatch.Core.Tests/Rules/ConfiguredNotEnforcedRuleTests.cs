using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>
/// The zone XML says 800 (vmadm update max_lwps=800 ran), the kernel still enforces 400 (the cap the zone
/// booted with, seen in kstat caps:::nprocs_zone_&lt;id&gt; value) because vmadm's live prctl failed at the cap.
/// </summary>
public sealed class ConfiguredNotEnforcedRuleTests
{
    private static Zone Zone(long lwps, long configured = 800, long? boot = 400, long denials = 0, long processes = 7) =>
        Snap.Illumos(Snap.Uuid, "delegate-test-7", lwps, configured, denials) with { ProcessLimit = boot, Processes = processes };

    private static Snapshot At(double t, Zone z) => Snap.At(t, [z],
        holders: [new ThreadHolder(Snap.Uuid, 20990, "zfs", "/usr/sbin/zfs mount -a", 183), new ThreadHolder(Snap.Uuid, 20991, "zfs", "/usr/sbin/zfs mount zones/x/data", 183)],
        platform: "illumos");

    private static List<Finding> Run(params Snapshot[] polls) => Snap.Run(new ConfiguredNotEnforcedRule(new ConfiguredNotEnforcedSettings()), polls);

    [Fact]
    public void Rising_denials_at_the_boot_cap_far_below_the_configured_cap_fire_with_the_live_fix_first()
    {
        var f = Assert.Single(Run(At(0, Zone(396, denials: 10)), At(30, Zone(398, denials: 60))));
        Assert.Equal(RuleIds.ConfiguredNotEnforced, f.Rule);
        Assert.Equal(Severity.Critical, f.Severity);
        Assert.Equal((800L, 400L, 50L, false), (f.Figures.Integer("configuredLimit")!.Value, f.Figures.Integer("enforcedLimit")!.Value, f.Figures.Integer("denialsInWindow")!.Value, f.Figures.Flag("atEnforcedCap")!.Value));
        Assert.Equal(800L, f.SuggestedLimit);
        Assert.Contains("configured zone.max-lwps is 800 but the kernel still enforces 400", f.Summary, StringComparison.Ordinal);
        Assert.Contains("delegate-test-7 (" + Snap.Uuid + ")", f.Summary, StringComparison.Ordinal);
        // Two LWPs are free: prctl can put its agent in the zone, so the live fix comes first.
        Assert.Equal(
            [$"prctl -n zone.max-lwps -v 800 -t privileged -r -i zone {Snap.Uuid}", $"prctl -n zone.max-processes -v 800 -t privileged -r -i zone {Snap.Uuid}", $"vmadm reboot {Snap.Uuid}"],
            f.Hints.Render().ToArray());
        Assert.Equal([HintEffect.Live, HintEffect.Live, HintEffect.Live], f.Hints.Select(h => h.Effect));
        Assert.All(f.Hints, h => Assert.Equal((RuleIds.ConfiguredNotEnforced, Snap.Uuid), (h.Rule, h.ZoneId)));
        Assert.DoesNotContain(f.Hints.Render(), h => h.Contains("delegate-test-7", StringComparison.Ordinal));
    }

    [Fact]
    public void Exactly_at_the_enforced_cap_the_first_hint_is_not_a_prctl_and_the_holders_are_named()
    {
        var f = Assert.Single(Run(At(0, Zone(400, denials: 10)), At(30, Zone(400, denials: 90))));
        Assert.True(f.Figures.Flag("atEnforcedCap"));
        Assert.Equal($"vmadm reboot {Snap.Uuid}", f.Hints[0].Render());
        Assert.StartsWith("prctl ", f.Hints[1].Render(), StringComparison.Ordinal);
        var notes = string.Join("\n", f.Notes);
        Assert.Contains("exactly at its cap (400/400)", notes, StringComparison.Ordinal);
        Assert.Contains("pid 20990 zfs (183 LWPs)", notes, StringComparison.Ordinal);
        Assert.Contains("vmadm only logged it", notes, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(398, 800, 400, 60, 60)]  // a counter seen once: its age is unknown
    [InlineData(398, 800, 400, 60, 60, true)] // not rising between polls
    [InlineData(760, 800, 400, 10, 60)]  // near the configured cap: that cap is what bites (near-cap's business)
    [InlineData(398, 400, 400, 10, 60)]  // configured = enforced: an ordinary cap, fork-denied's business
    [InlineData(200, 800, 400, 10, 60)]  // far below the boot cap too: something else refuses (a project or task cap)
    public void It_stays_quiet_unless_each_condition_holds(long lwps, long configured, long boot, long d0, long d1, bool flat = false)
    {
        var polls = flat
            ? new[] { At(0, Zone(lwps, configured, boot, d1)), At(30, Zone(lwps, configured, boot, d1)) }
            : d0 == d1 ? [At(0, Zone(lwps, configured, boot, d1))] : [At(0, Zone(lwps, configured, boot, d0)), At(30, Zone(lwps, configured, boot, d1))];
        Assert.Empty(Run(polls));
    }

    [Fact]
    public void An_unknown_boot_cap_or_a_linux_cgroup_is_never_blamed()
    {
        Assert.Empty(Run(At(0, Zone(398, boot: null, denials: 10)), At(30, Zone(398, boot: null, denials: 60))));
        var cg = Snap.Cgroup("/a", 398, 800, 10) with { ProcessLimit = 400 };
        Assert.Empty(Snap.Run(new ConfiguredNotEnforcedRule(new ConfiguredNotEnforcedSettings()), Snap.At(0, [cg]), Snap.At(30, [cg with { Denials = 60 }])));
    }

    [Fact]
    public void Disabled_means_nothing()
    {
        var rule = new ConfiguredNotEnforcedRule(new ConfiguredNotEnforcedSettings { Enabled = false });
        Assert.Empty(Snap.Run(rule, At(0, Zone(398, denials: 10)), At(30, Zone(398, denials: 60))));
    }

    [Theory]
    [InlineData(0, 0.9, 0.95, "window")]
    [InlineData(300, 0, 0.95, "farBelowRatio")]
    [InlineData(300, 0.9, 1.5, "atBootCapRatio")]
    public void Settings_are_validated(int windowSeconds, double far, double atBoot, string key)
    {
        var s = new ConfiguredNotEnforcedSettings { Window = TimeSpan.FromSeconds(windowSeconds), FarBelowRatio = far, AtBootCapRatio = atBoot };
        Assert.Contains(s.Validate("rules.configuredNotEnforced"), e => e.StartsWith("rules.configuredNotEnforced." + key, StringComparison.Ordinal));
    }
}
