using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Illumos;

/// <summary>
/// LWPs per zone = Σ pr_nlwp of /proc/*/psinfo by pr_zoneid (the global zone sees every process), and in the
/// same pass the biggest holders per zone. Numeric zone ids are mapped to zonenames with what zoneadm/kstat
/// reported earlier in the poll (ids are reused after a reboot, so never kept across polls). Reads files only.
/// </summary>
public sealed class PsinfoCollector(IHostSource io, IllumosSettings settings) : ICollector
{
    public string Name => "illumos-psinfo";

    public Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var proc = settings.ProcRoot.TrimEnd('/');
        var sums = new Dictionary<int, long>();
        var top = new Dictionary<int, List<Psinfo>>();
        var parsed = 0;
        var malformed = 0;
        string? firstError = null;
        foreach (var entry in io.ListDirectories(proc.Length == 0 ? "/" : proc))
        {
            if (!int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var path = proc + "/" + entry + "/psinfo";
            // One byte more than psinfo_t, so a file of the wrong layout is noticed instead of misread.
            var bytes = io.ReadBytes(path, PsinfoParser.Size + 1);
            if (bytes is null)
            {
                continue; // exited since readdir
            }

            Psinfo? p;
            try
            {
                p = PsinfoParser.Parse(bytes, path, pid);
            }
            catch (ParseException ex)
            {
                malformed++;
                firstError ??= ex.Message;
                continue;
            }

            if (p is null)
            {
                continue; // short read: exiting
            }

            parsed++;
            sums[p.ZoneId] = sums.GetValueOrDefault(p.ZoneId) + p.Lwps;
            if (settings.TopHolders > 0)
            {
                if (!top.TryGetValue(p.ZoneId, out var list))
                {
                    top[p.ZoneId] = list = new List<Psinfo>(settings.TopHolders + 1);
                }

                Insert(list, p, settings.TopHolders);
            }
        }

        if (parsed == 0)
        {
            throw new IOException(firstError is null
                ? $"no readable psinfo under {proc}/*/psinfo (not an illumos /proc?)"
                : $"no valid psinfo under {proc}: {malformed} malformed, first: {firstError}");
        }

        return Task.FromResult(Build(draft, sums, top, malformed, firstError));
    }

    private static Contribution Build(SnapshotDraft draft, Dictionary<int, long> sums, Dictionary<int, List<Psinfo>> top, int malformed, string? firstError)
    {
        var names = new Dictionary<int, string>();
        foreach (var id in draft.ZoneOrder)
        {
            var z = draft.Zones[id];
            if (z.Kind == ZoneKind.IllumosZone && z.ZoneNumericId is { } n)
            {
                names[n] = z.Id;
            }
        }

        var warnings = ImmutableArray.CreateBuilder<string>();
        if (malformed > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{malformed} psinfo file(s) skipped as malformed; first: {firstError}"));
        }

        var zones = ImmutableArray.CreateBuilder<Zone>();
        var holders = ImmutableArray.CreateBuilder<ThreadHolder>();
        foreach (var (zoneId, lwps) in sums)
        {
            if (!names.TryGetValue(zoneId, out var name))
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{lwps} LWPs in zone id {zoneId}, which neither zoneadm nor kstat reported (zone booted or halted mid-poll?)"));
                continue;
            }

            zones.Add(new Zone { Id = name, Kind = ZoneKind.IllumosZone, Name = name, Lwps = lwps });
            if (top.TryGetValue(zoneId, out var list))
            {
                foreach (var p in list)
                {
                    holders.Add(new ThreadHolder(name, p.Pid, p.Fname, p.Psargs, p.Lwps));
                }
            }
        }

        // A running zone always has processes; one without any this pass really has none left (0, not unknown).
        foreach (var (id, name) in names)
        {
            if (!sums.ContainsKey(id) && string.Equals(draft.Zones[name].State, "running", StringComparison.Ordinal))
            {
                zones.Add(new Zone { Id = name, Kind = ZoneKind.IllumosZone, Name = name, Lwps = 0 });
            }
        }

        return new Contribution { Zones = zones.ToImmutable(), Holders = holders.ToImmutable(), Warnings = warnings.ToImmutable() };
    }

    /// <summary>Keeps the <paramref name="max"/> biggest (then lowest pid) in order; O(max) per process, no sorting of all of /proc.</summary>
    private static void Insert(List<Psinfo> list, Psinfo p, int max)
    {
        var i = list.Count;
        while (i > 0 && (list[i - 1].Lwps < p.Lwps || (list[i - 1].Lwps == p.Lwps && list[i - 1].Pid > p.Pid)))
        {
            i--;
        }

        if (i >= max)
        {
            return;
        }

        list.Insert(i, p);
        if (list.Count > max)
        {
            list.RemoveAt(list.Count - 1);
        }
    }
}
