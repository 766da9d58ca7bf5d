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
/// what makes peers slow. A zone's subtree is the tenant's, so it is walked like the cgroup collector walks
/// (relative to directory handles, under <see cref="CgroupWalk"/>'s depth and time bounds, a cgroup that cannot be
/// read is a warning): one zone can neither fail nor stall the holders of the others.
/// </summary>
public sealed class ProcHoldersCollector(IHostSource io, LinuxSettings settings, TimeSpan? walkBudget = null, TimeProvider? clock = null) : ICollector
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
        var warnings = ImmutableArray.CreateBuilder<string>();
        var walk = new CgroupWalk(Name, clock ?? TimeProvider.System, walkBudget ?? TimeSpan.FromSeconds(5), warnings);
        var near = draft.ZoneOrder.Select(id => draft.Zones[id]).Where(z => z.CgroupPath is not null && z.Ratio >= settings.HoldersAtRatio).ToList();
        var skippedZones = 0;
        string? firstSkippedZone = null;
        for (var z = 0; z < near.Count; z++)
        {
            var zone = near[z];
            var deadline = walk.ChildDeadline(walk.Deadline, near.Count - 1 - z);
            if (walk.Expired(deadline))
            {
                skippedZones = near.Count - z; // out of time only once the whole walk is
                firstSkippedZone = zone.CgroupPath;
                break;
            }

            var pids = new List<int>();
            using (var dir = io.OpenDirectory(zone.CgroupPath!))
            {
                CollectPids(dir, pids, depth: 0, deadline, walk, cancellationToken);
            }

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

        if (skippedZones > 0)
        {
            walk.Warn($"{Name}: {skippedZones.ToString(CultureInfo.InvariantCulture)} of {near.Count.ToString(CultureInfo.InvariantCulture)} zones near their cap got no holders this poll, from {CgroupWalk.Display(firstSkippedZone!)} on: the time budget ({walk.Budget.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s) ran out");
        }

        walk.Finish();
        return Task.FromResult(new Contribution { Holders = holders.ToImmutable(), Zones = zones.ToImmutable(), Warnings = warnings.ToImmutable() });
    }

    private static void CollectPids(IHostDirectory dir, List<int> pids, int depth, long deadline, CgroupWalk walk, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        IReadOnlyList<string> children;
        try
        {
            var procs = dir.ReadText("cgroup.procs");
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

            children = dir.ListDirectories();
        }
        catch (IOException ex)
        {
            walk.Unreadable(dir.Path, ex);
            return;
        }

        if (children.Count > 0 && depth + 1 >= CgroupWalk.MaxDepth)
        {
            walk.DepthCut(dir.Path);
            return;
        }

        var skipped = 0;
        string? firstSkipped = null;
        for (var i = 0; i < children.Count; i++)
        {
            var childDeadline = walk.ChildDeadline(deadline, children.Count - 1 - i);
            if (walk.Expired(childDeadline))
            {
                skipped = children.Count - i; // out of time only once the parent is: so are the siblings after it
                firstSkipped = dir.Path + "/" + children[i];
                break;
            }

            try
            {
                using var child = dir.OpenSubdirectory(children[i]);
                CollectPids(child, pids, depth + 1, childDeadline, walk, ct);
            }
            catch (IOException ex)
            {
                walk.Unreadable(dir.Path + "/" + children[i], ex);
            }
        }

        if (skipped > 0)
        {
            walk.TimeCut(dir.Path, skipped, children.Count, firstSkipped!);
        }
    }
}
