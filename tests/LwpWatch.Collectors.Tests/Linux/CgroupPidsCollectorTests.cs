using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Tests.Support;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Tests.Linux;

public sealed class CgroupPidsCollectorTests
{
    private static readonly SnapshotDraft Draft = new() { TakenAt = DateTimeOffset.UnixEpoch, Host = "h", Platform = "linux" };

    private static Contribution Collect(string root, InterceptingHostSource? io = null, bool includeUnlimited = true) =>
        new CgroupPidsCollector(io ?? new InterceptingHostSource(), new LinuxSettings { CgroupRoot = root, IncludeUnlimited = includeUnlimited })
            .CollectAsync(Draft, CancellationToken.None).Result;

    [Fact]
    public void V1_pids_hierarchy_fixture()
    {
        var c = Collect(FixturePaths.Of("linux", "cgroup-v1"));
        var stuck = c.Zones.Single(z => z.Id == "/stuck");
        Assert.Equal((20L, 20L, 31L, 20L), (stuck.Lwps!.Value, stuck.LwpLimit!.Value, stuck.Denials!.Value, stuck.Peak!.Value));
        Assert.Equal(ZoneKind.Cgroup, stuck.Kind);
        Assert.EndsWith("/cgroup-v1/pids/stuck", stuck.CgroupPath, StringComparison.Ordinal);

        var web = c.Zones.Single(z => z.Id == "/system.slice/web.service");
        Assert.Null(web.LwpLimit);
        Assert.Equal(57, web.Lwps);
        Assert.Equal("web.service", web.Unit);
        Assert.Equal("web.service", web.Name);
    }

    [Fact]
    public void V2_unified_fixture_with_a_pod_limit_and_an_unlimited_container()
    {
        var c = Collect(FixturePaths.Of("linux", "cgroup-v2"));
        var pod = c.Zones.Single(z => z.Id == "/kubepods.slice/kubepods-pod1a2b.slice");
        Assert.Equal((311L, 1024L, 0L), (pod.Lwps!.Value, pod.LwpLimit!.Value, pod.Denials!.Value));
        Assert.Equal("1a2b", pod.Pod);
        var ctr = c.Zones.Single(z => z.Id.EndsWith("cri-containerd-0f3e.scope", StringComparison.Ordinal));
        Assert.Equal("0f3e", ctr.Name);
        Assert.Null(ctr.Container); // containerd under Kubernetes: shown by id, never given a docker hint
        Assert.Null(ctr.LwpLimit);
        var svc = c.Zones.Single(z => z.Id == "/system.slice/stuck-notify.service");
        Assert.Equal((20L, 20L, 31L), (svc.Lwps!.Value, svc.LwpLimit!.Value, svc.Denials!.Value));
        Assert.Equal("stuck-notify.service", svc.Unit);
    }

    [Fact]
    public void Unlimited_cgroups_can_be_left_out() =>
        Assert.DoesNotContain(Collect(FixturePaths.Of("linux", "cgroup-v1"), includeUnlimited: false).Zones, z => z.LwpLimit is null);

    [Fact]
    public void A_cgroup_removed_mid_poll_is_skipped_not_an_error()
    {
        var root = FixturePaths.CopyTree("linux", "cgroup-v1");
        try
        {
            var io = new InterceptingHostSource(path =>
            {
                if (path.EndsWith("/stuck/pids.current", StringComparison.Ordinal))
                {
                    Directory.Delete(Path.Combine(root, "pids", "stuck"), recursive: true);
                }
            });
            var c = Collect(root, io);
            Assert.DoesNotContain(c.Zones, z => z.Id == "/stuck");
            Assert.Contains(c.Zones, z => z.Id == "/system.slice/web.service");
            Assert.Empty(c.Warnings);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_garbled_file_is_a_named_warning_and_the_other_cgroups_are_still_read()
    {
        var root = FixturePaths.CopyTree("linux", "cgroup-v1");
        try
        {
            File.WriteAllText(Path.Combine(root, "pids", "stuck", "pids.current"), "twenty\n");
            var c = Collect(root);
            Assert.DoesNotContain(c.Zones, z => z.Id == "/stuck");
            Assert.Contains(c.Zones, z => z.Id == "/system.slice/web.service");
            var w = Assert.Single(c.Warnings);
            Assert.Contains("stuck/pids.current: expected a non-negative integer, got 'twenty'", w, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void No_pids_hierarchy_at_all_fails_the_collector_with_a_clear_message()
    {
        var ex = Assert.Throws<IOException>(() => Collect("/nonexistent-root"));
        Assert.Contains("no cgroup pids hierarchy under /nonexistent-root", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Peak_is_read_where_a_cap_is_at_stake_and_left_unknown_elsewhere()
    {
        using var tree = new Io.TempTree();
        tree.File("cgroup.controllers", "pids\n");
        PeakZone(tree, "calm", "40", "10", "max 0", "12");          // capped, a quarter of its cap, never refused
        PeakZone(tree, "half", "40", "20", "max 0", "25");          // at half its cap: read
        PeakZone(tree, "odd", "9", "5", "max 0", "6");              // 5 of 9 rounds up to half: read
        PeakZone(tree, "below", "9", "4", "max 0", "6");            // 4 of 9: not
        PeakZone(tree, "refused", "40", "5", "max 3", "40");        // refused once, now calm: read
        PeakZone(tree, "lowered", "10", "30", "max 0", "30");       // cap lowered below its usage: read
        PeakZone(tree, "unlimited", "max", "100", "max 0", "150");  // no cap to size: not
        var io = new InterceptingHostSource();

        var c = Collect(tree.Root, io);

        long? Peak(string id) => c.Zones.Single(z => z.Id == "/" + id).Peak;
        Assert.Equal([null, 25L, 6L, null, 40L, 30L, null], new[] { "calm", "half", "odd", "below", "refused", "lowered", "unlimited" }.Select(Peak));
        var peakReads = io.Reads.Where(r => r.EndsWith("/pids.peak", StringComparison.Ordinal)).Select(r => r[(tree.Root.Length + 1)..]).Order(StringComparer.Ordinal);
        Assert.Equal(["half/pids.peak", "lowered/pids.peak", "odd/pids.peak", "refused/pids.peak"], peakReads);
        Assert.Equal(7, c.Zones.Length); // every zone's usage, cap and refusals are still read
    }

    [Fact]
    public void A_v1_hierarchy_never_tries_pids_events_local_and_a_v2_one_does()
    {
        // v1 has no such file (the kernel adds it to the v2 cftypes only): trying it would be a failed open per cgroup.
        var v1 = new InterceptingHostSource();
        Collect(FixturePaths.Of("linux", "cgroup-v1"), v1);
        var v2 = new InterceptingHostSource();
        Collect(FixturePaths.Of("linux", "cgroup-v2"), v2);

        Assert.DoesNotContain(v1.Reads, r => r.EndsWith("/pids.events.local", StringComparison.Ordinal));
        Assert.Contains(v1.Reads, r => r.EndsWith("/pids.events", StringComparison.Ordinal));
        Assert.Contains(v2.Reads, r => r.EndsWith("/pids.events.local", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(10L, 4L, 0L, null, false)]
    [InlineData(10L, 5L, 0L, null, true)]
    [InlineData(1L, 0L, 0L, null, false)]
    [InlineData(1L, 1L, 0L, null, true)]
    [InlineData(0L, 0L, 0L, null, true)]      // a cap of 0: nothing may start, every task is at stake
    [InlineData(100L, 1L, 0L, 2L, true)]      // refusals counted only locally (pids.events.local)
    [InlineData(long.MaxValue, 0L, 0L, null, false)] // no overflow at the largest cap a hostile replay can carry
    [InlineData(null, 1000L, 5L, null, false)]
    public void Needs_peak_boundaries(long? max, long current, long events, long? local, bool expected) =>
        Assert.Equal(expected, CgroupPidsCollector.NeedsPeak(max, current, events, local));

    private static void PeakZone(Io.TempTree tree, string rel, string max, string current, string events, string peak)
    {
        tree.File(rel + "/pids.max", max + "\n");
        tree.File(rel + "/pids.current", current + "\n");
        tree.File(rel + "/pids.events", events + "\n");
        tree.File(rel + "/pids.peak", peak + "\n");
    }

    private static CgroupPidsCollector.Node N(int parent, long? max, long events, long? local = null) =>
        new("/x", "/x", parent, max, 0, null, events, local);

    [Fact]
    public void Forking_cgroup_refusals_belong_to_the_nearest_capped_cgroup_and_unlimited_ones_report_their_subtree()
    {
        // 0 root-slice (unlimited) > 1 service (cap 20) > 2 child (unlimited, where the task forked: 41)
        //                           > 3 other (cap 10, own 5)
        var d = CgroupPidsCollector.AttributeDenials([N(-1, null, 0), N(0, 20, 0), N(1, null, 41), N(0, 10, 5)], PidsEventsSemantics.ForkingCgroup);
        Assert.Equal([46L, 41L, 41L, 5L], d);
    }

    [Fact]
    public void Limiting_cgroup_refusals_are_each_capped_cgroups_own_local_count()
    {
        // pod (cap 100): hierarchical 7 = own 3 + container (cap 10) 4; an unlimited sidecar reports its subtree (0)
        var d = CgroupPidsCollector.AttributeDenials([N(-1, 100, 7, 3), N(0, 10, 4, 4), N(0, null, 0, 0)], PidsEventsSemantics.LimitingCgroup);
        Assert.Equal([3L, 4L, 0L], d);
    }

    [Fact]
    public void Limiting_cgroup_without_a_local_file_falls_back_to_value_minus_children()
    {
        var d = CgroupPidsCollector.AttributeDenials([N(-1, 100, 7), N(0, 10, 4), N(0, null, 0)], PidsEventsSemantics.LimitingCgroup);
        Assert.Equal([3L, 4L, 0L], d);
    }
}
