using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// Exact commands that raise a zone's thread cap, with the real ids filled in (the cap itself comes from
/// <see cref="CapSizing"/>). Text only: LwpWatch never changes a cap by itself.
/// </summary>
public static class Remediation
{
    /// <summary>
    /// The commands that raise a zone's cap to <paramref name="newLimit"/>, for a finding of <paramref name="rule"/>.
    /// illumos: in the order that works (<see cref="IllumosHints.RaiseCap"/>: prctl then vmadm update below the
    /// cap; vmadm update, vmadm reboot, then prctl at exactly the cap). Linux: <c>systemctl set-property</c> only for the unit the
    /// watched manager reports owning exactly this cgroup (<see cref="ManagingUnit"/>), <c>docker update</c> only for a
    /// container the path itself places (<see cref="DockerContainer"/>), and the pids.max write, which acts on exactly
    /// this cgroup whoever made it, for every cgroup no unit owns.
    /// </summary>
    public static ImmutableArray<Hint> RaiseCapCommands(string rule, Zone zone, long newLimit, Snapshot snapshot)
    {
        if (string.Equals(zone.Kind, ZoneKind.IllumosZone, StringComparison.Ordinal))
        {
            return IllumosHints.RaiseCap(rule, zone, newLimit, IllumosHints.Provisioning(zone, snapshot));
        }

        var n = ShellWord.Number(newLimit);
        var hints = ImmutableArray.CreateBuilder<Hint>();
        var tasksMax = L("TasksMax=" + newLimit.ToString(CultureInfo.InvariantCulture));
        if (ManagingUnit(zone, snapshot) is { } unit)
        {
            // No pids.max write for a unit's cgroup: systemd creates the cgroup afresh with TasksMax at the unit's next
            // start, so a restart (which a program that gave up needs) undoes the write and the unit is stuck again
            // (measured on systemd 252 in the VM suite: echo 80 > pids.max, systemctl restart, 20/20 again). The live
            // counterpart is set-property --runtime: applied now, kept across restarts, gone at reboot.
            hints.Add(Hint.Command(rule, zone.Id, HintEffect.Persistent,
                [L("systemctl"), L("set-property"), .. Operands(ShellWord.Text(unit.Name)), tasksMax]));
            hints.Add(Hint.Command(rule, zone.Id, HintEffect.Live,
                [L("systemctl"), L("set-property"), L("--runtime"), .. Operands(ShellWord.Text(unit.Name)), tasksMax]));
        }

        if (DockerContainer(zone) is { } container)
        {
            hints.Add(Hint.Command(rule, zone.Id, HintEffect.Live,
                [L("docker"), L("update"), L("--pids-limit"), n, .. Operands(ShellWord.Text(container))]));
        }

        if (zone.CgroupPath is { } path && ManagingUnit(zone, snapshot) is null)
        {
            hints.Add(Hint.WriteFile(rule, zone.Id, HintEffect.Live, ShellWord.CgroupPath(path + "/pids.max"), n));
        }

        return hints.ToImmutable();
    }

    /// <summary>
    /// The systemd unit whose cgroup this zone is, as the watched manager itself reported it (its ControlGroup, from
    /// Properties.GetAll): never a unit inferred from the path's last name. A tenant's tenant/sshd.service is not the
    /// host's sshd.service, and a mkdir'ed /test.slice is no unit at all (measured on systemd 252: set-property on
    /// one makes systemd take the cgroup over, write a persistent drop-in and strip the child's pids controller).
    /// </summary>
    public static ServiceState? ManagingUnit(Zone zone, Snapshot snapshot)
    {
        if (!string.Equals(zone.Kind, ZoneKind.Cgroup, StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var s in snapshot.Services)
        {
            if (s.ControlGroup is not null && string.Equals(s.ZoneId, zone.Id, StringComparison.Ordinal))
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>
    /// The docker container id this zone's cgroup is, by its exact place in the hierarchy: docker's systemd cgroup
    /// driver (<c>/system.slice/docker-&lt;64 hex&gt;.scope</c>) or its cgroupfs driver (<c>/docker/&lt;64 hex&gt;</c>), both
    /// only creatable by root. A tenant's subtree may hold cgroups named like these anywhere below its own; those get
    /// no docker command (it would change a real container the tenant named, or none).
    /// </summary>
    public static string? DockerContainer(Zone zone)
    {
        if (!string.Equals(zone.Kind, ZoneKind.Cgroup, StringComparison.Ordinal) || zone.Container is not { } id || !IsDockerId(id))
        {
            return null;
        }

        return string.Equals(zone.Id, "/system.slice/docker-" + id + ".scope", StringComparison.Ordinal)
            || string.Equals(zone.Id, "/docker/" + id, StringComparison.Ordinal)
            ? id
            : null;
    }

    private static bool IsDockerId(string id) => id.Length == 64 && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>
    /// Operands from outside after the options: a leading "--" when one starts with '-', so the program never takes a
    /// name for an option (quoting keeps the shell from splitting a word, not getopt from reading it).
    /// </summary>
    public static ShellWord[] Operands(params ShellWord[] operands) =>
        operands.Any(o => o.Value.StartsWith('-')) ? [L("--"), .. operands] : operands;

    private static ShellWord L(string word) => ShellWord.Literal(word);

    /// <summary>Why the commands are what they are; shown beside the hints, never executed.</summary>
    public static ImmutableArray<string> Notes(Zone zone, Snapshot snapshot)
    {
        if (string.Equals(zone.Kind, ZoneKind.IllumosZone, StringComparison.Ordinal))
        {
            return IllumosHints.Notes(zone, snapshot.HoldersOf(zone.Id));
        }

        return ManagingUnit(zone, snapshot) is not null
            ? ["systemctl set-property is persistent; with --runtime it lasts until reboot; a pids.max write would be undone at the unit's next start"]
            : ["writing pids.max is live only; make it persistent in whatever created the cgroup"];
    }
}
