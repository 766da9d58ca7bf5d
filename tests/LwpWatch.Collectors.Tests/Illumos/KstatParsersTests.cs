using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class KstatParsersTests
{
    private const string Input = "kstat -p zones::: caps:::";

    [Fact]
    public void ParsesZonesFixtureJoiningOnZonename()
    {
        var zones = ZonesKstatParser.Parse(KstatParser.Parse(Fixture.Text("illumos/kstat-zones.txt"), Input).Values, Input).Zones;
        Assert.Equal(2, zones.Length);
        Assert.Equal(new ZoneKstat(0, "global", 0, 0, 0, 0, 1233000000), zones[0]);
        var z = zones[1];
        Assert.Equal(12, z.ZoneId);
        // The kstat name is cut to 30 characters; the zonename statistic is whole.
        Assert.Equal("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", z.ZoneName);
        Assert.Equal(1734, z.ForkfailCap);
        Assert.Equal(120000000, z.NsecWaitrq);
    }

    [Fact]
    public void ParsesCapsFixture()
    {
        var caps = CapsKstatParser.Parse(KstatParser.Parse(Fixture.Text("illumos/kstat-caps.txt"), Input).Values, Input).Caps;
        Assert.Equal(3, caps.Length);
        var nprocs = Assert.Single(caps, c => c.Resource == "nprocs");
        Assert.Equal(new CapKstat("nprocs", 12, "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", 37, 400), nprocs);
        Assert.False(nprocs.IsUnlimited);
        Assert.True((nprocs with { Value = 2147483647 }).IsUnlimited); // INT32_MAX: max-processes unset
        var locked = Assert.Single(caps, c => c.Resource == "lockedmem");
        Assert.False(locked.IsUnlimited);
    }

    [Fact]
    public void CombinedRunFeedsBothParsersAndIgnoresProjectCaps()
    {
        var text = Fixture.Text("illumos/kstat-zones.txt") + Fixture.Text("illumos/kstat-caps.txt")
            + "caps:0:cpucaps_project_0:usage\t3\ncaps:12:swapresv_zone_12:value\t18446744073709551615\n";
        var values = KstatParser.Parse(text, Input).Values;
        Assert.Equal(2, ZonesKstatParser.Parse(values, Input).Zones.Length);
        var caps = CapsKstatParser.Parse(values, Input).Caps;
        Assert.Equal(3, caps.Length);
        Assert.True(Assert.Single(caps, c => c.Resource == "swapresv").IsUnlimited);
    }

    [Fact]
    public void KstatNameContainingAColonIsKept()
    {
        var v = Assert.Single(KstatParser.Parse("zones:3:a:b:zonename\ta:b\n", Input).Values);
        Assert.Equal("a:b", v.Name);
        Assert.Equal("zonename", v.Statistic);
        Assert.Equal("a:b", v.Value);
    }

    [Theory]
    [InlineData("zones:0:global:forkfail_cap 0", "no TAB")]
    [InlineData("zones:0:forkfail_cap\t0", "not module:instance:name:statistic")]
    [InlineData("zones:x:global:forkfail_cap\t0", "instance")]
    [InlineData("zones:0:global:\t0", "empty statistic")]
    public void AMalformedLineIsAWarningAndTheRestIsRead(string bad, string problem)
    {
        var output = KstatParser.Parse("zones:0:global:zonename\tglobal\n" + bad + "\nzones:0:global:forkfail_cap\t3\n", Input);
        Assert.Equal(2, output.Values.Length);
        var w = Assert.Single(output.Warnings);
        Assert.Contains(problem, w, StringComparison.Ordinal);
        Assert.Contains("line 2", w, StringComparison.Ordinal);
        Assert.Equal(3, Assert.Single(ZonesKstatParser.Parse(output.Values, Input).Zones).ForkfailCap);
    }

    [Theory]
    [InlineData("", "empty output")]
    [InlineData("zones:0:global:forkfail_cap 0", "no line could be read")]
    public void NothingReadableIsANamedParseError(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => KstatParser.Parse(text, Input));
        Assert.Equal(Input, ex.Input);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    private const string Good = "zones:5:good:zonename\tgood\nzones:5:good:forkfail_cap\t7\n";

    [Theory]
    [InlineData("zones:0:global:forkfail_cap\t0\n", "no zonename")]
    [InlineData("zones:0:global:zonename\tglobal\n", "no forkfail_cap")]
    [InlineData("zones:0:global:zonename\tglobal\nzones:0:global:forkfail_cap\tmany\n", "not an integer")]
    [InlineData("zones:0:global:zonename\tglobal\nzones:0:global:forkfail_cap\t-4\n", "negative")]
    [InlineData("zones:0:global:zonename\tglobal\nzones:0:global:forkfail_cap\t1\nzones:0:global:nsec_waitrq\t1.5\n", "nsec_waitrq")]
    [InlineData("zones:0:a:zonename\tgood\nzones:0:a:forkfail_cap\t1\n", "two kstats")]
    public void ABadZoneKstatIsAWarningNamingItAndTheOtherZonesAreRead(string text, string problem)
    {
        var zones = ZonesKstatParser.Parse(KstatParser.Parse(Good + text, Input).Values, Input);
        Assert.Equal(("good", 7L), (zones.Zones[0].ZoneName, zones.Zones[0].ForkfailCap));
        Assert.Contains(problem, Assert.Single(zones.Warnings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("caps:0:nprocs_zone_0:usage\t1\n", "no zones::: statistics")]
    [InlineData("zones:0:global:forkfail_cap\t0\n", "no zone kstat could be read")]
    public void NoReadableZoneIsANamedParseError(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => ZonesKstatParser.Parse(KstatParser.Parse(text, Input).Values, Input));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("caps:12:nprocs_zone_12:usage\t1\ncaps:12:nprocs_zone_12:value\t5\n", "no zonename")]
    [InlineData("caps:12:nprocs_zone_12:zonename\tz\ncaps:12:nprocs_zone_12:value\t5\n", "no usage")]
    [InlineData("caps:12:nprocs_zone_12:zonename\tz\ncaps:12:nprocs_zone_12:usage\t1\ncaps:12:nprocs_zone_12:value\tlots\n", "not a non-negative")]
    [InlineData("caps:12:nprocs_zone_13:zonename\tz\n", "_zone_12")]
    [InlineData("caps:12:nprocs_zone_x:zonename\tz\n", "zone id in the kstat name")]
    public void ABadCapKstatIsAWarningNamingIt(string text, string problem)
    {
        var caps = CapsKstatParser.Parse(KstatParser.Parse(text + "caps:1:nprocs_zone_1:zonename\tok\ncaps:1:nprocs_zone_1:usage\t2\ncaps:1:nprocs_zone_1:value\t9\n", Input).Values, Input);
        Assert.Equal(new CapKstat("nprocs", 1, "ok", 2, 9), Assert.Single(caps.Caps));
        Assert.Contains(problem, Assert.Single(caps.Warnings), StringComparison.Ordinal);
    }
}
