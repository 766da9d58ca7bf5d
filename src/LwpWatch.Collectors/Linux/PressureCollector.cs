using System.Collections.Immutable;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// CPU and memory pressure of the zones the diagnosis may have to judge: zones of services in transition and
/// zones at or near their cap. cpu.pressure (PSI, v2 or the hybrid unified tree) and memory.events (v2) or
/// memory.oom_control (v1) - files only, where they exist, at most <see cref="MaxZones"/> zones per poll.
/// They let the diagnosis say "CPU" or "memory" instead of blaming the thread cap without evidence.
/// Must run after the cgroup and systemd collectors.
/// </summary>
public sealed class PressureCollector(IHostSource io, LinuxSettings settings) : ICollector
{
    public const int MaxZones = 64;

    public string Name => "pressure";

    public Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var wanted = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Want(string id)
        {
            if (wanted.Count < MaxZones && draft.Zones.ContainsKey(id) && seen.Add(id))
            {
                wanted.Add(id);
            }
        }

        foreach (var s in draft.Services)
        {
            if (s.InTransition)
            {
                Want(s.ZoneId);
            }
        }

        foreach (var id in draft.ZoneOrder)
        {
            if (draft.Zones[id].Ratio >= settings.HoldersAtRatio)
            {
                Want(id);
            }
        }

        var root = settings.CgroupRoot.TrimEnd('/');
        var pureV2 = io.FileExists(root + "/cgroup.controllers");
        var zones = ImmutableArray.CreateBuilder<Zone>();
        var warnings = ImmutableArray.CreateBuilder<string>();
        foreach (var id in wanted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var zone = draft.Zones[id];
            try
            {
                var cpuPath = (pureV2 ? root : root + "/unified") + id + "/cpu.pressure";
                var cpu = io.ReadText(cpuPath);
                long? mem = null;
                if (pureV2)
                {
                    var p = root + id + "/memory.events";
                    mem = io.ReadText(p) is { } t ? PressureParser.MemoryEventsFailures(t, p) : null;
                }
                else
                {
                    var p = root + "/memory" + id + "/memory.oom_control";
                    mem = io.ReadText(p) is { } t ? PressureParser.OomControlKills(t, p) : null;
                }

                var avg10 = cpu is null ? null : CgroupFileParser.ParsePressureSomeAvg10(cpu, cpuPath);
                if (avg10 is null && mem is null)
                {
                    continue;
                }

                zones.Add(new Zone
                {
                    Id = zone.Id,
                    Kind = zone.Kind,
                    Name = zone.Id,
                    Pressure = new ZonePressure { CpuPressureAvg10 = avg10, MemoryFailures = mem },
                });
            }
            catch (ParseException ex)
            {
                warnings.Add(ex.Message);
            }
        }

        return Task.FromResult(new Contribution { Zones = zones.ToImmutable(), Warnings = warnings.ToImmutable() });
    }
}
