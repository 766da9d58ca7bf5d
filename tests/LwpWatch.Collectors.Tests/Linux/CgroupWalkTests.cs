using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Process;
using LwpWatch.Collectors.Tests.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Linux;

/// <summary>The walk's bounds, on trees built in memory or in a temp dir and a clock that moves only when read.</summary>
public sealed class CgroupWalkTests
{
    private static readonly SnapshotDraft Draft = new() { TakenAt = DateTimeOffset.UnixEpoch, Host = "h", Platform = "linux" };

    /// <summary>Every reading of the clock is <paramref name="step"/> later than the one before.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private long now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => now += step.Ticks;
    }

    private static void Cgroup(MemoryHost host, string dir, string max = "max")
    {
        host.Files[dir + "/pids.max"] = max + "\n";
        host.Files[dir + "/pids.current"] = "1\n";
        host.Files[dir + "/pids.events"] = "max 0\n";
    }

    [Fact]
    public async Task A_subtree_that_uses_up_its_time_is_cut_with_one_warning_naming_it_and_later_siblings_are_read()
    {
        var host = new MemoryHost();
        host.Files["/cg/cgroup.controllers"] = "pids\n";
        Cgroup(host, "/cg/huge");
        for (var i = 0; i < 300; i++)
        {
            Cgroup(host, $"/cg/huge/c{i:D3}");
        }

        Cgroup(host, "/cg/cheap", "10");
        Cgroup(host, "/cg/cheap/leaf");

        // 10 ms per clock reading and a 1 s budget: the huge subtree gets what is left less a 100 ms reserve for
        // "cheap", the one sibling after it.
        var collector = new CgroupPidsCollector(host, new LinuxSettings { CgroupRoot = "/cg" }, TimeSpan.FromSeconds(1), new SteppingClock(TimeSpan.FromMilliseconds(10)));
        var c = await collector.CollectAsync(Draft, CancellationToken.None);

        Assert.Contains(c.Zones, z => z.Id == "/cheap" && z.LwpLimit == 10);
        Assert.Contains(c.Zones, z => z.Id == "/cheap/leaf");
        Assert.Contains(c.Zones, z => z.Id == "/huge/c000");
        var read = c.Zones.Count(z => z.Id.StartsWith("/huge/", StringComparison.Ordinal));
        Assert.InRange(read, 1, 299);
        var w = Assert.Single(c.Warnings);
        Assert.Equal($"cgroup-pids: /huge: {300 - read} of its 300 subcgroups not read this poll, from /huge/c{read:D3} on: the cgroup walk's time budget (1s) ran out in this subtree; the zones below them are missing from this poll", w);
    }

    [Fact]
    public async Task Nothing_is_cut_when_the_tree_fits_its_budget()
    {
        var host = new MemoryHost();
        host.Files["/cg/cgroup.controllers"] = "pids\n";
        for (var i = 0; i < 50; i++)
        {
            Cgroup(host, $"/cg/s{i}");
            Cgroup(host, $"/cg/s{i}/leaf");
        }

        var collector = new CgroupPidsCollector(host, new LinuxSettings { CgroupRoot = "/cg" }, TimeSpan.FromSeconds(10), new SteppingClock(TimeSpan.FromMilliseconds(10)));
        var c = await collector.CollectAsync(Draft, CancellationToken.None);

        Assert.Equal(100, c.Zones.Length);
        Assert.Empty(c.Warnings);
    }

    [Fact]
    public async Task Warnings_are_bounded_and_the_rest_are_counted()
    {
        var host = new MemoryHost();
        host.Files["/cg/cgroup.controllers"] = "pids\n";
        for (var i = 0; i < 30; i++)
        {
            host.Files[$"/cg/g{i}/pids.max"] = "lots\n";
            host.Files[$"/cg/g{i}/pids.current"] = "1\n";
            host.Files[$"/cg/g{i}/pids.events"] = "max 0\n";
        }

        Cgroup(host, "/cg/ok", "5");
        var c = await new CgroupPidsCollector(host, new LinuxSettings { CgroupRoot = "/cg" }).CollectAsync(Draft, CancellationToken.None);

        Assert.Contains(c.Zones, z => z.Id == "/ok");
        Assert.Equal(CgroupWalk.MaxWarnings + 1, c.Warnings.Length);
        Assert.Equal($"cgroup-pids: {30 - CgroupWalk.MaxWarnings} more cgroup warnings this poll not shown", c.Warnings[^1]);
    }

    [Fact]
    public async Task A_cgroup_that_cannot_be_read_is_a_warning_naming_it_and_the_others_are_read()
    {
        using var tree = new TempTree();
        tree.File("cgroup.controllers", "pids\n");
        foreach (var d in new[] { "a", "b" })
        {
            tree.File(d + "/pids.max", "5\n");
            tree.File(d + "/pids.current", "1\n");
            tree.File(d + "/pids.events", "max 0\n");
        }

        tree.Dir("bad/pids.max"); // read(2) says EISDIR: an I/O error that is not "gone"
        tree.File("bad/pids.current", "1\n");
        tree.File("bad/pids.events", "max 0\n");

        var c = await new CgroupPidsCollector(new LiveHostSource(new CommandRunner()), new LinuxSettings { CgroupRoot = tree.Root }).CollectAsync(Draft, CancellationToken.None);

        Assert.Equal(["/a", "/b"], c.Zones.Select(z => z.Id).Order(StringComparer.Ordinal));
        Assert.Equal("cgroup-pids: /bad: not read: Is a directory", Assert.Single(c.Warnings));
    }

    [Fact]
    public void Long_paths_are_shown_by_their_start_and_end()
    {
        var path = "/" + string.Join('/', Enumerable.Repeat(new string('x', 255), 17));
        var shown = CgroupWalk.Display(path);
        Assert.StartsWith("/xxxx", shown, StringComparison.Ordinal);
        Assert.EndsWith($"xxx ({path.Length} characters, 17 levels)", shown, StringComparison.Ordinal);
        Assert.True(shown.Length < 460);
        Assert.Equal("/short/path", CgroupWalk.Display("/short/path"));
    }

    [Fact]
    public void A_sibling_still_to_come_keeps_a_reserve_and_the_last_one_gets_all_that_is_left()
    {
        var clock = new SteppingClock(TimeSpan.Zero);
        var walk = new CgroupWalk("t", clock, TimeSpan.FromSeconds(1), System.Collections.Immutable.ImmutableArray.CreateBuilder<string>());
        Assert.Equal(walk.Deadline, walk.ChildDeadline(walk.Deadline, 0));
        Assert.Equal(walk.Deadline - TimeSpan.FromMilliseconds(300).Ticks, walk.ChildDeadline(walk.Deadline, 3));

        // Many siblings after: never more than half of what is left is kept back.
        Assert.Equal(walk.Deadline - TimeSpan.FromMilliseconds(500).Ticks, walk.ChildDeadline(walk.Deadline, 20_000));
    }
}
