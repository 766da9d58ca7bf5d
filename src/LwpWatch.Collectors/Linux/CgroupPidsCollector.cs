using System.Collections.Immutable;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// Every cgroup with a pids controller, on cgroup v2 and on the v1 pids hierarchy: cap (pids.max), usage
/// (pids.current), peak and fork denials (pids.events). Reads files only; never forks.
/// The tree below a delegated cgroup is the tenant's: any byte but '/' and NUL in a name, any depth, any number.
/// So the walk opens every cgroup relative to its parent's directory handle (no path is ever too long), keeps
/// names as bytes (zone ids are escaped with <see cref="CgroupName"/>), and runs under <see cref="CgroupWalk"/>'s
/// depth and time bounds: a cgroup that cannot be read and a subtree that is cut are warnings naming them, the
/// other zones are still reported and the collector still succeeds.
/// </summary>
public sealed class CgroupPidsCollector : ICollector
{
    // One slot per pids.* file of a cgroup; real ones hold a number or "max N" (well under 64 bytes).
    private const int SlotBytes = 128;
    private const int Slots = 5;

    /// <summary><see cref="Read"/>'s answer for a file that filled its slot and must be read whole.</summary>
    private const int Long = int.MaxValue;

    /// <summary><see cref="ReadNode"/>'s answer for a cgroup that vanished mid-read or whose files are garbled: do not walk below it.</summary>
    private const int Vanished = -2;

    private readonly IHostSource io;
    private readonly LinuxSettings settings;
    private readonly TimeSpan walkBudget;
    private readonly TimeProvider clock;
    private readonly DockerContainerNames dockerNames;

    /// <summary>
    /// Owners of the cgroups seen last poll. The mapping is a pure function of the path, and zones live for many
    /// polls, so this skips a split and three regex matches per zone per poll. Rebuilt every poll (only paths
    /// seen this poll carry over), so it never grows beyond the current tree; replaced whole, never mutated
    /// after publication, so concurrent polls are safe.
    /// </summary>
    private Dictionary<string, CgroupOwner> owners = new(StringComparer.Ordinal);

    /// <param name="io">Where the cgroup files are read.</param>
    /// <param name="settings">Roots and options.</param>
    /// <param name="walkBudget">How long one walk of the trees may take before subtrees are cut (default 5 s; the
    /// factory passes half the collector timeout, so a cut walk still reports what it read).</param>
    /// <param name="clock">Measures the walk (tests pass a fake one).</param>
    public CgroupPidsCollector(IHostSource io, LinuxSettings settings, TimeSpan? walkBudget = null, TimeProvider? clock = null)
    {
        this.io = io;
        this.settings = settings;
        this.walkBudget = walkBudget ?? TimeSpan.FromSeconds(5);
        this.clock = clock ?? TimeProvider.System;
        dockerNames = new DockerContainerNames(io, settings.DockerRoot);
    }

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

        // Per call, not per instance: a collector may be polled from two places at once (run + check).
        var buffer = new byte[SlotBytes * Slots];
        var previousOwners = Volatile.Read(ref owners);
        var nextOwners = new Dictionary<string, CgroupOwner>(previousOwners.Count, StringComparer.Ordinal);
        var walk = new CgroupWalk(Name, clock, walkBudget, warnings);
        var docker = dockerNames.Begin();
        for (var h = 0; h < hierarchies.Count; h++)
        {
            var (root, unified) = hierarchies[h];
            var nodes = new List<Node>();
            using (var dir = io.OpenDirectory(root))
            {
                WalkChildren(dir, unified, "", 0, -1, walk.ChildDeadline(walk.Deadline, hierarchies.Count - 1 - h), nodes, walk, buffer, cancellationToken);
            }

            AddZones(nodes, Semantics(unified, nodes, warnings), zones, previousOwners, nextOwners, docker, warnings);
        }

        walk.Finish();
        docker.End();
        Volatile.Write(ref owners, nextOwners);

        return Task.FromResult(new Contribution { Zones = zones.ToImmutable(), Warnings = warnings.ToImmutable() });
    }

    /// <summary>
    /// Pure v2 mounts have cgroup.controllers at the root; hybrid hosts (like this CI machine) mount v2 at
    /// /unified and each v1 controller under its own name.
    /// </summary>
    private List<(string Path, bool Unified)> FindHierarchies()
    {
        var root = settings.CgroupRoot.TrimEnd('/');
        if (root.Length == 0)
        {
            root = "/";
        }

        var found = new List<(string, bool)>();
        if (HasPidsV2(root))
        {
            found.Add((root, true));
            return found;
        }

        if (HasPidsV2(root + "/unified"))
        {
            found.Add((root + "/unified", true));
        }

        var v1 = root + "/pids";
        if (io.DirectoryExists(v1) && !io.FileExists(v1 + "/cgroup.controllers"))
        {
            found.Add((v1, false));
        }

        return found;
    }

    /// <summary>
    /// Where this hierarchy's kernel counts a refused fork (kernel/cgroup/pids.c pids_event, __pids_events_show).
    /// v1, v2 on kernels before the counters became hierarchical (no pids.events.local; "cgroup/pids: Make event
    /// counters hierarchical", v6.12), and v2 mounted with pids_localevents: in the cgroup of the task that forked.
    /// v2 without that option on a kernel that has pids.events.local: at the cgroup whose limit refused it
    /// (pids.events.local) and, in pids.events, at each of its ancestors. The mount option decides, not the file:
    /// pids.events.local exists under both v2 semantics (measured on 6.12).
    /// </summary>
    private PidsEventsSemantics Semantics(bool unified, List<Node> nodes, ImmutableArray<string>.Builder warnings)
    {
        if (!unified || !nodes.Exists(n => n.LocalEvents is not null))
        {
            return PidsEventsSemantics.ForkingCgroup;
        }

        var path = settings.ProcRoot.TrimEnd('/') + "/self/mountinfo";
        var text = io.ReadText(path);
        Cgroup2Mounts? mounts = null;
        try
        {
            mounts = text is null ? null : MountInfoParser.ParseCgroup2(text, path);
        }
        catch (ParseException ex)
        {
            warnings.Add(ex.Message);
        }

        if (mounts is not { Count: > 0 })
        {
            // The kernel's default for this mount; said out loud because a pids_localevents mount would put the
            // refusals in the forking child instead of at the capped cgroup.
            warnings.Add($"{path}: no cgroup2 mount found, so its pids_localevents option is unknown: counting fork denials at the cgroup whose limit refused them (the kernel's default)");
            return PidsEventsSemantics.LimitingCgroup;
        }

        return mounts.PidsLocalEvents ? PidsEventsSemantics.ForkingCgroup : PidsEventsSemantics.LimitingCgroup;
    }

    private bool HasPidsV2(string dir)
    {
        var controllers = io.ReadText(dir + "/cgroup.controllers");
        return controllers is not null && controllers.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Contains("pids");
    }

    /// <summary>
    /// Reads every subdirectory of <paramref name="dir"/> (at <paramref name="rel"/>, <paramref name="depth"/> levels
    /// below the hierarchy root) and walks on below them, each relative to its parent's handle, which stays open
    /// while its children are walked (at most <see cref="CgroupWalk.MaxDepth"/> handles). Below a directory that is
    /// not a zone, children hang off the nearest zone above it (<paramref name="parent"/>).
    /// </summary>
    private void WalkChildren(IHostDirectory dir, bool unified, string rel, int depth, int parent, long deadline, List<Node> nodes, CgroupWalk walk, byte[] buffer, CancellationToken ct)
    {
        IReadOnlyList<string> children;
        try
        {
            children = dir.ListDirectories();
        }
        catch (IOException ex)
        {
            walk.Unreadable(rel.Length == 0 ? dir.Path : rel, ex);
            return;
        }

        var skipped = 0;
        string? firstSkipped = null;
        for (var i = 0; i < children.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var childRel = rel + "/" + children[i];
            var childDeadline = walk.ChildDeadline(deadline, children.Count - 1 - i);
            if (walk.Expired(childDeadline))
            {
                // A child is kept back by at most half of what is left, so it is only out of time once its parent
                // is: every sibling after it is too.
                skipped = children.Count - i;
                firstSkipped = childRel;
                break;
            }

            try
            {
                using var child = dir.OpenSubdirectory(children[i]);
                var index = ReadNode(child, unified, childRel, parent, nodes, walk, buffer);
                if (index == Vanished)
                {
                    continue;
                }

                if (depth + 1 >= CgroupWalk.MaxDepth)
                {
                    if (child.ListDirectories().Count > 0)
                    {
                        walk.DepthCut(childRel);
                    }

                    continue;
                }

                WalkChildren(child, unified, childRel, depth + 1, index >= 0 ? index : parent, childDeadline, nodes, walk, buffer, ct);
            }
            catch (IOException ex)
            {
                // One unreadable cgroup (permissions, I/O error, a name the filesystem refuses) must not hide the others.
                walk.Unreadable(childRel, ex);
            }
        }

        if (skipped > 0)
        {
            walk.TimeCut(rel.Length == 0 ? dir.Path : rel, skipped, children.Count, firstSkipped!);
        }
    }

    /// <summary>
    /// Adds the cgroup's node when it is a pids cgroup and returns its index; -1 for a directory without pids files
    /// (walk on below it), <see cref="Vanished"/> when it vanished mid-read or its files are garbled (a warning).
    /// </summary>
    private int ReadNode(IHostDirectory d, bool unified, string rel, int parent, List<Node> nodes, CgroupWalk walk, byte[] buffer)
    {
        var dir = d.Path;

        // Each file gets its own slot of the one per-poll buffer: nothing here allocates except the node itself.
        var slots = buffer.AsSpan();
        var maxBytes = slots.Slice(0 * SlotBytes, SlotBytes);
        var maxLen = Read(d, "pids.max", maxBytes);
        if (maxLen < 0)
        {
            // Not a pids cgroup (or it vanished): not a zone, but keep walking, because trees written by
            // other tools (and sparse captures) can hold pids cgroups below such a directory.
            return -1;
        }

        Node node;
        try
        {
            var currentBytes = slots.Slice(1 * SlotBytes, SlotBytes);
            var eventsBytes = slots.Slice(2 * SlotBytes, SlotBytes);
            var currentLen = Read(d, "pids.current", currentBytes);
            var eventsLen = Read(d, "pids.events", eventsBytes);
            if (currentLen < 0 || eventsLen < 0)
            {
                return Vanished; // removed between reads: skip, not an error
            }

            // Present on v2 kernels with hierarchical pids.events (6.12+). v1 never has it ("cgroup/pids: Add
            // pids.events.local" adds it to pids_files, the v2 cftypes, and not to pids_files_legacy), so it is not
            // even tried there: a leaf cgroup is read without a listing, where it would be one failed open per cgroup.
            var localBytes = slots.Slice(4 * SlotBytes, SlotBytes);
            var localLen = unified ? Read(d, "pids.events.local", localBytes) : -1;

            // Parsed in this order (max, current, events, local; then peak), so the first bad file named stays the same.
            var max = ParseMax(d, maxBytes, maxLen);
            var current = ParseCount(d, "pids.current", currentBytes, currentLen);
            var events = ParseEvents(d, "pids.events", eventsBytes, eventsLen);
            var local = localLen < 0 ? (long?)null : ParseEvents(d, "pids.events.local", localBytes, localLen);
            long? peak = null;
            if (NeedsPeak(max, current, events, local))
            {
                var peakBytes = slots.Slice(3 * SlotBytes, SlotBytes);
                var peakLen = Read(d, "pids.peak", peakBytes);
                peak = peakLen < 0 ? null : ParseCount(d, "pids.peak", peakBytes, peakLen);
            }

            node = new Node(rel, dir, parent, max, current, peak, events, local);
        }
        catch (ParseException ex)
        {
            // One garbled cgroup must not hide the others.
            walk.Warn(ex.Message);
            return Vanished;
        }

        nodes.Add(node);
        return nodes.Count - 1;
    }

    /// <summary>
    /// Whether this cgroup's pids.peak is read this poll. Each cgroup file costs an open, a read and a close, and the
    /// kernel's side of those is most of the daemon's CPU (at 1,000 zones, perf: 74 % in the kernel, open and close
    /// alone 47 %; bench/RESULTS.md "CPU per poll, sixth set"), and the peak is used only where a cap is at stake:
    /// the one sizing (<see cref="Core.Rules.CapSizing.DemandOf"/>) takes max(usage, peak, cap), which differs from
    /// max(usage, cap) only when the cap is below the peak, and the rules that size a cap fire only near it or after
    /// a refusal. So it is read for a capped cgroup at half its cap
    /// or more (which includes one whose cap was lowered below its usage) or with a refusal counted, and not for an
    /// unlimited cgroup or a calm one: there it is left unknown rather than shown stale.
    /// </summary>
    internal static bool NeedsPeak(long? max, long current, long events, long? local) =>
        max is { } cap && (current >= cap - (cap / 2) || events > 0 || local > 0); // cap - cap/2: half, rounded up, without overflow

    /// <summary>Bytes read into the slot, -1 when the file is gone, or <see cref="Long"/> when it did not fit.</summary>
    private static int Read(IHostDirectory d, string file, Span<byte> slot)
    {
        var n = d.ReadSmallFile(file, slot);
        return n == slot.Length ? Long : n;
    }

    // The input name ("<dir>/pids.max") is only built when the fast path declines, i.e. on odd or bad content.
    private static long? ParseMax(IHostDirectory d, Span<byte> slot, int len) =>
        len == Long ? CgroupFileParser.ParseMax(ReadWhole(d, "pids.max"), Input(d, "pids.max"))
        : CgroupFileParser.TryParseMaxFast(slot[..len], out var v) ? v
        : CgroupFileParser.ParseMax(slot[..len], Input(d, "pids.max"));

    private static long ParseCount(IHostDirectory d, string file, Span<byte> slot, int len) =>
        len == Long ? CgroupFileParser.ParseCount(ReadWhole(d, file), Input(d, file))
        : CgroupFileParser.TryParseCountFast(slot[..len], out var v) ? v
        : CgroupFileParser.ParseCount(slot[..len], Input(d, file));

    private static long ParseEvents(IHostDirectory d, string file, Span<byte> slot, int len) =>
        len == Long ? CgroupFileParser.ParseEventsMax(ReadWhole(d, file), Input(d, file))
        : CgroupFileParser.TryParseEventsMaxFast(slot[..len], out var v) ? v
        : CgroupFileParser.ParseEventsMax(slot[..len], Input(d, file));

    private static string Input(IHostDirectory d, string file) => CgroupWalk.Display(d.Path) + "/" + file;

    /// <summary>A file too big for its slot (never a real pids.* file): read it whole, as text. Gone by now = empty.</summary>
    private static string ReadWhole(IHostDirectory d, string file) => d.ReadText(file) ?? string.Empty;

    private void AddZones(List<Node> nodes, PidsEventsSemantics semantics, ImmutableArray<Zone>.Builder zones, Dictionary<string, CgroupOwner> previousOwners, Dictionary<string, CgroupOwner> nextOwners, DockerContainerNames.Poll docker, ImmutableArray<string>.Builder warnings)
    {
        var denials = AttributeDenials(nodes, semantics);
        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (n.Max is null && !settings.IncludeUnlimited)
            {
                continue;
            }

            if (!nextOwners.TryGetValue(n.Rel, out var owner))
            {
                owner = previousOwners.TryGetValue(n.Rel, out var known) ? known : CgroupPathMapper.Map(n.Rel);
                nextOwners[n.Rel] = owner;
            }

            zones.Add(new Zone
            {
                Id = n.Rel,
                Kind = ZoneKind.Cgroup,
                // A capped Docker container is named as `docker ps` names it (read only for those: the file is Docker's).
                Name = owner.Container is { } id && n.Max is not null ? docker.NameOf(id, warnings) ?? owner.Name : owner.Name,
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
    }

    /// <summary>
    /// Which zone's cap refused a fork, given where the kernel counted it (see <see cref="Semantics"/>).
    /// Counted in the forking task's cgroup: each refusal goes to the nearest capped cgroup at or above where it was
    /// counted (the one whose cap most likely refused it; when a capped child sits below a capped parent, the
    /// kernel's count cannot tell which of the two caps refused), and an unlimited cgroup reports its whole subtree
    /// (it refused nothing itself). Counted at the limiting cgroup: a capped cgroup's own refusals are its
    /// pids.events.local (or, if that one is missing, its hierarchical pids.events minus its children's), and an
    /// unlimited cgroup reports its hierarchical pids.events, the refusals of every cap below it.
    /// </summary>
    internal static long[] AttributeDenials(IReadOnlyList<Node> nodes, PidsEventsSemantics semantics)
    {
        var result = new long[nodes.Count];
        var subtree = new long[nodes.Count];
        var attributed = new long[nodes.Count];
        var childrenEvents = new long[nodes.Count];
        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            var n = nodes[i];
            subtree[i] += n.Events;
            attributed[i] += n.Events;
            if (n.Parent >= 0)
            {
                subtree[n.Parent] += subtree[i];
                childrenEvents[n.Parent] += n.Events;
                if (n.Max is null)
                {
                    attributed[n.Parent] += attributed[i];
                }
            }
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            result[i] = semantics == PidsEventsSemantics.LimitingCgroup
                ? (n.Max is null ? n.Events : n.LocalEvents ?? Math.Max(0, n.Events - childrenEvents[i]))
                : (n.Max is null ? subtree[i] : attributed[i]);
        }

        return result;
    }

    // Children always come after their parent in `nodes` (pre-order), which the reverse pass above relies on.
    internal sealed record Node(string Rel, string Dir, int Parent, long? Max, long Current, long? Peak, long Events, long? LocalEvents);
}

/// <summary>Where a hierarchy's pids.events counts a refused fork.</summary>
internal enum PidsEventsSemantics
{
    /// <summary>In the cgroup of the task that forked (v1, v2 before 6.12, v2 mounted with pids_localevents).</summary>
    ForkingCgroup,

    /// <summary>At the cgroup whose limit refused it, and hierarchically at its ancestors (v2 on 6.12+ by default).</summary>
    LimitingCgroup,
}
