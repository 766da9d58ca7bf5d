using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// What raises an illumos/SmartOS zone's LWP cap, in the order that works. prctl attaches an agent LWP to a
/// process of the zone (illumos-gate prctl.c grab_process -> Pcreate_agent), which lwp_create refuses when the
/// zone is at its cap: at exactly the cap prctl fails ("No controllable process found"), so it can only come
/// after something frees an LWP. <c>vmadm update</c> rewrites the zone XML (and tries that same prctl, only
/// logging its failure: smartos-live VM.js setRctl); <c>vmadm reboot</c> boots the zone with the XML's cap, but
/// only from state running (VM.js reboot). Zones are named by uuid: the alias is tenant-chosen data, never part of
/// a command. The forms follow the tools' option strings (prctl.c "sPp:Fd:e:i:n:rt:v:x", vmadm.8 update/reboot).
/// </summary>
public static class IllumosHints
{
    public static Hint Prctl(string rule, Zone zone, string rctl, long n) => Hint.Command(rule, zone.Id, HintEffect.Live,
        L("prctl"), L("-n"), L(rctl), L("-v"), ShellWord.Number(n), L("-t"), L("privileged"), L("-r"), L("-i"), L("zone"), ShellWord.Text(zone.Id));

    public static Hint VmadmUpdate(string rule, Zone zone, long n) => Hint.Command(rule, zone.Id, HintEffect.Persistent,
        L("vmadm"), L("update"), ShellWord.Text(zone.Id), L("max_lwps=" + n.ToString(CultureInfo.InvariantCulture)));

    public static Hint VmadmReboot(string rule, Zone zone) => Hint.Command(rule, zone.Id, HintEffect.Live,
        L("vmadm"), L("reboot"), ShellWord.Text(zone.Id));

    /// <summary>The LWP cap the kernel enforces now: the configured one, or the smaller cap the zone booted with (SmartOS: max-processes from max-lwps at boot).</summary>
    public static long? EnforcedCap(Zone zone) =>
        zone.LwpLimit is { } configured && zone.ProcessLimit is { } boot && boot < configured ? boot : zone.LwpLimit;

    /// <summary>No LWP (or process slot) is free under the enforced caps, so prctl has nowhere to put its agent.</summary>
    public static bool AtEnforcedCap(Zone zone) =>
        EnforcedCap(zone) is { } cap && (zone.Lwps >= cap || (zone.ProcessLimit is { } p && zone.Processes >= p));

    /// <summary>
    /// Raise the cap to <paramref name="n"/>. Below the enforced cap: live first (prctl), then persist (vmadm
    /// update). Exactly at it: persist first (vmadm update writes the XML whatever its own prctl does), reboot the
    /// zone so it boots with it (not for a VM still provisioning: vmadm reboots only a running one), and the prctl
    /// last, for once one LWP is free.
    /// </summary>
    public static ImmutableArray<Hint> RaiseCap(string rule, Zone zone, long n, bool provisioning)
    {
        if (!AtEnforcedCap(zone))
        {
            return [Prctl(rule, zone, "zone.max-lwps", n), VmadmUpdate(rule, zone, n)];
        }

        return provisioning
            ? [VmadmUpdate(rule, zone, n), Prctl(rule, zone, "zone.max-lwps", n)]
            : [VmadmUpdate(rule, zone, n), VmadmReboot(rule, zone), Prctl(rule, zone, "zone.max-lwps", n)];
    }

    /// <summary>
    /// Make the kernel enforce what the XML already says. max-processes is raised too: the zone got it from
    /// max-lwps at boot and a live max-lwps change leaves it where it was. At the cap the reboot comes first.
    /// </summary>
    public static ImmutableArray<Hint> EnforceConfigured(string rule, Zone zone, long configured, bool atCap)
    {
        Hint[] live = [Prctl(rule, zone, "zone.max-lwps", configured), Prctl(rule, zone, "zone.max-processes", configured)];
        return atCap ? [VmadmReboot(rule, zone), .. live] : [.. live, VmadmReboot(rule, zone)];
    }

    /// <summary>vmadm reboots only a running VM: one it is still provisioning (or gave up on) is not one.</summary>
    public static bool Provisioning(Zone zone, Snapshot snapshot) =>
        snapshot.Provisions.Any(p => p.ZoneId == zone.Id && p.VmState != "running") || zone.State is { } s && s != "running";

    /// <summary>The top holders as people act on them: pid, command, LWPs (their exit frees that many).</summary>
    public static string HoldersText(IEnumerable<ThreadHolder> holders, int max = 3) =>
        string.Join(", ", holders.OrderByDescending(h => h.Lwps).Take(max).Select(h => string.Create(CultureInfo.InvariantCulture, $"pid {h.Pid} {h.Command} ({h.Lwps} LWPs)")));

    /// <summary>Why the hints come in the order they do, for a zone exactly at its enforced cap.</summary>
    public static string AtCapNote(Zone zone, IEnumerable<ThreadHolder> holders)
    {
        var who = HoldersText(holders);
        return string.Create(CultureInfo.InvariantCulture,
            $"{zone.Id} is exactly at its cap ({zone.Lwps}/{EnforcedCap(zone)}): prctl needs one free LWP in the zone for its agent and fails until one is freed{(who.Length > 0 ? $"; the top holders, whose exit frees LWPs: {who}" : "")}; or persist with vmadm update and reboot the zone (vmadm reboot, for a running VM), which boots with the new cap");
    }

    /// <summary>The notes beside illumos cap hints.</summary>
    public static ImmutableArray<string> Notes(Zone zone, IEnumerable<ThreadHolder> holders)
    {
        var notes = ImmutableArray.CreateBuilder<string>();
        if (AtEnforcedCap(zone))
        {
            notes.Add(AtCapNote(zone, holders));
        }

        notes.Add("prctl changes the live cap but cannot act on a zone exactly at its cap (its agent needs one free LWP in the zone): free one LWP first (stop a top holder) or persist with vmadm update and reboot the zone");
        notes.Add("vmadm update is persistent across reboots (it also tries the same prctl and only logs when that fails); Triton packages with a delegated dataset need max_lwps >= 625 for 'zfs mount -va'");
        return notes.ToImmutable();
    }

    public static ImmutableArray<string> NotEnforcedNotes(Zone zone, long boot, bool atCap, IEnumerable<ThreadHolder> holders)
    {
        var notes = ImmutableArray.CreateBuilder<string>();
        if (atCap)
        {
            notes.Add(AtCapNote(zone with { LwpLimit = boot }, holders));
        }

        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"vmadm update max_lwps rewrites /etc/zones/{zone.Id}.xml, then runs prctl on the live zone; when the zone was at its cap that prctl failed and vmadm only logged it, so the kernel kept {boot}"));
        notes.Add("kstat caps:::nprocs_zone_<id> value is zone.max-processes, which the zone got from max-lwps when it booted; a reboot applies the XML to both, the two prctl commands apply it live");
        return notes.ToImmutable();
    }

    private static ShellWord L(string word) => ShellWord.Literal(word);
}
