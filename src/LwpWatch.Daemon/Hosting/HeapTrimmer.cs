namespace LwpWatch.Daemon.Hosting;

/// <summary>
/// Gives the memory a poll freed back to the node after the poll. Measured with bench/footprint-style runs at
/// 1,000 zones and a 10 s interval (bench/RESULTS.md, "Memory, fifth set"): without it the native daemon's
/// anonymous memory climbed from 17 to 30 MB in 15 minutes while its live heap stayed under 8 MB; the GC kept
/// the space of dead objects committed (older generations grow between their own collections, and freed regions
/// are decommitted only lazily). An aggressive collection (blocking, compacting, decommitting every free region)
/// once the poll is done holds it at 15.5 MB for ~10 ms of CPU per poll. It runs on the poll loop, after the
/// poll's observers, when the loop would sleep anyway; a scrape in that moment waits for the pause, which at this
/// heap size is a few milliseconds.
/// </summary>
public sealed class HeapTrimmer(TimeProvider clock, TimeSpan minGap, Action? collect = null)
{
    /// <summary>At most one trim per 5 s: at a short interval (a test host, a fast replay) a trim per poll would
    /// cost more than the little a few polls can leave behind, in a process whose heap may not be the daemon's alone.</summary>
    public static readonly TimeSpan DefaultMinGap = TimeSpan.FromSeconds(5);

    private readonly Action _collect = collect ?? Collect;
    private long _last = long.MinValue;
    private long _trims;

    public long Trims => Interlocked.Read(ref _trims);

    /// <summary>Called by the poll loop after each poll; trims unless the last trim is less than minGap ago.</summary>
    public void AfterPoll()
    {
        var now = clock.GetTimestamp();
        if (_last != long.MinValue && clock.GetElapsedTime(_last, now) < minGap)
        {
            return;
        }

        _last = now;
        _collect();
        Interlocked.Increment(ref _trims);
    }

    /// <summary>A full blocking collection that compacts and returns every free region to the OS.</summary>
    public static void Collect() => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}
