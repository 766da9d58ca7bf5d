using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Process;
using LwpWatch.Collectors.Tests.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Linux;

/// <summary>
/// The collector's hot path (native reads through a directory handle, byte parsing, fast paths, owner cache)
/// must produce exactly what the path-based defaults produce: on a fixture tree with odd and broken files, and
/// on real v1 pids cgroups.
/// </summary>
public sealed class CgroupPidsCollectorFastPathTests
{
    private static readonly LiveHostSource Live = new(new CommandRunner());

    [Fact]
    public async Task Fixture_tree_with_odd_files_gives_the_same_zones_and_warnings_both_ways()
    {
        using var tree = new TempTree();
        tree.File("cgroup.controllers", "cpu io memory pids\n");
        Zone(tree, "system.slice", "max", "3", "max 0");
        Zone(tree, "system.slice/web.service", "20", "20", "max 31");
        Zone(tree, "system.slice/bom.service", "\uFEFF10", "2", "max 1");
        Zone(tree, "system.slice/crlf.service", "10\r\n", "2\r\n", "max 4\r\n");
        Zone(tree, "system.slice/long.service", "30" + new string(' ', 200), "1", "max 2");
        Zone(tree, "system.slice/garbled.service", "lots", "1", "max 0");
        Zone(tree, "system.slice/badevents.service", "10", "1", "max many");
        Zone(tree, "docker-0123456789abcdef.scope", "100", "50", "max 0\nmax.imposed 3\n");
        tree.File("system.slice/web.service/pids.peak", "20\n");
        tree.File("system.slice/web.service/pids.events.local", "max 0\n");
        tree.Dir("nopids/deeper");
        var settings = new LinuxSettings { CgroupRoot = tree.Root };

        var (fastZones, fastWarnings) = await Collect(new CgroupPidsCollector(Live, settings));
        var (slowZones, slowWarnings) = await Collect(new CgroupPidsCollector(new PathOnlySource(Live), settings));

        Assert.Equal(slowZones, fastZones);
        Assert.Equal(slowWarnings, fastWarnings);
        Assert.Equal(2, fastWarnings.Length); // garbled pids.max and pids.events are named, not fatal
        Assert.Contains(fastZones, z => z.Id == "/system.slice/long.service" && z.LwpLimit == 30);
        Assert.Contains(fastZones, z => z.Id == "/system.slice/bom.service" && z.LwpLimit == 10);
    }

    [Fact]
    public async Task Owner_cache_gives_the_same_names_poll_after_poll_and_follows_new_cgroups()
    {
        using var tree = new TempTree();
        tree.File("cgroup.controllers", "pids\n");
        Zone(tree, "system.slice", "max", "1", "max 0");
        Zone(tree, "system.slice/a.service", "5", "1", "max 0");
        var collector = new CgroupPidsCollector(Live, new LinuxSettings { CgroupRoot = tree.Root });

        var first = await Collect(collector);
        Zone(tree, "kubepods", "max", "1", "max 0");
        Zone(tree, "kubepods/pod1234abcd", "max", "1", "max 0");
        Zone(tree, "kubepods/pod1234abcd/0123456789abcdef0123", "5", "1", "max 0");
        var second = await Collect(collector);

        Assert.Equal(first.Zones, second.Zones.Where(z => z.Id.StartsWith("/system.slice", StringComparison.Ordinal)));
        var container = Assert.Single(second.Zones, z => z.Id.StartsWith("/kubepods/pod1234abcd/", StringComparison.Ordinal));
        Assert.Equal(CgroupPathMapper.Map(container.Id), new CgroupOwner(container.Name, container.Unit, container.Container, container.Pod));
        Assert.Equal("0123456789ab", container.Name);
        Assert.Null(container.Container); // a Kubernetes container: no docker hint for it
    }

    [Fact]
    public async Task Real_pids_cgroups_read_the_same_natively_and_through_the_managed_defaults()
    {
        Assert.True(File.Exists("/sys/fs/cgroup/pids/cgroup.procs"), "this machine kind has the v1 pids hierarchy at /sys/fs/cgroup/pids");
        var name = "lwpw-test-" + Guid.NewGuid().ToString("N")[..10];
        var top = Path.Combine("/sys/fs/cgroup/pids", name);
        using var view = new TempTree();
        try
        {
            Directory.CreateDirectory(Path.Combine(top, "capped", "leaf"));
            Directory.CreateDirectory(Path.Combine(top, "open"));
            File.WriteAllText(Path.Combine(top, "capped", "pids.max"), "7");
            Directory.CreateSymbolicLink(Path.Combine(view.Root, "pids"), top);
            var settings = new LinuxSettings { CgroupRoot = view.Root };

            var fast = await Collect(new CgroupPidsCollector(Live, settings));
            var slow = await Collect(new CgroupPidsCollector(new PathOnlySource(Live), settings));

            Assert.Equal(slow.Zones, fast.Zones);
            Assert.Equal(3, fast.Zones.Length);
            Assert.Equal(7, Assert.Single(fast.Zones, z => z.Id == "/capped").LwpLimit);
            Assert.Empty(fast.Warnings);
        }
        finally
        {
            foreach (var d in new[] { "capped/leaf", "capped", "open", string.Empty })
            {
                var p = Path.Combine(top, d);
                if (Directory.Exists(p))
                {
                    Directory.Delete(p);
                }
            }
        }
    }

    private static void Zone(TempTree tree, string rel, string max, string current, string events)
    {
        tree.File(rel + "/pids.max", max + "\n");
        tree.File(rel + "/pids.current", current + "\n");
        tree.File(rel + "/pids.events", events.EndsWith('\n') ? events : events + "\n");
    }

    private static async Task<(Core.Model.Zone[] Zones, string[] Warnings)> Collect(CgroupPidsCollector collector)
    {
        var draft = new SnapshotDraft { TakenAt = DateTimeOffset.UnixEpoch, Host = "t", Platform = "linux" };
        var c = await collector.CollectAsync(draft, CancellationToken.None);
        var zones = c.Zones.ToArray();
        Array.Sort(zones, (a, b) => string.CompareOrdinal(a.Id, b.Id));
        var warnings = c.Warnings.ToArray();
        Array.Sort(warnings, StringComparer.Ordinal);
        return (zones, warnings);
    }
}
