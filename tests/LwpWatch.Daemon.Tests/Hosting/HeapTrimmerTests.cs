using LwpWatch.Daemon.Hosting;

namespace LwpWatch.Daemon.Tests.Hosting;

public sealed class HeapTrimmerTests
{
    [Fact]
    public void Trims_after_the_first_poll_then_at_most_once_per_gap()
    {
        var clock = new ManualClock();
        var collections = 0;
        var trimmer = new HeapTrimmer(clock, TimeSpan.FromSeconds(5), () => collections++);

        trimmer.AfterPoll();
        Assert.Equal(1, collections);

        // Polls 1 s apart (a short interval): no trim until 5 s have passed since the last one.
        for (var i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            trimmer.AfterPoll();
        }

        Assert.Equal(1, collections);
        clock.Advance(TimeSpan.FromSeconds(1));
        trimmer.AfterPoll();
        Assert.Equal(2, collections);

        // At the daemon's usual 10 s interval every poll trims.
        clock.Advance(TimeSpan.FromSeconds(10));
        trimmer.AfterPoll();
        Assert.Equal(3, collections);
        Assert.Equal(3, trimmer.Trims);
    }

    [Fact]
    public void The_collection_is_full_blocking_and_compacting()
    {
        var before = GC.GetGCMemoryInfo(GCKind.FullBlocking).Index;
        HeapTrimmer.Collect();
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        Assert.True(info.Index > before, $"no full blocking GC after Collect (index {info.Index}, before {before})");
        Assert.Equal(2, info.Generation);
        Assert.True(info.Compacted);
    }

    /// <summary>A clock that moves only when told (the trimmer reads nothing but timestamps).</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
