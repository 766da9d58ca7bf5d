using System.Runtime.InteropServices;

namespace LwpWatch.Core.Rules;

/// <summary>
/// One zone at one poll, as the rules' history keeps it: the counters trend and window rules look back at,
/// nothing else. 32 bytes instead of a whole <see cref="Model.Zone"/> per poll; the history keeps ~61 of them
/// per zone (10 minutes at 10 s), so every byte here is ~61 KB at 1,000 zones.
/// </summary>
/// <remarks>
/// Usage and cap are stored as 32-bit because no real one exceeds it:
/// <list type="bullet">
/// <item>Linux: pids.max accepts only 0 &lt;= limit &lt; PIDS_MAX = PID_MAX_LIMIT + 1, else EINVAL, and "max" is
/// unlimited, which we already hold as null (torvalds/linux kernel/cgroup/pids.c pids_max_write, commit
/// 1765a153d985c231357145e26798f9408db10e42); PID_MAX_LIMIT is at most 4 * 1024 * 1024 (include/linux/threads.h,
/// e.g. commit 0a1340c185734a57fbf4775927966ad4a1347b02, unchanged in later kernels).
/// pids.current counts tasks, and every task holds a pid no greater than pid_max &lt;= PID_MAX_LIMIT, so it stays
/// below that bound too even where an attach pushes it past pids.max.</item>
/// <item>illumos: zone.max-lwps and zone.max-processes are registered with a maximum of INT_MAX
/// (illumos/illumos-gate usr/src/uts/common/os/zone.c, rctl_register in zone_init, commit
/// 81d43577d1b5e76e6016ba642ecc1a76fde43021): no cap exceeds int, and the count it caps is refused at the cap.</item>
/// </list>
/// A value outside int (only a hostile or corrupt replay bundle can carry one) saturates to the nearest value we can
/// hold, never wraps (a wrapped usage would read as a small or negative count) and never throws (one bad zone must
/// not blind the host). int.MinValue means "unknown", so saturation stops at -int.MaxValue, and a 64-bit counter of
/// long.MinValue is held as long.MinValue + 1: a known value never reads back as unknown. Denials and memory failures
/// stay 64-bit: pids.events max is an atomic64_t counter (same pids.c) that only grows, and a counter that lost its
/// high bits would read as a reset.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
public readonly struct ZoneSample
{
    // "Not known this poll" without Nullable's padding: no real counter reaches MinValue.
    private const long Unknown = long.MinValue;
    private const int UnknownCount = int.MinValue;

    private readonly long _ticksUtc;
    private readonly long _denials;
    private readonly long _memoryFailures;
    private readonly int _lwps;
    private readonly int _limit;

    public ZoneSample(DateTimeOffset at, long? lwps, long? lwpLimit, long? denials, long? memoryFailures)
    {
        _ticksUtc = at.UtcTicks;
        _lwps = Narrow(lwps);
        _limit = Narrow(lwpLimit);
        _denials = Keep(denials);
        _memoryFailures = Keep(memoryFailures);
    }

    private ZoneSample(long ticksUtc, ZoneSample other)
    {
        _ticksUtc = ticksUtc;
        _lwps = other._lwps;
        _limit = other._limit;
        _denials = other._denials;
        _memoryFailures = other._memoryFailures;
    }

    public DateTimeOffset At => new(_ticksUtc, TimeSpan.Zero);

    public long TicksUtc => _ticksUtc;

    public long? Lwps => _lwps == UnknownCount ? null : _lwps;

    public long? LwpLimit => _limit == UnknownCount ? null : _limit;

    public long? Denials => _denials == Unknown ? null : _denials;

    public long? MemoryFailures => _memoryFailures == Unknown ? null : _memoryFailures;

    /// <summary>The same sample moved in time (a clock step).</summary>
    public ZoneSample Shifted(long ticks) => new(_ticksUtc + ticks, this);

    private static int Narrow(long? value) => value switch
    {
        null => UnknownCount,
        > int.MaxValue => int.MaxValue,
        < -int.MaxValue => -int.MaxValue,
        { } v => (int)v,
    };

    private static long Keep(long? value) => value switch
    {
        null => Unknown,
        Unknown => Unknown + 1,
        { } v => v,
    };
}
