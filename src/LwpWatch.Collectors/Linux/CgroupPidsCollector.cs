using System.Collections.Immutable;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// Every cgroup with a pids controller, on cgroup v2 and on the v1 pids hierarchy: cap (pids.max), usage
/// (pids.current), peak and fork denials (pids.events). Reads files only; never forks.
/// </summary>
public sealed class CgroupPidsCollector(IHostSource io, LinuxSettings settings) : ICollector
{
    public string Name => "cgroup-pids";

    public Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var zones = ImmutableArray.CreateBuilder<Zone>();
        var warnings = ImmutableArray.CreateBuilder<string>();
        var hierarchies = FindHierarchies();
        if (hierarchies.Count == 0)
        {
            throw new IOException($"no cgroup pids hierarchy under {settings.CgroupRoot} (looked for cgroup2 with pids and for the v1 'pids' mount)");
        }

        foreach (var root in hierarchies)
        {
            var nodes = new List<Node>();
            foreach (var child in io.ListDirectories(root))
            {
                Walk(root, "/" + child, parent: -1, nodes, warnings, cancellationToken);
            }

            AddZones(root, nodes, zones);
        }

        return Task.FromResult(new Contribution { Zones = zones.ToImmutable(), Warnings = warnings.ToImmutable() });
    }

    /// <summary>
    /// Pure v2 mounts have cgroup.controllers at the root; hybrid hosts (like this CI machine) mount v2 at
    /// /unified and each v1 controller under its own name.
    /// </summary>
    private List<string> FindHierarchies()
    {
        var root = settings.CgroupRoot.TrimEnd('/');
        if (root.Length == 0)
        {
            root = "/";
        }

        var found = new List<string>();
        if (HasPidsV2(root))
        {
            found.Add(root);
            return found;
        }

        if (HasPidsV2(root + "/unified"))
        {
            found.Add(root + "/unified");
        }

        var v1 = root + "/pids";
        if (io.DirectoryExists(v1) && !io.FileExists(v1 + "/cgroup.controllers"))
        {
            found.Add(v1);
        }

        return found;
    }

    private bool HasPidsV2(string dir)
    {
        var controllers = io.ReadText(dir + "/cgroup.controllers");
        return controllers is not null && controllers.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Contains("pids");
    }

    private void Walk(string root, string rel, int parent, List<Node> nodes, ImmutableArray<string>.Builder warnings, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var dir = root + rel;
        var maxText = io.ReadText(dir + "/pids.max");
        if (maxText is null)
        {
            // Not a pids cgroup (or it vanished): not a zone, but keep walking, because trees written by
            // other tools (and sparse captures) can hold pids cgroups below such a directory.
            foreach (var child in io.ListDirectories(dir))
            {
                Walk(root, rel + "/" + child, parent, nodes, warnings, ct);
            }

            return;
        }

        Node node;
        try
        {
            var current = io.ReadText(dir + "/pids.current");
            var events = io.ReadText(dir + "/pids.events");
            if (current is null || events is null)
            {
                return; // removed between reads: skip, not an error
            }

            var peak = io.ReadText(dir + "/pids.peak");
            var local = io.ReadText(dir + "/pids.events.local");
            node = new Node(
                rel,
                dir,
                parent,
                CgroupFileParser.ParseMax(maxText, dir + "/pids.max"),
                CgroupFileParser.ParseCount(current, dir + "/pids.current"),
                peak is null ? null : CgroupFileParser.ParseCount(peak, dir + "/pids.peak"),
                CgroupFileParser.ParseEventsMax(events, dir + "/pids.events"),
                Hierarchical: local is not null);
        }
        catch (ParseException ex)
        {
            // One garbled cgroup must not hide the others.
            warnings.Add(ex.Message);
            return;
        }

        var index = nodes.Count;
        nodes.Add(node);
        foreach (var child in io.ListDirectories(dir))
        {
            Walk(root, rel + "/" + child, index, nodes, warnings, ct);
        }
    }

    private void AddZones(string root, List<Node> nodes, ImmutableArray<Zone>.Builder zones)
    {
        var denials = AttributeDenials(nodes);
        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (n.Max is null && !settings.IncludeUnlimited)
            {
                continue;
            }

            var owner = CgroupPathMapper.Map(n.Rel);
            zones.Add(new Zone
            {
                Id = n.Rel,
                Kind = ZoneKind.Cgroup,
                Name = owner.Name,
                Lwps = n.Current,
                LwpLimit = n.Max,
                Denials = denials[i],
                Peak = n.Peak,
                Unit = owner.Unit,
                Container = owner.Container,
                Pod = owner.Pod,
                CgroupPath = n.Dir,
            });
        }

        _ = root;
    }

    /// <summary>
    /// Which zone's cap refused a fork. v1 (and v2 mounted with pids_localevents) counts a refusal in the cgroup
    /// of the task that forked, not in the ancestor whose limit refused it: each refusal is attributed to the
    /// nearest capped cgroup at or above where it was counted, and an unlimited cgroup reports its whole
    /// subtree (it refused nothing itself). Newer v2 kernels (they expose pids.events.local) count pids.events
    /// hierarchically at the cgroup whose limit was hit and its ancestors: there a capped cgroup's own hits are
    /// its value minus its children's.
    /// </summary>
    internal static long[] AttributeDenials(IReadOnlyList<Node> nodes)
    {
        var result = new long[nodes.Count];
        var subtree = new long[nodes.Count];
        var attributed = new long[nodes.Count];
        var childrenEvents = new long[nodes.Count];
        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            var n = nodes[i];
            subtree[i] += n.OwnEvents;
            attributed[i] += n.OwnEvents;
            if (n.Parent >= 0)
            {
                subtree[n.Parent] += subtree[i];
                childrenEvents[n.Parent] += n.OwnEvents;
                if (n.Max is null)
                {
                    attributed[n.Parent] += attributed[i];
                }
            }
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            result[i] = n.Hierarchical
                ? (n.Max is null ? n.OwnEvents : Math.Max(0, n.OwnEvents - childrenEvents[i]))
                : (n.Max is null ? subtree[i] : attributed[i]);
        }

        return result;
    }

    // Children always come after their parent in `nodes` (pre-order), which the reverse pass above relies on.
    internal sealed record Node(string Rel, string Dir, int Parent, long? Max, long Current, long? Peak, long OwnEvents, bool Hierarchical);
}
