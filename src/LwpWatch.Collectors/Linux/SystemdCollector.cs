using System.Collections.Immutable;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// systemd units over D-Bus, in process (no fork): one ListUnits per poll for every unit's state, joined to the
/// cgroup zones by unit name for TasksCurrent/TasksMax (systemd reads the same pids.* files).
/// A unit that newly enters or changes a transition state gets one Properties.GetAll (all interfaces in one
/// call: state-change stamp, ControlGroup, tasks, dependencies); so does the unit a capped zone's path names
/// once that zone is half full or refusing forks, because only the manager's ControlGroup proves the unit owns
/// that cgroup (a tenant's tenant/sshd.service or a mkdir'ed test.slice is named like a unit and is not one, and
/// a set-property hint for it would change the host's unit or make systemd take the cgroup over). The answer is
/// cached while the unit's state holds, so a unit costs one extra call once, not per poll. At most
/// linux.systemd.maxDetailQueries of those run per poll (units in transition first), in parallel, each under its
/// own timeout: a hung bus costs one timeout, never a hung poll (node_exporter #2585).
/// <see cref="ServiceState.ControlGroup"/> is only ever what the manager answered, never inferred from a name.
/// Must run after the cgroup collector (it reads its zones).
/// </summary>
public sealed class SystemdCollector(IHostSource io, LinuxSettings linux) : ICollector
{
    private const string Dest = "org.freedesktop.systemd1";

    /// <summary>A capped zone this full (or refusing forks) may get a cap hint soon: ask who owns it.</summary>
    public const double OwnerQueryRatio = 0.5;
    private readonly SystemdSettings _settings = linux.Systemd;

    // Detail per unit, valid while (ActiveState, SubState) is unchanged. Only units in transition are kept.
    private readonly Dictionary<string, (string Active, string Sub, SystemdUnitDetail Detail)> _details = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public string Name => "systemd";

    public async Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        if (_settings.Enabled == "false")
        {
            return Contribution.Empty;
        }

        var socket = _settings.SocketPath();
        if (_settings.Enabled == "auto" && socket is not null && !io.FileExists(socket))
        {
            // Not a systemd host (or the bus is down): say so without making every check "unknown".
            return new Contribution { Warnings = [$"systemd: no system bus at {socket} (linux.systemd.enabled=auto): systemd units not collected"] };
        }

        // A D-Bus socket alone does not mean systemd runs: the same test as systemctl's (sd_booted).
        var booted = _settings.RootDir.TrimEnd('/') + "/run/systemd/system";
        if (_settings.Enabled == "auto" && !io.DirectoryExists(booted))
        {
            return new Contribution { Warnings = [$"systemd: {booted} does not exist, systemd is not the init system (linux.systemd.enabled=auto): systemd units not collected"] };
        }

        var list = await io.CallBusAsync(ListUnitsCall(_settings.BusAddress), _settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (!list.Succeeded)
        {
            throw new IOException($"systemd ListUnits failed: {list.Describe()}");
        }

        var units = SystemdBusParser.ParseListUnits(list.Json!, "D-Bus ListUnits");
        var warnings = ImmutableArray.CreateBuilder<string>();

        // The prefix is a host cgroup path as an operator writes it; zone ids are escaped (CgroupName).
        var prefix = CgroupName.Escape(System.Text.Encoding.UTF8.GetBytes(_settings.CgroupPrefix));
        var zonesByUnit = ZonesByUnit(draft, prefix);
        var details = await DetailsAsync(units, OwnersWanted(draft, prefix), warnings, cancellationToken).ConfigureAwait(false);
        double? uptime = null;
        if (details.Values.Any(d => d.StateChangeMonotonicUs is not null))
        {
            var path = linux.ProcRoot.TrimEnd('/') + "/uptime";
            var text = io.ReadText(path) ?? throw new IOException($"{path} is missing: cannot date systemd's monotonic state-change stamps");
            uptime = SystemdBusParser.ParseUptimeSeconds(text, path);
        }

        var services = ImmutableArray.CreateBuilder<ServiceState>(units.Length);
        foreach (var u in units)
        {
            if (u.ActiveState == "inactive")
            {
                continue; // dead units say nothing about threads and would bloat every snapshot
            }

            details.TryGetValue(u.Name, out var d);
            zonesByUnit.TryGetValue(u.Name, out var zone);
            // Zone ids are escaped cgroup paths (CgroupName): systemd's own \x2d in a unit's cgroup becomes \x5cx2d,
            // so the unit's ControlGroup is escaped the same way to name the same zone.
            // Where the unit runs: the manager's word when asked; else the zone its name points at (good enough to
            // list it under a zone, never used to act on one: ControlGroup stays null).
            var cgroup = d?.ControlGroup is { } cg ? CgroupName.Escape(System.Text.Encoding.UTF8.GetBytes(cg)) : null;
            var zoneId = cgroup is not null ? prefix + cgroup : zone is not null ? zone.Id : prefix.Length > 0 ? prefix : "/";
            if (cgroup is not null && zone is not null && prefix + cgroup != zone.Id)
            {
                zone = null; // the name-alike zone is not this unit's: its tasks are not the unit's
            }
            services.Add(new ServiceState
            {
                ZoneId = zoneId,
                Name = u.Name,
                State = u.ActiveState,
                NextState = u.SubState,
                InTransition = u.InTransition,
                StateSince = d?.StateChangeMonotonicUs is { } us && uptime is { } up ? SystemdBusParser.WallTimeOf(us, up, draft.TakenAt) : null,
                StartedAt = d?.StartMonotonicUs is { } st && uptime is { } up2 ? SystemdBusParser.WallTimeOf(st, up2, draft.TakenAt) : null,
                Tasks = d?.TasksCurrent ?? zone?.Lwps,
                TasksLimit = d is not null ? d.TasksMax : zone?.LwpLimit,
                ControlGroup = cgroup,
                Dependencies = d?.Dependencies ?? [],
            });
        }

        return new Contribution { Services = services.ToImmutable(), Warnings = warnings.ToImmutable() };
    }

    /// <summary>org.freedesktop.systemd1.Manager.ListUnits on the bus at <paramref name="address"/>.</summary>
    public static BusCall ListUnitsCall(string address) =>
        new(address, Dest, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "ListUnits", []);

    /// <summary>Properties.GetAll("") of one unit object: every interface's properties in one call.</summary>
    public static BusCall GetAllCall(string address, string objectPath) =>
        new(address, Dest, objectPath, "org.freedesktop.DBus.Properties", "GetAll", [""]);

    private async Task<Dictionary<string, SystemdUnitDetail>> DetailsAsync(ImmutableArray<SystemdUnit> units, HashSet<string> owners, ImmutableArray<string>.Builder warnings, CancellationToken ct)
    {
        var result = new Dictionary<string, SystemdUnitDetail>(StringComparer.Ordinal);
        var toQuery = new List<SystemdUnit>();
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            // Units in transition first (the stuck ones need their stamp), then the owners of capped zones.
            foreach (var u in units.Where(u => u.InTransition).Concat(units.Where(u => !u.InTransition && u.ActiveState != "inactive" && owners.Contains(u.Name))))
            {
                if (!wanted.Add(u.Name))
                {
                    continue;
                }

                if (_details.TryGetValue(u.Name, out var c) && c.Active == u.ActiveState && c.Sub == u.SubState)
                {
                    result[u.Name] = c.Detail;
                }
                else if (toQuery.Count < _settings.MaxDetailQueries)
                {
                    toQuery.Add(u);
                }
            }

            foreach (var gone in _details.Keys.Where(k => !wanted.Contains(k)).ToList())
            {
                _details.Remove(gone);
            }
        }

        var skipped = wanted.Count - result.Count - toQuery.Count;
        if (skipped > 0)
        {
            warnings.Add($"systemd: {skipped} unit property queries (GetAll) left for the next poll (linux.systemd.maxDetailQueries={_settings.MaxDetailQueries})");
        }

        var runs = toQuery.Select(u => io.CallBusAsync(GetAllCall(_settings.BusAddress, u.ObjectPath), _settings.CommandTimeout, ct)).ToList();
        var answers = await Task.WhenAll(runs).ConfigureAwait(false);
        for (var i = 0; i < toQuery.Count; i++)
        {
            var u = toQuery[i];
            var r = answers[i];
            if (!r.Succeeded)
            {
                // The unit may have left the state (or been unloaded) between the two calls: not a failure of the poll.
                warnings.Add($"systemd: properties of {u.Name}: {r.Describe()}");
                continue;
            }

            try
            {
                var d = SystemdBusParser.ParseProperties(r.Json!, $"D-Bus GetAll {u.ObjectPath}");
                result[u.Name] = d;
                lock (_gate)
                {
                    _details[u.Name] = (u.ActiveState, u.SubState, d);
                }
            }
            catch (ParseException ex)
            {
                warnings.Add(ex.Message);
            }
        }

        return result;
    }

    /// <summary>Unit names of capped zones in the manager's subtree that are half full or refusing forks: whose owner to ask.</summary>
    private static HashSet<string> OwnersWanted(SnapshotDraft draft, string prefix)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in draft.ZoneOrder)
        {
            var z = draft.Zones[id];
            if (z.Unit is { } unit && z.Kind == ZoneKind.Cgroup && z.LwpLimit is not null && (z.Ratio >= OwnerQueryRatio || z.Denials > 0)
                && (prefix.Length == 0 || id.StartsWith(prefix + "/", StringComparison.Ordinal)))
            {
                names.Add(unit);
            }
        }

        return names;
    }

    /// <summary>Unit name -> its cgroup zone, restricted to the manager's subtree (cgroupPrefix).</summary>
    private static Dictionary<string, Zone> ZonesByUnit(SnapshotDraft draft, string prefix)
    {
        var map = new Dictionary<string, Zone>(StringComparer.Ordinal);
        foreach (var id in draft.ZoneOrder)
        {
            var z = draft.Zones[id];
            if (z.Unit is { } unit && z.Kind == ZoneKind.Cgroup
                && (prefix.Length == 0 || id.StartsWith(prefix + "/", StringComparison.Ordinal)))
            {
                // Of several cgroups named like the unit, the shallowest is the likelier systemd's (a tenant's copy sits
                // below its own cgroup); only a guess for listing, see ControlGroup.
                if (!map.TryGetValue(unit, out var seen) || Depth(id) < Depth(seen.Id))
                {
                    map[unit] = z;
                }
            }
        }

        return map;
    }

    private static int Depth(string id) => id.Count(c => c == '/');
}
