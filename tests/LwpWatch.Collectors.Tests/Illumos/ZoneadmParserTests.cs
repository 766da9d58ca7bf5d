using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class ZoneadmParserTests
{
    [Fact]
    public void ParsesTheFixture()
    {
        var zones = ZoneadmParser.Parse(Fixture.Text("illumos/zoneadm-list-pc.txt"));
        Assert.Equal(4, zones.Length);
        Assert.Equal(new ZoneadmEntry(0, "global", "running", "/", null, "liveimg", "shared"), zones[0]);
        Assert.Equal(12, zones[2].Id);
        Assert.Equal("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", zones[2].Name);
        Assert.Equal("/zones/9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", zones[2].ZonePath);
        Assert.Equal("joyent", zones[2].Brand);
        Assert.Null(zones[3].Id);
        Assert.Equal("installed", zones[3].State);
    }

    [Fact]
    public void UnescapesColonsAndBackslashesInZonepath()
    {
        var z = Assert.Single(ZoneadmParser.Parse("3:web:running:/zones/a\\:b\\\\c:uuid-1:ipkg:shared:3\n"));
        Assert.Equal("/zones/a:b\\c", z.ZonePath);
        Assert.Equal("uuid-1", z.Uuid);
    }

    [Fact]
    public void AcceptsTheOlderSevenFieldForm()
    {
        var z = Assert.Single(ZoneadmParser.Parse("0:global:running:/::native:shared"));
        Assert.Equal("shared", z.IpType);
    }

    [Theory]
    [InlineData("", "empty output")]
    [InlineData("0:global:running:/", "got 4")]
    [InlineData("0:global:running:/::liveimg:shared:0:extra", "got 9")]
    [InlineData("x:global:running:/::liveimg:shared:0", "zone id")]
    [InlineData("-1:global:running:/::liveimg:shared:0", "zone id")]
    [InlineData("0::running:/::liveimg:shared:0", "empty zone name")]
    [InlineData("0:global:sleeping:/::liveimg:shared:0", "unknown zone state")]
    [InlineData("0:global:running:zones/a::liveimg:shared:0", "not absolute")]
    [InlineData("0:global:running:/zones/a\\", "escape")]
    [InlineData("0:global:running:/::liveimg:shared:0\n0:global:running:/::liveimg:shared:0", "listed twice")]
    public void MalformedInputIsANamedParseError(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => ZoneadmParser.Parse(text));
        Assert.Equal(ZoneadmParser.Command, ex.Input);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }
}
