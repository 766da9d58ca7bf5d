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

    /// <summary>A node as the fixtures describe it, with /proc holding a few processes per zone.</summary>
    private static FakeHostSource Node()
    {
        var kstatZones = Fixture.Text("illumos/kstat-zones.txt");
        var kstatCaps = Fixture.Text("illumos/kstat-caps.txt");
        return new FakeHostSource()
            .Command(ZoneadmCollector.Argv, Fixture.Text("illumos/zoneadm-list-pc.txt"))
            .Command(KstatCollector.ZonesArgv, kstatZones)
            .Command(KstatCollector.CapsArgv, kstatCaps)
            .Command(ZoneCapsCollector.VmadmArgv, Fixture.Text("illumos/vmadm-list-p.txt"))
            .Command(SvcsCollector.Argv, Fixture.Text("illumos/svcs-Z-o.txt"))
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
        Assert.Null(sick.ProcessLimit); // INT32_MAX = no cap
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
    public async Task EveryToolForksOncePerPollNeverPerZone()
    {
        var io = Node();
        await PollAsync(io);
        Assert.Equal(1, io.RunCount("zoneadm"));
        Assert.Equal(2, io.RunCount("kstat")); // zones::: and caps:::, the exact argv DESIGN.md lists
        Assert.Equal(1, io.RunCount("vmadm"));
        Assert.Equal(1, io.RunCount("svcs"));
        Assert.Equal(0, io.RunCount("prctl")); // vmadm answered
        Assert.Equal(5, io.Runs.Count);
    }

    [Fact]
    public async Task WithoutVmadmOnePrctlCoversAllRunningZonesAndAnAtCapZoneIsAWarning()
    {
        var io = Node();
        io.Command(ZoneCapsCollector.VmadmArgv, new LwpWatch.Collectors.Process.CommandResult { Argv = [.. ZoneCapsCollector.VmadmArgv], ExitCode = -1, StartError = "No such file or directory" });
        string[] prctl = [.. ZoneCapsCollector.PrctlPrefix, Web, Sick];
        io.Command(prctl, "zone: 1: " + Web + "\nzone.max-lwps usage 12 - - -\nzone.max-lwps privileged 2000 - deny -\nzone.max-lwps system 2147483647 max deny -\n",
            Fixture.Text("illumos/prctl-at-cap-stderr.txt"), exitCode: 1);

        var s = await PollAsync(io);

        Assert.True(s.Collectors.Single(c => c.Name == "illumos-caps").Success);
        Assert.Equal(1, io.RunCount("prctl"));
        Assert.Equal(2000, s.FindZone(Web)!.LwpLimit);
        Assert.Null(s.FindZone(Sick)!.LwpLimit);
        Assert.Contains(s.Warnings, w => w.Contains(Sick, StringComparison.Ordinal) && w.Contains("exactly at its LWP cap", StringComparison.Ordinal));
        Assert.Empty(s.Provisions); // no vmadm, no provisioning state
        Assert.Equal(398, s.FindZone(Sick)!.Lwps); // usage still comes from psinfo
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
        Assert.Contains("svcs -Z -a -H -o zone,state,nstate,stime,fmri: line 1: expected 5 fields", svcs.Error, StringComparison.Ordinal);

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
