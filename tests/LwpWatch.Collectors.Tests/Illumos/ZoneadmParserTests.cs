using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

/// <summary>zoneadm list -pc as illumos-gate zoneadm.c zone_print() writes it (Fixtures/illumos/SOURCE.md).</summary>
public sealed class ZoneadmParserTests
{
    [Fact]
    public void ParsesTheFixture()
    {
        var listing = ZoneadmParser.Parse(Fixture.Text("illumos/zoneadm-list-pc.txt"));
        var zones = listing.Zones;
        Assert.Empty(listing.Warnings);
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
    public void OnlyAColonIsEscapedABackslashIsPrintedRaw()
    {
        // zone_print() writes each ':' of the zonepath as "\:" and every other byte as itself.
        var z = Assert.Single(ZoneadmParser.Parse("3:web:running:/zones/a\\:b:uuid-1:ipkg:shared:3\n").Zones);
        Assert.Equal("/zones/a:b", z.ZonePath);
        Assert.Equal("uuid-1", z.Uuid);
        Assert.Equal("/zones/a\\b", Assert.Single(ZoneadmParser.Parse("3:web:running:/zones/a\\b:uuid-1:ipkg:shared:3\n").Zones).ZonePath);
        Assert.Equal("/zones/a\\\\c", Assert.Single(ZoneadmParser.Parse("3:web:running:/zones/a\\\\c:uuid-1:ipkg:shared:3\n").Zones).ZonePath);
        // A raw backslash before an escaped colon: the path a\:b is printed a\\:b.
        Assert.Equal("/zones/a\\:b", Assert.Single(ZoneadmParser.Parse("3:web:running:/zones/a\\\\:b:uuid-1:ipkg:shared:3\n").Zones).ZonePath);
    }

    [Fact]
    public void AcceptsTheOlderSevenFieldForm()
    {
        var z = Assert.Single(ZoneadmParser.Parse("0:global:running:/::native:shared").Zones);
        Assert.Equal("shared", z.IpType);
    }

    [Theory]
    [InlineData("0:global:running:/", "got 4")]
    [InlineData("x:global:running:/::liveimg:shared:0", "zone id")]
    [InlineData("-1:global:running:/::liveimg:shared:0", "zone id")]
    [InlineData("0::running:/::liveimg:shared:0", "not a valid zone name")]
    [InlineData("0:../etc:running:/::liveimg:shared:0", "not a valid zone name")]
    [InlineData("0:global:sleeping:/::liveimg:shared:0", "unknown zone state")]
    [InlineData("0:global:running:zones/a::liveimg:shared:0", "not absolute")]
    public void ABadLineIsAWarningNamingItsZoneAndTheOthersAreKept(string bad, string problem)
    {
        var listing = ZoneadmParser.Parse("0:global:running:/::liveimg:shared:0\n" + bad.Replace("global", "web", StringComparison.Ordinal) + "\n7:db:running:/zones/db:u:joyent:excl:7\n");
        Assert.Equal(["global", "db"], listing.Zones.Select(z => z.Name));
        var w = Assert.Single(listing.Warnings);
        Assert.Contains(problem, w, StringComparison.Ordinal);
        Assert.Contains("line 2", w, StringComparison.Ordinal);
        Assert.Contains("left out this poll", w, StringComparison.Ordinal);
    }

    [Fact]
    public void ATwiceListedZoneKeepsItsFirstLine()
    {
        var listing = ZoneadmParser.Parse("0:global:running:/::liveimg:shared:0\n3:a:running:/zones/a::joyent:excl:3\n4:a:running:/zones/b::joyent:excl:4\n");
        Assert.Equal("/zones/a", listing.Zones.Single(z => z.Name == "a").ZonePath);
        Assert.Contains("zone a: listed twice", Assert.Single(listing.Warnings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty output")]
    [InlineData("0:global:running:/\n", "no line could be read")]
    public void NothingReadableIsANamedParseError(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => ZoneadmParser.Parse(text));
        Assert.Equal(ZoneadmParser.Command, ex.Input);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void OracleSolarisElevenIsAClearError()
    {
        var ex = Assert.Throws<ParseException>(() => ZoneadmParser.Parse(RealSamples.Body("zoneadm/solaris11-facter-pr1329.txt")));
        Assert.Contains("Oracle Solaris 11", ex.Problem, StringComparison.Ordinal);
        Assert.Contains("does not support", ex.Problem, StringComparison.Ordinal);
    }
}
