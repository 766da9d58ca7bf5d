using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>
/// The order of illumos cap hints: prctl needs one free LWP in the zone for its agent (illumos-gate prctl.c
/// grab_process -> Pcreate_agent; lwp.c lwp_create refuses at the cap), so at exactly the cap the first hint is
/// what works without one, and vmadm reboots only a running VM (smartos-live VM.js reboot).
/// </summary>
public sealed class IllumosHintsTests
{
    private static Zone Zone(long lwps, long cap = 400, long? boot = null, long processes = 7) =>
        Snap.Illumos(Snap.Uuid, "delegate-test-7", lwps, cap, 0) with { ProcessLimit = boot, Processes = processes, State = "running" };

    private static Snapshot Of(Zone z, IEnumerable<ThreadHolder>? holders = null, IEnumerable<Provision>? provisions = null) =>
        Snap.At(0, [z], holders: holders, provisions: provisions, platform: "illumos");

    [Fact]
    public void Below_the_cap_prctl_comes_first_then_vmadm_update()
    {
        Assert.Equal(
            [$"prctl -n zone.max-lwps -v 800 -t privileged -r -i zone {Snap.Uuid}", $"vmadm update {Snap.Uuid} max_lwps=800"],
            Remediation.RaiseCapCommands(RuleIds.CapStarvation, Zone(399), 800, Of(Zone(399))).Render().ToArray());
    }

    [Fact]
    public void Exactly_at_the_cap_vmadm_update_and_reboot_come_before_the_prctl_that_needs_a_free_lwp()
    {
        var hints = Remediation.RaiseCapCommands(RuleIds.CapStarvation, Zone(400), 800, Of(Zone(400)));
        Assert.Equal(
            [$"vmadm update {Snap.Uuid} max_lwps=800", $"vmadm reboot {Snap.Uuid}", $"prctl -n zone.max-lwps -v 800 -t privileged -r -i zone {Snap.Uuid}"],
            hints.Render().ToArray());
        Assert.Equal([HintEffect.Persistent, HintEffect.Live, HintEffect.Live], hints.Select(h => h.Effect));
    }

    [Fact]
    public void A_vm_still_provisioning_gets_no_reboot_vmadm_refuses_it()
    {
        Assert.Equal(
            [$"vmadm update {Snap.Uuid} max_lwps=800", $"prctl -n zone.max-lwps -v 800 -t privileged -r -i zone {Snap.Uuid}"],
            Remediation.RaiseCapCommands(RuleIds.CapStarvation, Zone(400), 800,
                Of(Zone(400), provisions: [new Provision { ZoneId = Snap.Uuid, VmState = "provisioning", MarkerPresent = true }])).Render().ToArray());
    }

    [Fact]
    public void The_enforced_cap_is_the_boot_time_one_when_it_is_smaller()
    {
        // XML says 800, the kernel enforces the 400 it booted with: 400 LWPs is exactly at the cap.
        Assert.Equal(400, IllumosHints.EnforcedCap(Zone(400, 800, boot: 400)));
        Assert.True(IllumosHints.AtEnforcedCap(Zone(400, 800, boot: 400)));
        Assert.False(IllumosHints.AtEnforcedCap(Zone(399, 800, boot: 400)));
        Assert.Equal(800, IllumosHints.EnforcedCap(Zone(400, 800, boot: 2147483647)));
        Assert.Equal(800, IllumosHints.EnforcedCap(Zone(400, 800)));
        // Processes at max-processes: no process slot either.
        Assert.True(IllumosHints.AtEnforcedCap(Zone(300, 800, boot: 100, processes: 100)));
    }

    [Fact]
    public void At_the_cap_the_notes_name_the_holders_whose_exit_frees_lwps()
    {
        var holders = new[] { new ThreadHolder(Snap.Uuid, 20991, "zfs", "zfs mount -va", 183), new ThreadHolder(Snap.Uuid, 20990, "zfs", "zfs mount -a", 185), new ThreadHolder(Snap.Uuid, 1, "init", "/sbin/init", 1) };
        var notes = Remediation.Notes(Zone(400), Of(Zone(400), holders));
        Assert.StartsWith($"{Snap.Uuid} is exactly at its cap (400/400): prctl needs one free LWP", notes[0], StringComparison.Ordinal);
        Assert.Contains("pid 20990 zfs (185 LWPs), pid 20991 zfs (183 LWPs), pid 1 init (1 LWPs)", notes[0], StringComparison.Ordinal);
        Assert.DoesNotContain(Remediation.Notes(Zone(399), Of(Zone(399), holders)), n => n.Contains("pid 20990", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hostile_alias_never_reaches_a_command()
    {
        var z = Zone(400) with { Name = "x'; rm -rf / #" };
        Assert.All(Remediation.RaiseCapCommands(RuleIds.CapStarvation, z, 800, Of(z)).Render(), h => Assert.DoesNotContain("rm -rf", h, StringComparison.Ordinal));
        Assert.All(IllumosHints.EnforceConfigured(RuleIds.ConfiguredNotEnforced, z, 800, atCap: true).Render(), h => Assert.DoesNotContain("rm -rf", h, StringComparison.Ordinal));
    }
}
