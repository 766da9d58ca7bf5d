using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class KstatParsersTests
{
    private const string Input = "kstat -p zones::: caps:::";

    [Fact]
    public void ParsesZonesFixtureJoiningOnZonename()
    {
        var zones = ZonesKstatParser.Parse(KstatParser.Parse(Fixture.Text("illumos/kstat-zones.txt"), Input), Input);
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
        var caps = CapsKstatParser.Parse(KstatParser.Parse(Fixture.Text("illumos/kstat-caps.txt"), Input), Input);
        Assert.Equal(3, caps.Length);
        var nprocs = Assert.Single(caps, c => c.Resource == "nprocs");
        Assert.Equal(new CapKstat("nprocs", 12, "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", 37, 2147483647), nprocs);
        Assert.True(nprocs.IsUnlimited);
        var locked = Assert.Single(caps, c => c.Resource == "lockedmem");
        Assert.False(locked.IsUnlimited);
    }

    [Fact]
    public void CombinedRunFeedsBothParsersAndIgnoresProjectCaps()
    {
        var text = Fixture.Text("illumos/kstat-zones.txt") + Fixture.Text("illumos/kstat-caps.txt")
            + "caps:0:cpucaps_project_0:usage\t3\ncaps:12:swapresv_zone_12:value\t18446744073709551615\n";
        var values = KstatParser.Parse(text, Input);
        Assert.Equal(2, ZonesKstatParser.Parse(values, Input).Length);
        var caps = CapsKstatParser.Parse(values, Input);
        Assert.Equal(3, caps.Length);
        Assert.True(Assert.Single(caps, c => c.Resource == "swapresv").IsUnlimited);
    }

    [Fact]
    public void KstatNameContainingAColonIsKept()
    {
        var v = Assert.Single(KstatParser.Parse("zones:3:a:b:zonename\ta:b\n", Input));
        Assert.Equal("a:b", v.Name);
        Assert.Equal("zonename", v.Statistic);
        Assert.Equal("a:b", v.Value);
    }

    [Theory]
    [InlineData("", "empty output")]
    [InlineData("zones:0:global:forkfail_cap 0", "no TAB")]
    [InlineData("zones:0:forkfail_cap\t0", "not module:instance:name:statistic")]
    [InlineData("zones:x:global:forkfail_cap\t0", "instance")]
    [InlineData("zones:0:global:\t0", "empty statistic")]
    public void MalformedLinesAreNamedParseErrors(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => KstatParser.Parse(text, Input));
        Assert.Equal(Input, ex.Input);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zones:0:global:forkfail_cap\t0\n", "no zonename")]
    [InlineData("zones:0:global:zonename\tglobal\n", "no forkfail_cap")]
    [InlineData("zones:0:global:zonename\tglobal\nzones:0:global:forkfail_cap\tmany\n", "not an integer")]
    [InlineData("zones:0:global:zonename\tglobal\nzones:0:global:forkfail_cap\t-4\n", "negative")]
    [InlineData("zones:0:global:zonename\tglobal\nzones:0:global:forkfail_cap\t1\nzones:0:global:nsec_waitrq\t1.5\n", "nsec_waitrq")]
    [InlineData("zones:0:a:zonename\tz\nzones:0:a:forkfail_cap\t1\nzones:1:b:zonename\tz\nzones:1:b:forkfail_cap\t1\n", "two kstats")]
    [InlineData("caps:0:nprocs_zone_0:usage\t1\n", "no zones::: statistics")]
    public void MalformedZonesKstatsAreNamedParseErrors(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => ZonesKstatParser.Parse(KstatParser.Parse(text, Input), Input));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("caps:12:nprocs_zone_12:usage\t1\ncaps:12:nprocs_zone_12:value\t5\n", "no zonename")]
    [InlineData("caps:12:nprocs_zone_12:zonename\tz\ncaps:12:nprocs_zone_12:value\t5\n", "no usage")]
    [InlineData("caps:12:nprocs_zone_12:zonename\tz\ncaps:12:nprocs_zone_12:usage\t1\ncaps:12:nprocs_zone_12:value\tlots\n", "not a non-negative")]
    [InlineData("caps:12:nprocs_zone_13:zonename\tz\n", "_zone_12")]
    [InlineData("caps:12:nprocs_zone_x:zonename\tz\n", "zone id in the kstat name")]
    public void MalformedCapsAreNamedParseErrors(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => CapsKstatParser.Parse(KstatParser.Parse(text, Input), Input));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }
}
