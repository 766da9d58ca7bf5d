using LwpWatch.Collectors.Illumos;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class IllumosCollectorsTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";
    private const string Web = "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e";
    private static readonly DateTimeOffset Now = new(2025, 9, 8, 9, 10, 0, TimeSpan.Zero);
    private static readonly IllumosSettings Settings = new() { TopHolders = 2 };

    private static SnapshotDraft Draft() => new() { TakenAt = Now, Host = "cn", Platform = "illumos" };

    /// <summary>
    /// /etc/zones/&lt;web&gt;.xml: the real smartos-live joyent zone file with its name, zonepath and alias made this
    /// node's healthy VM (max-lwps 2000 as in the original).
    /// </summary>
    public static byte[] WebXml() => System.Text.Encoding.UTF8.GetBytes(Fixture.Text("illumos/zones-xml/c673ec7c-aca9-4a4c-a4be-52fa82b2f0cd.xml")
        .Replace("c673ec7c-aca9-4a4c-a4be-52fa82b2f0cd", Web, StringComparison.Ordinal)
        .Replace("YWJjLWRlZmdoMS1zbGF2ZS1pamtMLTA=", Convert.ToBase64String("web-frontend-1"u8), StringComparison.Ordinal));

    public static byte[] SickXml() => File.ReadAllBytes(Fixture.PathOf("illumos/zones-xml/" + Sick + ".xml"));

    /// <summary>A node as the fixtures describe it, with /proc holding a few processes per zone.</summary>
    private static FakeHostSource Node()
    {
        var kstatZones = Fixture.Text("illumos/kstat-zones.txt");
        var kstatCaps = Fixture.Text("illumos/kstat-caps.txt");
        return new FakeHostSource()
            .Command(ZoneadmCollector.Argv, Fixture.Text("illumos/zoneadm-list-pc.txt"))
            .Command(KstatCollector.ZonesArgv, kstatZones)
            .Command(KstatCollector.CapsArgv, kstatCaps)
            .Command(SvcsCollector.Argv, Fixture.Text("illumos/svcs-Z-o.txt"))
            .File($"/etc/zones/{Sick}.xml", SickXml(), Now.AddMinutes(-6))
            .File($"/etc/zones/{Web}.xml", WebXml(), Now.AddDays(-6))
            .File("/etc/zones/5e2a7b44-0c1d-4f3e-9a8b-7c6d5e4f3a2b.xml", File.ReadAllBytes(Fixture.PathOf("illumos/zones-xml/minimal-joyent.xml")), Now.AddDays(-1))
            .File("/proc/1/psinfo", PsinfoParserTests.Build(1, 0, 1, "init", "/sbin/init"))
            .File("/proc/10/psinfo", PsinfoParserTests.Build(10, 0, 40, "svc.configd", "/lib/svc/bin/svc.configd"))
            .File("/proc/20958/psinfo", PsinfoParserTests.Build(20958, 12, 1, "init", "/sbin/init"))
            .File("/proc/20990/psinfo", PsinfoParserTests.Build(20990, 12, 199, "zfs", "/usr/sbin/zfs mount -a"))
            .File("/proc/20991/psinfo", PsinfoParserTests.Build(20991, 12, 198, "zfs", "/usr/sbin/zfs mount zones/x/data"))
            .File("/proc/3100/psinfo", PsinfoParserTests.Build(3100, 1, 12, "node", "node server.js"))
            .Mtime($"/zones/{Sick}/root/var/svc/provisioning", Now.AddMinutes(-5));
    }

    private static async Task<Snapshot> PollAsync(FakeHostSource io, IllumosSettings? settings = null)
    {
        var options = new LwpWatchOptions { Illumos = settings ?? Settings };
        var poller = new Poller(CollectorFactory.Create(CollectorFactory.Illumos, options, io), new FixedClock(Now), "cn", "illumos", TimeSpan.FromSeconds(30));
        return await poller.PollAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AFullPollJoinsEveryToolOnTheZonename()
    {
        var io = Node();
        var s = await PollAsync(io);

        Assert.All(s.Collectors, c => Assert.True(c.Success, c.Name + ": " + c.Error));
        var sick = s.FindZone(Sick)!;
        Assert.Equal(ZoneKind.IllumosZone, sick.Kind);
        Assert.Equal("delegate-test-7", sick.Name);
        Assert.Equal(398, sick.Lwps);
        Assert.Equal(400, sick.LwpLimit);
        Assert.Equal(1734, sick.Denials);
        Assert.Equal(37, sick.Processes);
        Assert.Equal(400, sick.ProcessLimit); // max-processes inferred from max-lwps at boot (SmartOS)
        Assert.Equal(12, sick.ZoneNumericId);
        Assert.Equal("running", sick.State);
        Assert.Equal(120000000, sick.Pressure!.CpuWaitNanos);
        Assert.Equal(0, sick.Pressure.MemoryFailures);

        Assert.Equal(41, s.FindZone("global")!.Lwps);
        Assert.Equal("web-frontend-1", s.FindZone(Web)!.Name);
        Assert.Equal(12, s.FindZone(Web)!.Lwps);
        Assert.Null(s.FindZone("5e2a7b44-0c1d-4f3e-9a8b-7c6d5e4f3a2b")!.Lwps); // installed, not running

        // Top holders, biggest first, cut to TopHolders per zone.
        var holders = s.HoldersOf(Sick).ToList();
        Assert.Equal([20990, 20991], holders.Select(h => h.Pid));
        Assert.Equal(new ThreadHolder(Sick, 20990, "zfs", "/usr/sbin/zfs mount -a", 199), holders[0]);
        Assert.Equal(2000, s.FindZone(Web)!.LwpLimit);
        Assert.Null(s.FindZone("global")!.LwpLimit);

        var p = Assert.Single(s.Provisions);
        Assert.Equal(Sick, p.ZoneId);
        Assert.Equal("provisioning", p.VmState);
        Assert.True(p.MarkerPresent);
        Assert.Equal(Now.AddMinutes(-5), p.MarkerSince);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1757322592000), p.Deadline);

        var local = Assert.Single(s.Services, x => x.ZoneId == Sick && x.Name == "svc:/system/filesystem/local:default");
        Assert.True(local.InTransition);
        Assert.Equal("offline", local.State);
        Assert.Equal("online", local.NextState);
        Assert.Equal(new DateTimeOffset(2025, 9, 8, 9, 4, 52, TimeSpan.Zero), local.StateSince);
        Assert.Equal(7, s.Services.Length);
    }

    [Fact]
    public async Task APollForksZoneadmTwoKstatsAndSvcsAndNothingElse()
    {
        var io = Node();
        await PollAsync(io);
        Assert.Equal(
            [ZoneadmCollector.Argv.ToArray(), KstatCollector.ZonesArgv.ToArray(), KstatCollector.CapsArgv.ToArray(), SvcsCollector.Argv.ToArray()],
            io.Runs.Select(r => r.ToArray()));
        Assert.DoesNotContain(io.Runs, r => r[0] is "vmadm" or "prctl");
    }

    [Fact]
    public async Task ZoneXmlIsParsedAgainOnlyWhenItsMtimeOrInodeChanges()
    {
        var io = Node().Inode($"/etc/zones/{Sick}.xml", 100);
        var options = new LwpWatchOptions { Illumos = Settings };
        var poller = new Poller(CollectorFactory.Create(CollectorFactory.Illumos, options, io), new FixedClock(Now), "cn", "illumos", TimeSpan.FromSeconds(30));
        int XmlReads() => io.Reads.Count(p => p == $"/etc/zones/{Sick}.xml");

        await poller.PollAsync(CancellationToken.None);
        Assert.Equal(1, XmlReads());
        await poller.PollAsync(CancellationToken.None);
        Assert.Equal(1, XmlReads()); // unchanged: one stat, no read

        // vmadm update max_lwps=800: zonecfg writes a new file and renames it over the old one (new inode, same mtime here).
        var raised = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(SickXml()).Replace("limit=\"400\"", "limit=\"800\"", StringComparison.Ordinal));
        io.File($"/etc/zones/{Sick}.xml", raised).Inode($"/etc/zones/{Sick}.xml", 101);
        var s = await poller.PollAsync(CancellationToken.None);
        Assert.Equal(2, XmlReads());
        Assert.Equal(800, s.FindZone(Sick)!.LwpLimit);

        io.File($"/etc/zones/{Sick}.xml", SickXml(), Now.AddSeconds(-1));
        s = await poller.PollAsync(CancellationToken.None);
        Assert.Equal(3, XmlReads()); // new mtime
        Assert.Equal(400, s.FindZone(Sick)!.LwpLimit);
    }

    [Fact]
    public async Task AZoneFileLargerThanTheFirstReadIsReadWhole()
    {
        // Many networks, filesystems and attrs: a legitimate file past the 16 KB first read.
        var xml = System.Text.Encoding.UTF8.GetString(SickXml()).Replace("  <dataset ", string.Concat(Enumerable.Repeat("  <attr name=\"filler\" type=\"string\" value=\"" + new string('x', 200) + "\"/>\n", 100)) + "  <dataset ", StringComparison.Ordinal);
        Assert.True(xml.Length > 16 * 1024);
        var io = Node().File($"/etc/zones/{Sick}.xml", System.Text.Encoding.UTF8.GetBytes(xml), Now);
        var s = await PollAsync(io);
        Assert.Equal(400, s.FindZone(Sick)!.LwpLimit);
        Assert.Equal("delegate-test-7", s.FindZone(Sick)!.Name);
        Assert.DoesNotContain(s.Warnings, w => w.StartsWith("zone " + Sick, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryPerZoneConfigProblemIsAWarningNamingThatZoneAndTheOthersAreRead()
    {
        var io = Node()
            .Remove($"/etc/zones/{Web}.xml")
            .File("/etc/zones/5e2a7b44-0c1d-4f3e-9a8b-7c6d5e4f3a2b.xml", "<zone name=")
            .Mtime("/etc/zones/5e2a7b44-0c1d-4f3e-9a8b-7c6d5e4f3a2b.xml", Now);
        var s = await PollAsync(io);

        Assert.True(s.Collectors.Single(c => c.Name == "illumos-caps").Success);
        Assert.Equal(400, s.FindZone(Sick)!.LwpLimit);
        Assert.Equal("delegate-test-7", s.FindZone(Sick)!.Name);
        Assert.Null(s.FindZone(Web)!.LwpLimit);
        Assert.Contains(s.Warnings, w => w.StartsWith($"zone {Web}: /etc/zones/{Web}.xml does not exist", StringComparison.Ordinal));
        Assert.Contains(s.Warnings, w => w.StartsWith("zone 5e2a7b44-0c1d-4f3e-9a8b-7c6d5e4f3a2b: /etc/zones/5e2a7b44-0c1d-4f3e-9a8b-7c6d5e4f3a2b.xml: not well-formed XML", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAliasWithANewlineIsAWarningAndTheZoneIsShownByItsUuid()
    {
        var xml = System.Text.Encoding.UTF8.GetString(SickXml()).Replace("ZGVsZWdhdGUtdGVzdC03", Convert.ToBase64String("evil\nFIRING: all clear"u8), StringComparison.Ordinal);
        var io = Node().File($"/etc/zones/{Sick}.xml", System.Text.Encoding.UTF8.GetBytes(xml), Now);
        var s = await PollAsync(io);
        var sick = s.FindZone(Sick)!;
        Assert.Equal(Sick, sick.Name);
        Assert.Equal(400, sick.LwpLimit);
        Assert.Contains(s.Warnings, w => w.StartsWith($"zone {Sick}: /etc/zones/{Sick}.xml: alias contains the control character U+000A", StringComparison.Ordinal));
        Assert.DoesNotContain(s.Warnings, w => w.Contains('\n', StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProvisioningStateFollowsVmadmsRules()
    {
        // The deadline comes from the transition attr; once vmadm gives up it removes it and sets failed="provisioning".
        var failed = System.Text.Encoding.UTF8.GetString(SickXml())
            .Replace("  <attr name=\"transition\" type=\"string\" value=\"provisioning:running:1757322592000\"/>\n", "  <attr name=\"failed\" type=\"string\" value=\"provisioning\"/>\n", StringComparison.Ordinal);
        Assert.DoesNotContain("transition", failed, StringComparison.Ordinal);
        var io = Node().File($"/etc/zones/{Sick}.xml", System.Text.Encoding.UTF8.GetBytes(failed), Now);
        var p = Assert.Single((await PollAsync(io)).Provisions);
        Assert.Equal(("failed", true, (DateTimeOffset?)null), (p.VmState, p.MarkerPresent, p.Deadline));

        // While provisioning: vmadm's state is the transition's.
        p = Assert.Single((await PollAsync(Node())).Provisions);
        Assert.Equal(("provisioning", DateTimeOffset.FromUnixTimeMilliseconds(1757322592000)), (p.VmState, p.Deadline!.Value));

        // A transition that is not a provision (stopping:stopped) is no provisioning deadline, and without the
        // marker nothing is provisioning at all.
        var stopping = System.Text.Encoding.UTF8.GetString(SickXml()).Replace("provisioning:running:", "stopping:stopped:", StringComparison.Ordinal);
        io = Node().File($"/etc/zones/{Sick}.xml", System.Text.Encoding.UTF8.GetBytes(stopping), Now);
        io.Remove($"/zones/{Sick}/root/var/svc/provisioning");
        Assert.Empty((await PollAsync(io)).Provisions);
    }

    [Fact]
    public async Task PlainIllumosZonesHaveCapsAndNoProvisions()
    {
        var xml = "<?xml version=\"1.0\"?>\n<zone name=\"db\" zonepath=\"/zones/db\" brand=\"ipkg\">\n  <rctl name=\"zone.max-lwps\"><rctl-value priv=\"privileged\" limit=\"3000\" action=\"deny\"/></rctl>\n</zone>\n";
        var io = new FakeHostSource()
            .Command(ZoneadmCollector.Argv, "0:global:running:/::ipkg:shared:0\n4:db:running:/zones/db:6b6c2a1e-7d0c-4c2b-a3c5-0f1f2e3d4c5b:ipkg:excl:4\n")
            .Command(KstatCollector.ZonesArgv, "zones:0:global:zonename\tglobal\nzones:0:global:forkfail_cap\t0\nzones:4:db:zonename\tdb\nzones:4:db:forkfail_cap\t0\n")
            .Command(KstatCollector.CapsArgv, "caps:4:nprocs_zone_4:zonename\tdb\ncaps:4:nprocs_zone_4:usage\t20\ncaps:4:nprocs_zone_4:value\t2147483647\n")
            .Command(SvcsCollector.Argv, "db online - 9:04:51 svc:/milestone/multi-user:default\n")
            .File("/etc/zones/db.xml", System.Text.Encoding.UTF8.GetBytes(xml), Now.AddDays(-30))
            .File("/proc/9/psinfo", PsinfoParserTests.Build(9, 4, 30, "postgres", "postgres"));
        var s = await PollAsync(io);
        Assert.All(s.Collectors, c => Assert.True(c.Success, c.Name + ": " + c.Error));
        var db = s.FindZone("db")!;
        Assert.Equal(("db", 3000L, 30L), (db.Name, db.LwpLimit!.Value, db.Lwps!.Value));
        Assert.Empty(s.Provisions);
    }

    [Fact]
    public async Task SvcsSkippedZonesBecomeWarnings()
    {
        var io = Node();
        io.Command(SvcsCollector.Argv, Fixture.Text("illumos/svcs-Z-o.txt"), "svcs: Could not bind to repository server for zone " + Web + ": repository server unavailable\n");
        var s = await PollAsync(io);
        Assert.True(s.Collectors.Single(c => c.Name == "illumos-svcs").Success);
        Assert.Contains("svcs -Z: svcs: Could not bind to repository server for zone " + Web + ": repository server unavailable", s.Warnings);
    }

    [Fact]
    public async Task AFailingToolFailsOnlyItsCollectorWithANamedError()
    {
        var io = Node();
        io.Command(KstatCollector.ZonesArgv, "", "kstat: permission denied\n", exitCode: 1);
        io.Command(SvcsCollector.Argv, "global online - 9:04:51\n"); // malformed: 4 fields
        var s = await PollAsync(io);

        var kstat = s.Collectors.Single(c => c.Name == "illumos-kstat");
        Assert.False(kstat.Success);
        Assert.Contains("kstat -p zones:::", kstat.Error, StringComparison.Ordinal);
        Assert.Contains("permission denied", kstat.Error, StringComparison.Ordinal);
        var svcs = s.Collectors.Single(c => c.Name == "illumos-svcs");
        Assert.False(svcs.Success);
        Assert.Contains("svcs -Z -a -H -o zone,state,nstate,stime,fmri: no line could be read; first: svcs -Z -a -H -o zone,state,nstate,stime,fmri: line 1: expected 5 fields", svcs.Error, StringComparison.Ordinal);

        Assert.Equal(398, s.FindZone(Sick)!.Lwps);
        Assert.Null(s.FindZone(Sick)!.Denials);
    }

    [Fact]
    public async Task TruncatedOutputIsRefused()
    {
        var io = Node();
        io.Command(ZoneadmCollector.Argv, Fixture.Text("illumos/zoneadm-list-pc.txt"), truncated: true);
        var s = await PollAsync(io);
        var z = s.Collectors.Single(c => c.Name == "illumos-zones");
        Assert.False(z.Success);
        Assert.Contains("output was cut", z.Error, StringComparison.Ordinal);
        // psinfo still maps ids through kstat's instances.
        Assert.Equal(398, s.FindZone(Sick)!.Lwps);
    }

    [Fact]
    public async Task MalformedCapsCostOnlyTheProcessFigures()
    {
        var io = Node();
        io.Command(KstatCollector.CapsArgv, "caps:12:nprocs_zone_12:usage\tmany\n");
        var s = await PollAsync(io);
        Assert.Equal(1734, s.FindZone(Sick)!.Denials);
        Assert.Null(s.FindZone(Sick)!.Processes);
        Assert.Contains(s.Warnings, w => w.StartsWith("kstat -p caps:::: caps:12:nprocs_zone_12: no zonename statistic; that cap is unknown this poll", StringComparison.Ordinal));

        io.Command(KstatCollector.CapsArgv, "caps:12:nprocs_zone_12:usage many\n"); // nothing readable at all
        s = await PollAsync(io);
        Assert.Equal(1734, s.FindZone(Sick)!.Denials);
        Assert.Contains(s.Warnings, w => w.StartsWith("process counts unavailable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PsinfoSkipsExitingAndMalformedProcessesAndNamesUnknownZones()
    {
        var io = Node()
            .File("/proc/777/psinfo", new byte[100])                                   // exiting: short read
            .File("/proc/778/psinfo", PsinfoParserTests.Build(999, 0, 5, "x", "x"))     // pid mismatch
            .File("/proc/779/psinfo", PsinfoParserTests.Build(779, 44, 3, "ghost", "ghost")) // zone id nobody reported
            .File("/proc/self/psinfo", PsinfoParserTests.Build(1, 0, 1, "self", "self")); // not a pid: ignored
        var s = await PollAsync(io);
        Assert.True(s.Collectors.Single(c => c.Name == "illumos-psinfo").Success);
        Assert.Equal(41, s.FindZone("global")!.Lwps);
        Assert.Contains(s.Warnings, w => w.Contains("1 psinfo file(s) skipped as malformed", StringComparison.Ordinal) && w.Contains("/proc/778/psinfo", StringComparison.Ordinal));
        Assert.Contains(s.Warnings, w => w.Contains("zone id 44", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARunningZoneWithoutProcessesHasZeroLwps()
    {
        var io = Node();
        io.Command(ZoneadmCollector.Argv, Fixture.Text("illumos/zoneadm-list-pc.txt") + "5:empty:running:/zones/empty:empty:joyent:excl:5\n");
        var s = await PollAsync(io);
        Assert.Equal(0, s.FindZone("empty")!.Lwps);
    }

    [Fact]
    public async Task NoPsinfoAtAllFailsTheCollector()
    {
        var io = new FakeHostSource()
            .Command(ZoneadmCollector.Argv, Fixture.Text("illumos/zoneadm-list-pc.txt"))
            .File("/proc/1/stat", "1 (init) S 0");
        var s = await PollAsync(io);
        var ps = s.Collectors.Single(c => c.Name == "illumos-psinfo");
        Assert.False(ps.Success);
        Assert.Contains("no readable psinfo under /proc", ps.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AZoneMissingFromKstatIsAWarningNamingIt()
    {
        var io = Node();
        io.Command(ZoneadmCollector.Argv, Fixture.Text("illumos/zoneadm-list-pc.txt") + "5:empty:running:/zones/empty:empty:joyent:excl:5\n");
        var s = await PollAsync(io);
        Assert.Contains("zone empty: running but missing from 'kstat -p zones:::'; its denials are unknown this poll", s.Warnings);
        Assert.Null(s.FindZone("empty")!.Denials);
        Assert.Contains(s.Warnings, w => w.StartsWith("zone empty: /etc/zones/empty.xml does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ABadKstatCostsOnlyItsZone()
    {
        var io = Node();
        io.Command(KstatCollector.ZonesArgv, Fixture.Text("illumos/kstat-zones.txt").Replace("zones:0:global:forkfail_cap\t0\n", "", StringComparison.Ordinal));
        var s = await PollAsync(io);
        Assert.True(s.Collectors.Single(c => c.Name == "illumos-kstat").Success);
        Assert.Equal(1734, s.FindZone(Sick)!.Denials);
        Assert.Null(s.FindZone("global")!.Denials);
        Assert.Contains(s.Warnings, w => w.Contains("zones:0:global: no forkfail_cap statistic", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASvcsLineThatCannotBeReadCostsOnlyThatInstance()
    {
        var io = Node();
        io.Command(SvcsCollector.Argv, Fixture.Text("illumos/svcs-Z-o.txt") + Web + " running - 9:04:51 svc:/x:default\n");
        var s = await PollAsync(io);
        Assert.True(s.Collectors.Single(c => c.Name == "illumos-svcs").Success);
        Assert.Equal(7, s.Services.Length);
        Assert.Contains(s.Warnings, w => w.Contains("unknown state 'running'", StringComparison.Ordinal) && w.Contains("zone " + Web, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ZonesRootPrefixesTheProvisioningMarker()
    {
        var io = Node().Mtime($"/replay/zones/{Sick}/root/var/svc/provisioning", Now.AddMinutes(-1));
        var s = await PollAsync(io, Settings with { ZonesRoot = "/replay/" });
        Assert.Equal(Now.AddMinutes(-1), Assert.Single(s.Provisions).MarkerSince);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
