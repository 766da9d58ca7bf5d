using System.Runtime.InteropServices;

namespace LwpWatch.Core.Rules;

/// <summary>
/// One zone at one poll, as the rules' history keeps it: the counters trend and window rules look back at,
/// nothing else. 40 bytes instead of a whole <see cref="Model.Zone"/> per poll, so 30 minutes of history over
/// 1,000 zones is ~7 MB rather than a copy of every snapshot.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct ZoneSample
{
    // "Not known this poll" without Nullable<long>'s padding: no real counter reaches long.MinValue.
    private const long Unknown = long.MinValue;

    private readonly long _ticksUtc;
    private readonly long _lwps;
    private readonly long _limit;
    private readonly long _denials;
    private readonly long _memoryFailures;

    public ZoneSample(DateTimeOffset at, long? lwps, long? lwpLimit, long? denials, long? memoryFailures)
    {
        _ticksUtc = at.UtcTicks;
        _lwps = lwps ?? Unknown;
        _limit = lwpLimit ?? Unknown;
        _denials = denials ?? Unknown;
        _memoryFailures = memoryFailures ?? Unknown;
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

    public long? Lwps => _lwps == Unknown ? null : _lwps;

    public long? LwpLimit => _limit == Unknown ? null : _limit;

    public long? Denials => _denials == Unknown ? null : _denials;

    public long? MemoryFailures => _memoryFailures == Unknown ? null : _memoryFailures;

    /// <summary>The same sample moved in time (a clock step).</summary>
    public ZoneSample Shifted(long ticks) => new(_ticksUtc + ticks, this);
}
