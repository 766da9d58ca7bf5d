using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// The biggest thread holders of each zone at or near its cap: pids from the cgroup subtree's cgroup.procs,
/// threads from /proc/&lt;pid&gt;/stat. Zones far from their cap are skipped: a full /proc scan every poll is
/// what makes peers slow.
/// </summary>
public sealed class ProcHoldersCollector(IHostSource io, LinuxSettings settings) : ICollector
{
    public string Name => "proc-holders";

    public Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var holders = ImmutableArray.CreateBuilder<ThreadHolder>();
        var zones = ImmutableArray.CreateBuilder<Zone>();
        if (settings.TopHolders == 0)
        {
            return Task.FromResult(Contribution.Empty);
        }

        var proc = settings.ProcRoot.TrimEnd('/');
        foreach (var id in draft.ZoneOrder)
        {
            var zone = draft.Zones[id];
            if (zone.CgroupPath is null || !(zone.Ratio >= settings.HoldersAtRatio))
            {
                continue;
            }

            var pids = new List<int>();
            CollectPids(zone.CgroupPath, pids, depth: 0, cancellationToken);
            var found = new List<ThreadHolder>(pids.Count);
            foreach (var pid in pids)
            {
                var statPath = string.Create(CultureInfo.InvariantCulture, $"{proc}/{pid}/stat");
                var stat = io.ReadText(statPath);
                if (stat is null)
                {
                    continue; // exited since cgroup.procs was read
                }

                ProcStat ps;
                try
                {
                    ps = ProcStatParser.Parse(stat, statPath);
                }
                catch (ParseException)
                {
                    continue;
                }

                var cmdline = io.ReadText(string.Create(CultureInfo.InvariantCulture, $"{proc}/{pid}/cmdline"));
                found.Add(new ThreadHolder(zone.Id, pid, ps.Comm, cmdline is null ? ps.Comm : ProcStatParser.Cmdline(cmdline), ps.Threads));
            }

            holders.AddRange(found.OrderByDescending(h => h.Lwps).ThenBy(h => h.Pid).Take(settings.TopHolders));
            zones.Add(zone with { Processes = pids.Count });
        }

        return Task.FromResult(new Contribution { Holders = holders.ToImmutable(), Zones = zones.ToImmutable() });
    }

    private void CollectPids(string dir, List<int> pids, int depth, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var procs = io.ReadText(dir + "/cgroup.procs");
        if (procs is not null)
        {
            foreach (var line in procs.AsSpan().EnumerateLines())
            {
                if (int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    pids.Add(pid);
                }
            }
        }

        if (depth < 32)
        {
            foreach (var child in io.ListDirectories(dir))
            {
                CollectPids(dir + "/" + child, pids, depth + 1, ct);
            }
        }
    }
}
