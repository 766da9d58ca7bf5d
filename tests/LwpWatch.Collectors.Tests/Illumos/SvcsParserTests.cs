using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class SvcsParserTests
{
    private static readonly DateTimeOffset Now = new(2025, 9, 8, 9, 10, 0, TimeSpan.Zero);

    [Fact]
    public void ParsesTheFixture()
    {
        var listing = SvcsParser.Parse(Fixture.Text("illumos/svcs-Z-o.txt"), Now);
        var s = listing.Entries;
        Assert.Empty(listing.Warnings);
        Assert.Equal(7, s.Length);
        var local = s[2];
        Assert.Equal("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", local.Zone);
        Assert.Equal("offline", local.State);
        Assert.Equal("online", local.NextState);
        Assert.True(local.InTransition);
        Assert.Equal("svc:/system/filesystem/local:default", local.Fmri);
        Assert.Equal(new DateTimeOffset(2025, 9, 8, 9, 4, 52, TimeSpan.Zero), local.StateSince);
        Assert.False(s[0].InTransition);
        Assert.Equal("lrc:/etc/rc2_d/S20sysetup", s[3].Fmri);
        Assert.Equal("global", s[4].Zone);
        Assert.Null(s[5].StateSince); // "2024": too coarse
        Assert.Equal("maintenance", s[6].State);
    }

    [Fact]
    public void AStateNotRecordedYetIsADashNotAnError()
    {
        // svcs.c sprint_state(): "Don't print blank fields, to ease parsing" - an instance whose restarter has not
        // recorded a state yet is listed with STATE '-' (and STIME '-' when it has no state timestamp either).
        var listing = SvcsParser.Parse(Fixture.Text("illumos/svcs-Z-o.txt") + "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90 -              -             -        svc:/site/new:default\n", Now);
        Assert.Empty(listing.Warnings);
        var e = listing.Entries[^1];
        Assert.Equal(("-", "-", false, (DateTimeOffset?)null), (e.State, e.NextState, e.InTransition, e.StateSince));
        Assert.Equal(8, listing.Entries.Length);
    }

    [Fact]
    public void TimeOfDayLaterThanNowIsYesterday()
    {
        // 10:11:12 has not happened yet today at 09:10, so it was yesterday.
        var s = SvcsParser.ResolveStime("10:11:12", Now, "t", "line 1");
        Assert.Equal(new DateTimeOffset(2025, 9, 7, 10, 11, 12, TimeSpan.Zero), s);
    }

    [Fact]
    public void DateResolvesToTheEndOfThatDayInThePastYear()
    {
        Assert.Equal(new DateTimeOffset(2025, 8, 1, 23, 59, 59, TimeSpan.Zero), SvcsParser.ResolveStime("Aug_01", Now, "t", "l"));
        Assert.Equal(new DateTimeOffset(2024, 12, 24, 23, 59, 59, TimeSpan.Zero), SvcsParser.ResolveStime("Dec_24", Now, "t", "l"));
        Assert.Equal(Now, SvcsParser.ResolveStime("Sep_08", Now, "t", "l"));
        Assert.Null(SvcsParser.ResolveStime("-", Now, "t", "l"));
    }

    [Fact]
    public void DefaultColumnsOutputIsRejectedByName()
    {
        // svcs -Z without -o prints a header and 4 columns ("offline*"): not what the collector runs.
        var ex = Assert.Throws<ParseException>(() => SvcsParser.Parse(Fixture.Text("illumos/svcs-Z.txt"), Now));
        Assert.Equal(SvcsParser.Command, ex.Input);
        Assert.Contains("no line could be read", ex.Problem, StringComparison.Ordinal);
        Assert.Contains("expected 5 fields", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void StderrLinesBecomeWarnings()
    {
        var w = SvcsParser.Warnings("svcs: Could not bind to repository server for zone 9a3f: repository server unavailable\n\n");
        Assert.Equal("svcs: Could not bind to repository server for zone 9a3f: repository server unavailable", Assert.Single(w));
        Assert.Empty(SvcsParser.Warnings(""));
    }

    [Theory]
    [InlineData("web online - 9:04:51", "got 4")]
    [InlineData("web online - 9:04:51 svc:/a:default extra", "got 6")]
    [InlineData("web running - 9:04:51 svc:/a:default", "unknown state")]
    [InlineData("web online soon 9:04:51 svc:/a:default", "unknown next state")]
    [InlineData("web online - 9:04:51 /a:default", "not a service FMRI")]
    [InlineData("web online - 25:04:51 svc:/a:default", "not H:MM:SS")]
    [InlineData("web online - 9:4:51 svc:/a:default", "not H:MM:SS")]
    [InlineData("web online - Foo_08 svc:/a:default", "not Mon_DD")]
    [InlineData("web online - Feb_30 svc:/a:default", "not a date")]
    [InlineData("web online - yesterday svc:/a:default", "neither")]
    [InlineData("web online - 3024 svc:/a:default", "neither")]
    public void ABadLineIsAWarningNamingItsZoneAndEveryOtherZoneKeepsItsServices(string bad, string problem)
    {
        var listing = SvcsParser.Parse("global online - 9:04:51 svc:/system/svc/restarter:default\n" + bad + "\ndb online - 9:04:51 svc:/db:default\n", Now);
        Assert.Equal(["global", "db"], listing.Entries.Select(e => e.Zone));
        var w = Assert.Single(listing.Warnings);
        Assert.Contains(problem, w, StringComparison.Ordinal);
        Assert.Contains("line 2", w, StringComparison.Ordinal);
        Assert.Contains("zone web", w, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty output")]
    [InlineData("global online - 9:04:51\n", "no line could be read")]
    public void NothingReadableIsANamedParseError(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => SvcsParser.Parse(text, Now));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }
}
