using LwpWatch.Collectors.Linux;
using Xunit;

namespace LwpWatch.Collectors.Tests.Linux;

public class SystemdBusParserTests
{
    [Fact]
    public void ListUnits_from_a_real_systemd_252()
    {
        var units = SystemdBusParser.ParseListUnits(MemoryHost.Fixture("list-units.json"), "t");
        Assert.True(units.Length > 50);
        var u = Assert.Single(units, x => x.Name == "stuck-notify.service");
        Assert.Equal(("loaded", "activating", "start", "/org/freedesktop/systemd1/unit/stuck_2dnotify_2eservice"), (u.LoadState, u.ActiveState, u.SubState, u.ObjectPath));
        Assert.True(u.InTransition);
        Assert.False(Assert.Single(units, x => x.Name == "-.slice").InTransition);
    }

    [Fact]
    public void GetAll_of_a_capped_unit()
    {
        var d = SystemdBusParser.ParseProperties(MemoryHost.Fixture("getall-stuck-notify.json"), "t");
        Assert.Equal("activating", d.ActiveState);
        Assert.Equal("start", d.SubState);
        Assert.Equal(1126388562UL, d.StateChangeMonotonicUs);
        Assert.Equal(1126388562UL, d.StartMonotonicUs); // InactiveExitTimestampMonotonic: still activating since its start
        Assert.Equal("/system.slice/stuck-notify.service", d.ControlGroup);
        Assert.Equal(20, d.TasksCurrent);
        Assert.Equal(20, d.TasksMax);
        Assert.Contains("sysinit.target", d.Dependencies);
        Assert.NotNull(d.MainPid);
    }

    [Fact]
    public void Infinity_unset_empty_and_zero_are_null()
    {
        var slice = SystemdBusParser.ParseProperties(MemoryHost.Fixture("getall-root-slice.json"), "t");
        Assert.Null(slice.TasksMax); // 18446744073709551615 = infinity
        Assert.Equal(27, slice.TasksCurrent);
        var missing = SystemdBusParser.ParseProperties(MemoryHost.Fixture("getall-apt-daily.json"), "t");
        Assert.Null(missing.TasksCurrent); // 2^64-1 = not set
        Assert.Null(missing.ControlGroup); // ""
        Assert.Null(missing.StateChangeMonotonicUs); // 0 = never
        Assert.Null(missing.StartMonotonicUs); // never started: InactiveExitTimestampMonotonic 0
    }

    [Theory]
    [InlineData("", "empty reply")]
    [InlineData("{\"type\":\"a(ssssssouso)\"", "not JSON")]
    [InlineData("{\"type\":\"as\",\"data\":[[]]}", "expected D-Bus signature a(ssssssouso), got as")]
    [InlineData("{\"type\":\"a(ssssssouso)\",\"data\":[[[\"a\",\"b\"]]]}", "unit #1: expected a 10-field struct")]
    [InlineData("{\"type\":\"a(ssssssouso)\",\"data\":[[[1,\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",0,\"\",\"/\"]]]}", "unit #1: expected a string")]
    [InlineData("{\"type\":\"a(ssssssouso)\"}", "no \"data\" member")]
    public void Bad_ListUnits_is_a_named_error(string json, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => SystemdBusParser.ParseListUnits(json, "D-Bus ListUnits"));
        Assert.StartsWith("D-Bus ListUnits: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"type\":\"a{sv}\",\"data\":[{\"TasksMax\":{\"type\":\"s\",\"data\":\"x\"}}]}", "TasksMax: expected type t or u, got s")]
    [InlineData("{\"type\":\"a{sv}\",\"data\":[{\"TasksMax\":{\"type\":\"t\",\"data\":-1}}]}", "TasksMax: not an unsigned integer")]
    [InlineData("{\"type\":\"a{sv}\",\"data\":[{\"ControlGroup\":{\"type\":\"as\",\"data\":[]}}]}", "ControlGroup: expected type s, got as")]
    [InlineData("{\"type\":\"a{sv}\",\"data\":[{\"ControlGroup\":5}]}", "ControlGroup: expected a variant")]
    [InlineData("{\"type\":\"a{sv}\",\"data\":[]}", "one-element array")]
    public void Bad_GetAll_is_a_named_error(string json, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => SystemdBusParser.ParseProperties(json, "D-Bus GetAll"));
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Uptime_and_monotonic_to_wall_time()
    {
        Assert.Equal(745.27, SystemdBusParser.ParseUptimeSeconds("745.27 1010.65\n", "t"));
        Assert.Throws<ParseException>(() => SystemdBusParser.ParseUptimeSeconds("abc 1", "/proc/uptime"));
        var now = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
        // LINUX-TESTING.md: stamp 4392068330 us with uptime 4396.8 s = changed 4.73 s ago
        Assert.Equal(now.AddMicroseconds(-4_731_670), SystemdBusParser.WallTimeOf(4392068330, 4396.8, now));
        Assert.Equal(now, SystemdBusParser.WallTimeOf(5_000_000_000, 4396.8, now));
    }
}
