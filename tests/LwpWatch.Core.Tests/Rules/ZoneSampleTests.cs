using System.Runtime.CompilerServices;
using CsCheck;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class ZoneSampleTests
{
    private static readonly DateTimeOffset T = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Is_32_bytes_so_the_history_costs_what_its_comment_says()
    {
        Assert.Equal(32, Unsafe.SizeOf<ZoneSample>());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(4_194_304L)] // PID_MAX_LIMIT on 64-bit Linux: the largest pids.max/pids.current
    [InlineData(2_147_483_647L)] // INT_MAX: the largest zone.max-lwps
    public void Real_usage_and_caps_round_trip_exactly(long value)
    {
        var s = new ZoneSample(T, value, value, value, value);
        Assert.Equal(value, s.Lwps);
        Assert.Equal(value, s.LwpLimit);
        Assert.Equal(value, s.Denials);
        Assert.Equal(value, s.MemoryFailures);
        Assert.Equal(T, s.At);
    }

    [Theory]
    [InlineData(2_147_483_648L, 2_147_483_647L)]
    [InlineData(long.MaxValue, 2_147_483_647L)]
    [InlineData(-2_147_483_648L, -2_147_483_647L)] // int.MinValue is the unknown marker: must not read as null
    [InlineData(long.MinValue, -2_147_483_647L)]
    [InlineData(-5L, -5L)]
    public void Usage_and_cap_beyond_int_saturate_instead_of_wrapping(long value, long expected)
    {
        var s = new ZoneSample(T, value, value, null, null);
        Assert.Equal(expected, s.Lwps);
        Assert.Equal(expected, s.LwpLimit);
    }

    [Fact]
    public void Counters_keep_64_bits_and_never_turn_unknown()
    {
        var s = new ZoneSample(T, null, null, long.MaxValue, long.MinValue);
        Assert.Equal(long.MaxValue, s.Denials);
        Assert.Equal(long.MinValue + 1, s.MemoryFailures);
        Assert.Equal(5_000_000_000L, new ZoneSample(T, null, null, 5_000_000_000L, null).Denials);
    }

    [Fact]
    public void Unknown_round_trips_as_unknown_in_every_field_and_across_a_shift()
    {
        var s = new ZoneSample(T, null, null, null, null).Shifted(TimeSpan.FromMinutes(-3).Ticks);
        Assert.Null(s.Lwps);
        Assert.Null(s.LwpLimit);
        Assert.Null(s.Denials);
        Assert.Null(s.MemoryFailures);
        Assert.Equal(T.AddMinutes(-3), s.At);
    }

    [Fact]
    public void Any_value_reads_back_unknown_only_when_it_was_unknown_and_otherwise_clamped()
    {
        // null, near the int edges (where saturation starts) and anywhere in long
        var value = Gen.Select(Gen.Int[0, 3], Gen.Long, (k, v) => k switch
        {
            0 => (long?)null,
            1 => v % 5_000_000_000L,
            _ => v,
        });
        Gen.Select(value, value, value, value).Sample((lwps, limit, denials, failures) =>
        {
            var s = new ZoneSample(T, lwps, limit, denials, failures).Shifted(1);
            return s.Lwps == Clamp(lwps, -int.MaxValue, int.MaxValue)
                && s.LwpLimit == Clamp(limit, -int.MaxValue, int.MaxValue)
                && s.Denials == Clamp(denials, long.MinValue + 1, long.MaxValue)
                && s.MemoryFailures == Clamp(failures, long.MinValue + 1, long.MaxValue)
                && s.TicksUtc == T.UtcTicks + 1;
        });
    }

    private static long? Clamp(long? v, long min, long max) => v is { } x ? Math.Clamp(x, min, max) : null;
}
