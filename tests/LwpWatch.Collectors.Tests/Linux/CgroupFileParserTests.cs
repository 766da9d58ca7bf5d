using LwpWatch.Collectors.Linux;

namespace LwpWatch.Collectors.Tests.Linux;

public sealed class CgroupFileParserTests
{
    [Theory]
    [InlineData("max\n", null)]
    [InlineData("20\n", 20L)]
    [InlineData("0", 0L)]
    public void Max(string text, long? expected) => Assert.Equal(expected, CgroupFileParser.ParseMax(text, "pids.max"));

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("12 13")]
    [InlineData("99999999999999999999999")]
    [InlineData("1.5")]
    public void Garbage_counts_are_named_parse_errors(string text)
    {
        var ex = Assert.Throws<ParseException>(() => CgroupFileParser.ParseCount(text, "/x/pids.current"));
        Assert.Equal("/x/pids.current", ex.Input);
        Assert.StartsWith("/x/pids.current: ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max 31\n", 31)]
    [InlineData("max 0", 0)]
    [InlineData("", 0)]
    [InlineData("max_forkfail 2\nmax 7\n", 7)]
    public void Events(string text, long expected) => Assert.Equal(expected, CgroupFileParser.ParseEventsMax(text, "pids.events"));

    [Theory]
    [InlineData("max")]
    [InlineData("max x")]
    [InlineData("max -3")]
    public void Garbage_events_are_named_parse_errors(string text) =>
        Assert.Throws<ParseException>(() => CgroupFileParser.ParseEventsMax(text, "pids.events"));

    [Fact]
    public void Pressure_some_avg10()
    {
        Assert.Equal(12.5, CgroupFileParser.ParsePressureSomeAvg10("some avg10=12.50 avg60=3.00 avg300=1.00 total=123\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", "cpu.pressure"));
        Assert.Throws<ParseException>(() => CgroupFileParser.ParsePressureSomeAvg10("some avg10=x", "cpu.pressure"));
    }
}
