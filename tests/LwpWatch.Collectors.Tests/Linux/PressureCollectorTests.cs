using LwpWatch.Collectors.Linux;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Linux;

public class PressureCollectorTests
{
    private static SnapshotDraft Draft() => new SnapshotDraft { TakenAt = DateTimeOffset.UnixEpoch, Host = "h", Platform = "linux" }.With(new Contribution
    {
        Zones =
        [
            new Zone { Id = "/system.slice/a.service", Kind = ZoneKind.Cgroup, Name = "a.service", Lwps = 2, LwpLimit = 100 },
            new Zone { Id = "/system.slice/b.service", Kind = ZoneKind.Cgroup, Name = "b.service", Lwps = 95, LwpLimit = 100 },
            new Zone { Id = "/system.slice/c.service", Kind = ZoneKind.Cgroup, Name = "c.service", Lwps = 1, LwpLimit = 100 },
        ],
        Services = [new ServiceState { ZoneId = "/system.slice/a.service", Name = "a.service", State = "activating", InTransition = true }],
    });

    [Fact]
    public async Task Hybrid_reads_unified_psi_and_v1_oom_control_for_stuck_and_near_cap_zones_only()
    {
        var host = new MemoryHost();
        host.Files["/cg/unified/system.slice/a.service/cpu.pressure"] = "some avg10=55.10 avg60=20.00 avg300=5.00 total=123\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=1\n";
        host.Files["/cg/memory/system.slice/a.service/memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        host.Files["/cg/memory/system.slice/b.service/memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n";
        host.Files["/cg/unified/system.slice/c.service/cpu.pressure"] = "some avg10=99.00 avg60=0 avg300=0 total=0\n";
        var got = await new PressureCollector(host, new LinuxSettings { CgroupRoot = "/cg" }).CollectAsync(Draft(), CancellationToken.None);
        var a = Assert.Single(got.Zones, z => z.Id == "/system.slice/a.service");
        Assert.Equal(55.1, a.Pressure!.CpuPressureAvg10);
        Assert.Equal(3, a.Pressure.MemoryFailures);
        Assert.Equal(0, Assert.Single(got.Zones, z => z.Id == "/system.slice/b.service").Pressure!.MemoryFailures);
        Assert.DoesNotContain(got.Zones, z => z.Id == "/system.slice/c.service"); // neither stuck nor near its cap
    }

    [Fact]
    public async Task Pure_v2_reads_memory_events_and_reports_garbage_as_warning()
    {
        var host = new MemoryHost();
        host.Files["/cg/cgroup.controllers"] = "cpu memory pids\n";
        host.Files["/cg/system.slice/a.service/memory.events"] = "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n";
        host.Files["/cg/system.slice/b.service/cpu.pressure"] = "some avg10=abc\n";
        var got = await new PressureCollector(host, new LinuxSettings { CgroupRoot = "/cg" }).CollectAsync(Draft(), CancellationToken.None);
        Assert.Equal(3, Assert.Single(got.Zones).Pressure!.MemoryFailures);
        Assert.Contains("avg10 is not a number", Assert.Single(got.Warnings), StringComparison.Ordinal);
    }
}
