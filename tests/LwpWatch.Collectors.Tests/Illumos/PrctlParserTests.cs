using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class PrctlParserTests
{
    private const string Input = "prctl -P -n zone.max-lwps -i zone 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";

    [Fact]
    public void ParsesTheRawFixture()
    {
        var z = Assert.Single(PrctlParser.Parse(Fixture.Text("illumos/prctl-P-incident.txt"), Input));
        Assert.Equal(12, z.ZoneId);
        Assert.Equal("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", z.ZoneName);
        Assert.Equal(398, z.Usage);
        Assert.Equal(400, z.Limit);
        Assert.Equal(3, z.Values.Length);
    }

    [Fact]
    public void OneRunListsSeveralZonesAndNoPrivilegedCapMeansUnlimited()
    {
        var text = Fixture.Text("illumos/prctl-P-incident.txt")
            + "zone: 1: web\nzone.max-lwps usage 19 - - -\nzone.max-lwps system 2147483647 max deny -\n"
            + "zone: 2: two-caps\nzone.max-lwps privileged 900 - deny -\nzone.max-lwps privileged 800 - deny,signal=XCPU -\nzone.max-lwps privileged 100 - none -\n";
        var zones = PrctlParser.Parse(text, Input);
        Assert.Equal(3, zones.Length);
        Assert.Null(zones[1].Limit);
        Assert.Equal(19, zones[1].Usage);
        Assert.Equal(800, zones[2].Limit); // the lowest denying value; 'none' actions do not cap
        Assert.Null(zones[2].Usage);
    }

    [Theory]
    [InlineData("illumos/prctl-human-default.txt")]
    [InlineData("illumos/prctl-human-incident.txt")]
    public void HumanOutputIsRefusedNeverReadForNumbers(string fixture)
    {
        var ex = Assert.Throws<ParseException>(() => PrctlParser.Parse(Fixture.Text(fixture), Input));
        Assert.Contains("run prctl with -P", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AtCapStderrIsRecognised()
    {
        var f = Assert.Single(PrctlParser.ParseFailures(Fixture.Text("illumos/prctl-at-cap-stderr.txt")));
        Assert.True(f.AtCap);
        Assert.Equal("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", f.Target);
        var other = Assert.Single(PrctlParser.ParseFailures("prctl: nosuchzone: No such zone\n"));
        Assert.False(other.AtCap);
        Assert.Equal("nosuchzone", other.Target);
    }

    [Fact]
    public void EmptyOutputHasNoZones() => Assert.Empty(PrctlParser.Parse("", Input));

    [Theory]
    [InlineData("zone.max-lwps usage 398 - - -\n", "before any")]
    [InlineData("zone: x: name\nzone.max-lwps usage 1 - - -\n", "zone id")]
    [InlineData("zone: 12\nzone.max-lwps usage 1 - - -\n", "header")]
    [InlineData("zone: 12: z\n", "no value lines")]
    [InlineData("zone: 12: z\nzone.max-lwps usage 398 - -\n", "got 5")]
    [InlineData("zone: 12: z\nzone.max-lwps usage 398 - - - x\n", "got 7")]
    [InlineData("zone: 12: z\nzone.max-lwps privileged 2.00K - deny -\n", "not a non-negative integer")]
    [InlineData("zone: 12: z\nzone.max-lwps root 400 - deny -\n", "unknown privilege")]
    public void MalformedInputIsANamedParseError(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => PrctlParser.Parse(text, Input));
        Assert.Equal(Input, ex.Input);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }
}
