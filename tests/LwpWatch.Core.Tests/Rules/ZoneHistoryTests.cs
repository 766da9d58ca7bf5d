using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class ZoneHistoryTests
{
    private static long?[] Lwps(ZoneHistory h, string id)
    {
        var result = new List<long?>();
        foreach (var s in h.Of(id))
        {
            result.Add(s.Lwps);
        }

        return [.. result];
    }

    [Fact]
    public void Keeps_each_zone_in_order_and_forgets_what_leaves_the_window()
    {
        var h = new ZoneHistory(TimeSpan.FromSeconds(60));
        for (var i = 0; i < 10; i++)
        {
            h.Add(Z.Snap(i * 15, Z.Cg("/a", i, 100, i * 2), Z.Cg("/b", 50, null)));
        }

        Assert.Equal(5, h.Polls); // 75..135 s
        Assert.Equal([5L, 6L, 7L, 8L, 9L], Lwps(h, "/a"));
        var last = h.Of("/a")[^1];
        Assert.Equal(Z.T0.AddSeconds(135), last.At);
        Assert.Equal(100, last.LwpLimit);
        Assert.Equal(18, last.Denials);
        Assert.Null(h.Of("/b")[^1].LwpLimit);
        Assert.Equal(Z.T0.AddSeconds(75), h.FirstAt);
    }

    [Fact]
    public void A_zone_that_is_gone_is_dropped_once_its_samples_age_out()
    {
        var h = new ZoneHistory(TimeSpan.FromSeconds(30));
        h.Add(Z.Snap(0, Z.Cg("/gone", 1, 10), Z.Cg("/stays", 1, 10)));
        h.Add(Z.Snap(15, Z.Cg("/stays", 2, 10)));
        Assert.Equal(2, h.Zones);
        Assert.Equal([1L], Lwps(h, "/gone"));
        h.Add(Z.Snap(45, Z.Cg("/stays", 3, 10)));
        Assert.Equal(1, h.Zones);
        Assert.True(h.Of("/gone").IsEmpty);
        Assert.Equal([2L, 3L], Lwps(h, "/stays"));
    }

    [Fact]
    public void Bounded_by_poll_count_as_well_as_time()
    {
        var h = new ZoneHistory(TimeSpan.FromHours(1), maxPolls: 8);
        for (var i = 0; i < 100; i++)
        {
            h.Add(Z.Snap(i, Z.Cg("/a", i, 1000)));
        }

        Assert.Equal(8, h.Polls);
        Assert.Equal([92L, 93L, 94L, 95L, 96L, 97L, 98L, 99L], Lwps(h, "/a"));
    }

    [Fact]
    public void A_clock_jump_back_starts_again_from_that_poll()
    {
        var h = new ZoneHistory(TimeSpan.FromMinutes(10));
        h.Add(Z.Snap(100, Z.Cg("/a", 1, 10)));
        h.Add(Z.Snap(115, Z.Cg("/a", 2, 10)));
        h.Add(Z.Snap(30, Z.Cg("/a", 3, 10)));
        Assert.Equal(1, h.Polls);
        Assert.Equal([3L], Lwps(h, "/a"));
    }

    [Fact]
    public void Unknown_counters_stay_unknown_not_zero()
    {
        var zone = Z.Cg("/a", null, null, null) with { Pressure = new ZonePressure { MemoryFailures = 4 } };
        var h = ZoneHistory.Of([Z.Snap(0, zone)], TimeSpan.MaxValue);
        var s = h.Of("/a")[0];
        Assert.Null(s.Lwps);
        Assert.Null(s.LwpLimit);
        Assert.Null(s.Denials);
        Assert.Equal(4, s.MemoryFailures);
        Assert.Equal(0, new ZoneSample(Z.T0, 0, 0, 0, 0).Lwps);
    }

    [Fact]
    public void Replay_rebuilds_each_poll_with_its_own_counters_and_only_services_in_transition()
    {
        var stuck = new ServiceState { ZoneId = "/a", Name = "x.service", State = "activating", InTransition = true };
        var fine = new ServiceState { ZoneId = "/a", Name = "y.service", State = "active" };
        var h = new ZoneHistory(TimeSpan.FromMinutes(10));
        h.Add(Z.Snap(0, Z.Cg("/a", 5, 10, 0)) with { Services = [stuck, fine] });
        h.Add(Z.Snap(15, Z.Cg("/a", 7, 10, 1), Z.Cg("/b", 1, null)) with { Services = [fine] });
        h.Add(Z.Snap(30, Z.Cg("/b", 2, null)));

        var polls = h.Replay().ToList();
        Assert.Equal([0.0, 15, 30], polls.Select(p => (p.TakenAt - Z.T0).TotalSeconds));
        Assert.Equal([5L], polls[0].Zones.Select(z => z.Lwps!.Value));
        Assert.Equal(["/a", "/b"], polls[1].Zones.Select(z => z.Id).Order(StringComparer.Ordinal));
        Assert.Equal(1, polls[1].FindZone("/a")!.Denials);
        Assert.Equal("/sys/fs/cgroup/pids/a", polls[1].FindZone("/a")!.CgroupPath);
        Assert.Equal(["/b"], polls[2].Zones.Select(z => z.Id));
        Assert.Same(stuck, Assert.Single(polls[0].Services));
        Assert.Empty(polls[1].Services);
    }

    [Fact]
    public void Replay_gives_two_polls_stamped_alike_their_own_samples()
    {
        var h = ZoneHistory.Of([Z.Snap(0, Z.Cg("/a", 1, 10)), Z.Snap(0, Z.Cg("/a", 2, 10))], TimeSpan.MaxValue);
        Assert.Equal([1L, 2L], h.Replay().Select(p => p.Zones.Single().Lwps!.Value));
    }

    [Fact]
    public void Shift_moves_polls_and_samples_together()
    {
        var h = ZoneHistory.Of([Z.Snap(0, Z.Cg("/a", 1, 10)), Z.Snap(20, Z.Cg("/a", 2, 10))], TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.FromSeconds(20), h.LastInterval);
        h.Shift(TimeSpan.FromMinutes(-5));
        Assert.Equal(Z.T0.AddMinutes(-5), h.FirstAt);
        Assert.Equal(Z.T0.AddMinutes(-5).AddSeconds(20), h.Of("/a")[^1].At);
        Assert.Equal(2, h.Of("/a")[^1].Lwps);
    }

    [Fact]
    public void Windows_longer_than_all_time_do_not_overflow()
    {
        var h = ZoneHistory.Of([Z.Snap(0, Z.Cg("/a", 1, 2)), Z.Snap(1, Z.Cg("/a", 2, 2))], TimeSpan.MaxValue);
        Assert.Equal(2, h.Polls);
    }
}
