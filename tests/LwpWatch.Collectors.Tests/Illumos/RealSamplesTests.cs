using System.Text.RegularExpressions;
using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

/// <summary>Fixtures/illumos/real/: outputs printed on real systems; each file's first line names its source.</summary>
internal static partial class RealSamples
{
    public static string Path(string relative) => Fixture.PathOf("illumos/real/" + relative);

    /// <summary>The sample without its "# source: ..." line.</summary>
    public static string Body(string relative)
    {
        var text = File.ReadAllText(Path(relative));
        Assert.StartsWith("# source: ", text, StringComparison.Ordinal);
        return text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..];
    }

    /// <summary>
    /// kstat -p puts one TAB between key and value (kstat.c ks_instance_print); the web pastes these samples come
    /// from rendered it as spaces. Puts the TAB back, touching nothing else.
    /// </summary>
    public static string KstatWithTab(string relative) => KeyThenSpaces().Replace(Body(relative), "$1\t");

    [GeneratedRegex(@"(?m)^([^\s\t]+:[^\s\t]*:[^\t\n]*:[^\s\t]+) +")]
    private static partial Regex KeyThenSpaces();
}

/// <summary>Every in-scope sample of Fixtures/illumos/real/ parses to the values it shows; the out-of-scope ones are named.</summary>
public sealed class RealSamplesTests
{
    private static readonly DateTimeOffset Now = new(2025, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ZoneadmFromSmartosVmloadTestData()
    {
        var z = ZoneadmParser.Parse(RealSamples.Body("zoneadm/smartos-vmload-test.txt"));
        Assert.Empty(z.Warnings);
        Assert.Equal(new ZoneadmEntry(0, "global", "running", "/", null, "liveimg", "shared"), z.Zones[0]);
        Assert.Equal(new ZoneadmEntry(1, "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e", "running", "/zones/c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e", "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e", "joyent-minimal", "excl"), z.Zones[1]);
    }

    [Fact]
    public void ZoneadmFromImgadmsCommentWithAnEmptyDebugidAndAStoppedKvm()
    {
        var z = ZoneadmParser.Parse(RealSamples.Body("zoneadm/smartos-imgadm-comment.txt"));
        Assert.Empty(z.Warnings);
        Assert.Equal(3, z.Zones.Length);
        Assert.Equal(("global", 0), (z.Zones[0].Name, z.Zones[0].Id!.Value));
        Assert.Equal((21, "joyent-minimal"), (z.Zones[1].Id!.Value, z.Zones[1].Brand!));
        Assert.Equal((null, "installed", "kvm"), (z.Zones[2].Id, z.Zones[2].State, z.Zones[2].Brand));
    }

    [Fact]
    public void ZoneadmFromOmniosTelegrafTests()
    {
        var z = ZoneadmParser.Parse(RealSamples.Body("zoneadm/omnios-telegraf-plugins-test.txt"));
        Assert.Empty(z.Warnings);
        Assert.Equal(["global", "cube-media", "cube-ws"], z.Zones.Select(x => x.Name));
        Assert.Equal(("/zones/cube-media", "lipkg", "excl"), (z.Zones[1].ZonePath, z.Zones[1].Brand!, z.Zones[1].IpType!));
        // Hand-edited there: an installed zone with an id. Read as printed.
        Assert.Equal((44, "installed"), (z.Zones[2].Id!.Value, z.Zones[2].State));
    }

    [Fact]
    public void ZoneadmFromOracleSolarisElevenIsOutOfScopeAndSaysSo()
    {
        var ex = Assert.Throws<ParseException>(() => ZoneadmParser.Parse(RealSamples.Body("zoneadm/solaris11-facter-pr1329.txt")));
        Assert.Contains("9 ':'-separated fields: this is Oracle Solaris 11's zoneadm, which LwpWatch does not support", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SvcsXvNfsClientHasAPathBlockThatIsTheDependencyChainNotASeeContinuation()
    {
        var x = Assert.Single(SvcsExplainParser.Parse(RealSamples.Body("svcs-xv/illumos-man-svcs1-xv-nfs-client.txt"), "svcs -xv nfs/client"));
        Assert.Equal(("svc:/network/nfs/client:default", "NFS client", "offline"), (x.Fmri, x.Description!, x.State));
        Assert.Equal(new DateTimeOffset(2006, 2, 27, 16, 3, 23, TimeSpan.Zero), x.StateSince);
        Assert.Equal("Service svc:/network/nfs/status:default is not running because a method failed repeatedly.", x.Reason);
        Assert.Equal(["http://sun.com/msg/SMF-8000-GE", "man -M /usr/share/man -s 1M mount_nfs", "/var/svc/log/network-nfs-client:default.log"], x.See.ToArray());
        var path = Assert.Single(x.Paths);
        Assert.Equal(["svc:/network/nfs/client:default", "svc:/network/nfs/nlockmgr:default", "svc:/network/nfs/status:default"], path.ToArray());
        Assert.Equal(["svc:/network/nfs/nlockmgr:default", "svc:/network/nfs/status:default"], x.Dependencies.ToArray());
        Assert.Equal("This service is not running.", x.Impact);
    }

    [Fact]
    public void SvcsXvPrintServerWithoutVerboseHasNoPath()
    {
        var x = Assert.Single(SvcsExplainParser.Parse(RealSamples.Body("svcs-xv/illumos-man-svcs1-x-print-server.txt"), "svcs -x"));
        Assert.Equal(("disabled", "Disabled by an administrator."), (x.State, x.Reason!));
        Assert.Equal(["http://sun.com/msg/SMF-8000-05", "lpsched(1M)"], x.See.ToArray());
        Assert.Empty(x.Paths);
        Assert.Equal("2 dependent services are not running. (Use -v for list.)", x.Impact);
    }

    [Fact]
    public void SvcsZxvFromOmicronHasTwoBlocksWithZones()
    {
        var xs = SvcsExplainParser.Parse(RealSamples.Body("svcs-xv/omicron-svcs-rs-Zxv-comment.txt"), "svcs -Zxv");
        Assert.Equal(2, xs.Length);
        Assert.All(xs, x => Assert.Equal(("global", "maintenance"), (x.Zone!, x.State)));
        Assert.Equal("Restarting too quickly.", xs[0].Reason);
        Assert.Equal("Start method failed repeatedly, last died on Killed (9).", xs[1].Reason);
        Assert.Equal("/var/svc/log/system-omicron-baseline:default.log", xs[1].See[^1]);
        Assert.Equal(new DateTimeOffset(2025, 11, 24, 5, 39, 49, TimeSpan.Zero), xs[1].StateSince);
    }

    [Fact]
    public void SvcsXvSarInMaintenanceFromSmartos()
    {
        var x = Assert.Single(SvcsExplainParser.Parse(RealSamples.Body("svcs-xv/smartos-issue245-sar-maintenance.txt"), "svcs -xv"));
        Assert.Equal(new DateTimeOffset(2013, 8, 1, 6, 30, 18, TimeSpan.Zero), x.StateSince); // "Thu Aug  1": space-padded day
        Assert.Equal("Start method failed repeatedly, last exited with status 127.", x.Reason);
        Assert.Equal("/var/svc/log/system-sar:default.log", x.See[2]);
    }

    /// <summary>
    /// No real capture of the exact -o list exists (real/svcs/NOTE-exact-command.txt): the real listings' tokens are
    /// put in the collector's column order (zone,state,nstate,stime,fmri; '-' where a column was not printed) and
    /// must read back as printed.
    /// </summary>
    [Theory]
    [InlineData("svcs/smartos-issue825-svcs-pv.txt", "STATE NSTATE STIME CTID FMRI")]
    [InlineData("svcs/smartos-issue245-svcs-sar.txt", "STATE STIME FMRI")]
    [InlineData("svcs/illumos-man-svcs1-examples.txt", "mixed")]
    public void SvcsListingTokensReadInTheCollectorsColumnOrder(string sample, string columns)
    {
        var rows = new List<(string State, string Next, string Stime, string Fmri)>();
        string[]? header = null;
        foreach (var line in RealSamples.Body(sample).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[0] == "STATE")
            {
                header = f;
                continue;
            }

            string Col(string name) => Array.IndexOf(header!, name) is var i and >= 0 ? f[i] : "-";
            rows.Add((Col("STATE"), Col("NSTATE"), Col("STIME"), Col("FMRI")));
        }

        Assert.NotEmpty(rows);
        var text = string.Concat(rows.Select(r => $"global           {r.State,-14} {r.Next,-13} {r.Stime,-8} {r.Fmri}\n"));
        var listing = SvcsParser.Parse(text, Now);
        Assert.True(listing.Warnings.IsEmpty, $"{columns}: {string.Join("; ", listing.Warnings)}");
        Assert.Equal(rows.Select(r => (r.State, r.Next, r.Stime, r.Fmri)), listing.Entries.Select(e => (e.State, e.NextState, e.Stime, e.Fmri)));
        Assert.All(listing.Entries.Where(e => e.Stime.Contains('_', StringComparison.Ordinal)), e => Assert.NotNull(e.StateSince));
    }

    [Fact]
    public void KstatCpucapsFromATritonHeadnodeAreZoneCapsJoinedOnZonename()
    {
        var out1 = KstatParser.Parse(RealSamples.KstatWithTab("kstat/triton-issue242-caps-cpucaps.txt"), "kstat -p caps::cpucaps_zone_*");
        Assert.Empty(out1.Warnings);
        var caps = CapsKstatParser.Parse(out1.Values, "kstat");
        Assert.Empty(caps.Warnings);
        Assert.Equal(
            [new CapKstat("cpucaps", 1, "487b08a7-13ae-44be-82f8-2fdf59516a2f", 0, 200), new CapKstat("cpucaps", 2, "47b85581-25fd-4464-be95-ff9bfd2321fc", 0, 400)],
            caps.Caps.ToArray());
    }

    [Fact]
    public void KstatMemoryCapFromASmartosZoneHasTheNameCutTo30AndTheZonenameWhole()
    {
        var values = KstatParser.Parse(RealSamples.KstatWithTab("kstat/htop-issue978-memory_cap.txt"), "kstat -p memory_cap").Values;
        Assert.Equal(15, values.Length);
        Assert.All(values, v => Assert.Equal(("memory_cap", 28, "962bc668-09d5-c087-b16f-d5aa6e"), (v.Module, v.Instance, v.Name)));
        Assert.Equal("962bc668-09d5-c087-b16f-d5aa6e88d042", values.Single(v => v.Statistic == "zonename").Value);
        Assert.Equal("17179869184", values.Single(v => v.Statistic == "physcap").Value);
        Assert.Equal(30, values[0].Name.Length);
    }

    [Fact]
    public void KstatWhoseTabSurvivedReadsAsIs()
    {
        var v = Assert.Single(KstatParser.Parse(RealSamples.Body("kstat/illumos-joyent-issue51-memory_cap-rss.txt"), "kstat -p memory_cap:0:global:rss").Values);
        Assert.Equal(new KstatValue("memory_cap", 0, "global", "rss", "0"), v);
    }

    [Fact]
    public void KstatZonesFromOmicronJoinOnTheWholeZonenameAndLackingForkfailCapIsNamed()
    {
        var values = KstatParser.Parse(RealSamples.KstatWithTab("kstat/omicron-zone-rs-zones-comment.txt"), "kstat -p zones:::").Values;
        Assert.Equal("oxz_cockroachdb_8bbea076-ff60-4330-8302-383e18140ef3", values.Single(v => v.Statistic == "zonename").Value);
        Assert.Equal("9211749392692", values.Single(v => v.Statistic == "nsec_waitrq").Value);
        // The comment elides the stats it does not use, forkfail_cap among them: that kstat is named, not guessed.
        var ex = Assert.Throws<ParseException>(() => ZonesKstatParser.Parse(values, "kstat -p zones:::"));
        Assert.Contains("zones:26:oxz_cockroachdb_8bbea076-ff60-: no forkfail_cap statistic", ex.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kstat/cmon-agent-zone_misc-nodekstat-json.txt")]
    [InlineData("kstat/oracle-blog-menno-swapresv-nonp.txt")]
    public void KstatSamplesInOtherFormatsAreRefusedNotMisread(string sample)
    {
        // JSON from node-kstat and kstat without -p: not what LwpWatch runs; no line of them reads as -p.
        var ex = Assert.Throws<ParseException>(() => KstatParser.Parse(RealSamples.Body(sample), "kstat -p zones:::"));
        Assert.Contains("no line could be read", ex.Problem, StringComparison.Ordinal);
    }
}
