using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class SvcsExplainParserTests
{
    private const string Input = "svcs -xv -z 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90 svc:/system/filesystem/local:default";

    [Fact]
    public void ParsesTheFixture()
    {
        var x = Assert.Single(SvcsExplainParser.Parse(Fixture.Text("illumos/svcs-xv.txt"), Input));
        Assert.Equal("svc:/system/filesystem/local:default", x.Fmri);
        Assert.Equal("local file system mounts", x.Description);
        Assert.Equal("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", x.Zone);
        Assert.Equal("offline", x.State);
        Assert.Equal(new DateTimeOffset(2025, 9, 8, 9, 4, 52, TimeSpan.Zero), x.StateSince);
        Assert.Equal("Start method is running.", x.Reason);
        Assert.Equal(2, x.See.Length);
        Assert.EndsWith("system-filesystem-local:default.log", x.See[1], StringComparison.Ordinal);
        Assert.Equal("2 dependent services are not running:", x.Impact);
        Assert.Equal(["svc:/milestone/multi-user:default", "svc:/smartdc/zoneinit:default"], x.Impacted.ToArray());
    }

    [Fact]
    public void SeveralBlocksAndSpacePaddedDays()
    {
        var text = Fixture.Text("illumos/svcs-xv.txt") + "\nsvc:/network/ssh:default (SSH server)\n State: maintenance since Tue Sep  9 01:02:03 2025\nReason: Start method failed repeatedly,\n        last exited with status 1.\n";
        var xs = SvcsExplainParser.Parse(text, Input);
        Assert.Equal(2, xs.Length);
        Assert.Equal("maintenance", xs[1].State);
        Assert.Equal(new DateTimeOffset(2025, 9, 9, 1, 2, 3, TimeSpan.Zero), xs[1].StateSince);
        Assert.Equal("Start method failed repeatedly, last exited with status 1.", xs[1].Reason);
        Assert.Null(xs[1].Zone);
    }

    [Fact]
    public void SeveralCausesGiveOneReasonAndOnePathEachAndTheImpactListStaysItsOwn()
    {
        // explain.c print_dependency_reasons(): per cause a Reason (wrapped onto an 8-space line past 80 columns),
        // its See, and with -v "  Path: <this>" then one hop per line, indented 2 more each time.
        var text = """
            svc:/milestone/multi-user:default (multi-user milestone)
              Zone: 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90
             Alias: delegate-test-7
             State: offline since Mon Sep 08 09:04:49 2025
            Reason: Service svc:/system/filesystem/local:default
                    is starting.
               See: http://illumos.org/msg/SMF-8000-GE
              Path: svc:/milestone/multi-user:default
                      svc:/system/filesystem/local:default
            Reason: Service svc:/network/physical:default is running.
               See: http://illumos.org/msg/SMF-8000-FJ
              Path: svc:/milestone/multi-user:default
                      svc:/milestone/network:default
                        svc:/network/physical:default
            Impact: 1 dependent service is not running:
                    svc:/smartdc/zoneinit:default
            """;
        var x = Assert.Single(SvcsExplainParser.Parse(text, Input));
        Assert.Equal("delegate-test-7", x.Alias);
        Assert.Equal(["Service svc:/system/filesystem/local:default is starting.", "Service svc:/network/physical:default is running."], x.Reasons.ToArray());
        Assert.Equal(2, x.Paths.Length);
        Assert.Equal(["svc:/system/filesystem/local:default", "svc:/milestone/network:default", "svc:/network/physical:default"], x.Dependencies.ToArray());
        Assert.Equal(["http://illumos.org/msg/SMF-8000-GE", "http://illumos.org/msg/SMF-8000-FJ"], x.See.ToArray());
        Assert.Equal(["svc:/smartdc/zoneinit:default"], x.Impacted.ToArray());
    }

    [Fact]
    public void EmptyOutputMeansNothingIsWrong() => Assert.Empty(SvcsExplainParser.Parse("", Input));

    [Theory]
    [InlineData("not-an-fmri (x)\n State: online\n", "must start with a service FMRI")]
    [InlineData("svc:/a:default local mounts\n State: online\n", "(description)")]
    [InlineData("svc:/a:default (x)\nReason: none\n", "no State line")]
    [InlineData("svc:/a:default (x)\n State: offline since yesterday\n", "State time")]
    [InlineData("svc:/a:default (x)\n State: online\nGarbage here\n", "expected 'Key: value'")]
    [InlineData("svc:/a:default (x)\n        svc:/orphan:default\n", "expected 'Key: value'")]
    [InlineData("svc:/a:default (x)\n State: offline\n  Path: svc:/a:default\n          see the manual\n", "one service FMRI per line")]
    public void MalformedBlocksAreNamedParseErrors(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => SvcsExplainParser.Parse(text, Input));
        Assert.Equal(Input, ex.Input);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }
}
