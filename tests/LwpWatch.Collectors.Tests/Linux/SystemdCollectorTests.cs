using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Linux;
using NSubstitute;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Linux;

public class SystemdCollectorTests
{
    private const string Bus = "unix:path=/proc/77/root/run/dbus/system_bus_socket";
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);

    private static readonly LinuxSettings Settings = new()
    {
        ProcRoot = "/proc",
        Systemd = new SystemdSettings { BusAddress = Bus, CgroupPrefix = "/lwpw-sd", RootDir = "/proc/77/root" },
    };

    private static (SystemdCollector Collector, MemoryHost Host, SnapshotDraft Draft) Make(LinuxSettings? settings = null)
    {
        var s = settings ?? Settings;
        var host = new MemoryHost();
        host.Files["/proc/77/root/run/dbus/system_bus_socket"] = "";
        host.Files["/proc/77/root/run/systemd/system/.keep"] = ""; // systemd booted this root (sd_booted)
        host.Files["/proc/uptime"] = "1136.388562 1000.00\n"; // stuck-notify changed state 10 s ago
        var c = new SystemdCollector(host, s);
        host.Reply(SystemdCollector.ListUnitsCall(Bus), MemoryHost.Fixture("list-units.json"));
        host.Reply(SystemdCollector.GetAllCall(Bus, "/org/freedesktop/systemd1/unit/stuck_2dnotify_2eservice"), MemoryHost.Fixture("getall-stuck-notify.json"));
        host.Reply(SystemdCollector.GetAllCall(Bus, "/org/freedesktop/systemd1/unit/stuck_2dpre_2eservice"), MemoryHost.Fixture("getall-stuck-pre.json"));
        var draft = new SnapshotDraft { TakenAt = Now, Host = "h", Platform = "linux" }.With(new Contribution
        {
            Zones =
            [
                new Zone { Id = "/lwpw-sd/system.slice/stuck-notify.service", Kind = ZoneKind.Cgroup, Name = "stuck-notify.service", Unit = "stuck-notify.service", Lwps = 20, LwpLimit = 20 },
                new Zone { Id = "/lwpw-sd/system.slice/systemd-journald.service", Kind = ZoneKind.Cgroup, Name = "systemd-journald.service", Unit = "systemd-journald.service", Lwps = 1, LwpLimit = 4000 },
                // Same unit name outside the manager's subtree (another container): must not be joined.
                new Zone { Id = "/other/system.slice/dbus.service", Kind = ZoneKind.Cgroup, Name = "dbus.service", Unit = "dbus.service", Lwps = 9, LwpLimit = 99 },
            ],
        });
        return (c, host, draft);
    }

    [Fact]
    public async Task Every_active_unit_with_details_for_those_in_transition()
    {
        var (c, host, draft) = Make();
        var got = await c.CollectAsync(draft, CancellationToken.None);

        Assert.Empty(got.Warnings);
        Assert.DoesNotContain(got.Services, s => s.State == "inactive");
        var notify = Assert.Single(got.Services, s => s.Name == "stuck-notify.service");
        Assert.Equal("/lwpw-sd/system.slice/stuck-notify.service", notify.ZoneId);
        Assert.True(notify.InTransition);
        Assert.Equal(("activating", "start", 20L, 20L), (notify.State, notify.NextState, notify.Tasks!.Value, notify.TasksLimit!.Value));
        Assert.Equal(Now.AddSeconds(-10), notify.StateSince);
        var pre = Assert.Single(got.Services, s => s.Name == "stuck-pre.service");
        Assert.Equal("start-pre", pre.NextState);
        var journald = Assert.Single(got.Services, s => s.Name == "systemd-journald.service");
        Assert.False(journald.InTransition);
        Assert.Equal(("/lwpw-sd/system.slice/systemd-journald.service", 1L, 4000L), (journald.ZoneId, journald.Tasks!.Value, journald.TasksLimit!.Value));
        var dbus = Assert.Single(got.Services, s => s.Name == "dbus.service");
        Assert.Equal("/lwpw-sd", dbus.ZoneId); // no zone under this manager's prefix: the manager's root
        Assert.Null(dbus.Tasks);
        Assert.Equal(3, host.BusCalls.Count); // ListUnits + one GetAll per unit in transition
    }

    [Fact]
    public async Task Details_are_cached_while_the_state_holds()
    {
        var (c, host, draft) = Make();
        await c.CollectAsync(draft, CancellationToken.None);
        await c.CollectAsync(draft, CancellationToken.None);
        var second = await c.CollectAsync(draft, CancellationToken.None);
        Assert.Equal(5, host.BusCalls.Count); // 3 + one ListUnits per later poll
        Assert.NotNull(Assert.Single(second.Services, s => s.Name == "stuck-notify.service").StateSince);
    }

    [Fact]
    public async Task Detail_queries_are_bounded_per_poll()
    {
        var (c, host, draft) = Make(Settings with { Systemd = Settings.Systemd with { MaxDetailQueries = 1 } });
        var got = await c.CollectAsync(draft, CancellationToken.None);
        Assert.Equal(2, host.BusCalls.Count);
        Assert.Contains(got.Warnings, w => w.Contains("1 unit property queries (GetAll) left for the next poll", StringComparison.Ordinal));
        await c.CollectAsync(draft, CancellationToken.None);
        Assert.Equal(4, host.BusCalls.Count); // the other one is fetched next poll
    }

    [Fact]
    public async Task The_owner_of_a_capped_zone_is_what_the_manager_reports_never_a_name_alike()
    {
        var (c, host, draft) = Make();
        host.Reply(SystemdCollector.GetAllCall(Bus, "/org/freedesktop/systemd1/unit/systemd_2dlogind_2eservice"), MemoryHost.Fixture("getall-logind.json"));
        draft = draft.With(new Contribution
        {
            Zones =
            [
                // A tenant's cgroup named like the unit and half full: the query it triggers answers with the unit's
                // real cgroup, so the unit is not joined to the tenant's.
                new Zone { Id = "/lwpw-sd/tenant/systemd-logind.service", Kind = ZoneKind.Cgroup, Name = "systemd-logind.service", Unit = "systemd-logind.service", Lwps = 6, LwpLimit = 10 },
                new Zone { Id = "/lwpw-sd/system.slice/systemd-logind.service", Kind = ZoneKind.Cgroup, Name = "systemd-logind.service", Unit = "systemd-logind.service", Lwps = 1, LwpLimit = 28908 },
                // mkdir'ed, no such unit in ListUnits: nothing to ask, nothing owns it.
                new Zone { Id = "/lwpw-sd/test.slice", Kind = ZoneKind.Cgroup, Name = "test.slice", Unit = "test.slice", Lwps = 10, LwpLimit = 10, Denials = 5 },
            ],
        });
        var got = await c.CollectAsync(draft, CancellationToken.None);

        Assert.Empty(got.Warnings);
        var logind = Assert.Single(got.Services, s => s.Name == "systemd-logind.service");
        Assert.Equal(("/lwpw-sd/system.slice/systemd-logind.service", "/system.slice/systemd-logind.service"), (logind.ZoneId, logind.ControlGroup));
        Assert.False(logind.InTransition);
        Assert.DoesNotContain(got.Services, s => s.ZoneId == "/lwpw-sd/tenant/systemd-logind.service" || s.ZoneId == "/lwpw-sd/test.slice");
        // Units not asked about carry no ControlGroup: where they run is only a guess from the name.
        Assert.Null(Assert.Single(got.Services, s => s.Name == "systemd-journald.service").ControlGroup);
        Assert.Equal(4, host.BusCalls.Count); // ListUnits, the two in transition, logind

        await c.CollectAsync(draft, CancellationToken.None);
        Assert.Equal(5, host.BusCalls.Count); // cached while its state holds
    }

    [Fact]
    public async Task Auto_without_a_bus_is_a_warning_not_a_failure()
    {
        var (c, host, draft) = Make(Settings with { Systemd = Settings.Systemd with { BusAddress = "unix:path=/nonexistent/bus" } });
        var got = await c.CollectAsync(draft, CancellationToken.None);
        Assert.Empty(got.Services);
        Assert.Contains("no system bus at /nonexistent/bus", Assert.Single(got.Warnings), StringComparison.Ordinal);
        Assert.Empty(host.BusCalls);
    }

    [Fact]
    public async Task Auto_with_a_bus_but_no_systemd_is_a_warning()
    {
        var (c, host, draft) = Make();
        host.Files.Remove("/proc/77/root/run/systemd/system/.keep");
        var got = await c.CollectAsync(draft, CancellationToken.None);
        Assert.Contains("systemd is not the init system", Assert.Single(got.Warnings), StringComparison.Ordinal);
        Assert.Empty(host.BusCalls);
    }

    [Fact]
    public async Task Enabled_true_without_a_bus_fails_the_collector_with_the_command()
    {
        var (c, host, draft) = Make(Settings with { Systemd = Settings.Systemd with { Enabled = "true", BusAddress = "unix:path=/nonexistent/bus" } });
        host.Bus.Clear(); // nothing answers on that address
        var ex = await Assert.ThrowsAsync<IOException>(() => c.CollectAsync(draft, CancellationToken.None));
        Assert.Contains("ListUnits failed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabled_runs_nothing()
    {
        var (c, host, draft) = Make(Settings with { Systemd = Settings.Systemd with { Enabled = "false" } });
        Assert.Same(Contribution.Empty, await c.CollectAsync(draft, CancellationToken.None));
        Assert.Empty(host.BusCalls);
    }

    [Fact]
    public async Task A_failed_detail_query_is_a_warning()
    {
        var (c, host, draft) = Make();
        host.Bus.Remove(host.Bus.Keys.Single(k => k.Contains("stuck_2dpre", StringComparison.Ordinal)));
        var got = await c.CollectAsync(draft, CancellationToken.None);
        Assert.Contains(got.Warnings, w => w.StartsWith("systemd: properties of stuck-pre.service", StringComparison.Ordinal));
        Assert.Null(Assert.Single(got.Services, s => s.Name == "stuck-pre.service").StateSince);
    }

    [Fact]
    public async Task A_failed_ListUnits_makes_no_further_bus_call()
    {
        var io = BootedHost();
        io.CallBusAsync(Arg.Any<BusCall>(), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>())
            .Returns(c => new BusReply { Call = c.Arg<BusCall>(), TimedOut = true, Duration = TimeSpan.FromSeconds(3) });
        var (_, _, draft) = Make();
        var ex = await Assert.ThrowsAsync<IOException>(() => new SystemdCollector(io, Settings).CollectAsync(draft, CancellationToken.None));
        Assert.Contains("timed out after 3s", ex.Message, StringComparison.Ordinal);
        await io.Received(1).CallBusAsync(Arg.Any<BusCall>(), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>());
        await io.DidNotReceive().CallBusAsync(Arg.Is<BusCall>(c => c.Member == "GetAll"), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>());
        await io.DidNotReceiveWithAnyArgs().RunAsync(default!, default, default); // and no fork
    }

    [Fact]
    public async Task Every_call_carries_the_configured_timeout_and_detail_calls_stop_at_the_budget()
    {
        var io = BootedHost();
        var settings = Settings with { Systemd = Settings.Systemd with { MaxDetailQueries = 1, CommandTimeout = TimeSpan.FromMilliseconds(1234) } };
        io.CallBusAsync(Arg.Is<BusCall>(c => c.Member == "ListUnits"), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>())
            .Returns(c => new BusReply { Call = c.Arg<BusCall>(), Json = MemoryHost.Fixture("list-units.json") });
        io.CallBusAsync(Arg.Is<BusCall>(c => c.Member == "GetAll"), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>())
            .Returns(c => new BusReply { Call = c.Arg<BusCall>(), Json = MemoryHost.Fixture("getall-stuck-notify.json") });
        var (_, _, draft) = Make();
        await new SystemdCollector(io, settings).CollectAsync(draft, CancellationToken.None);
        await io.Received(1).CallBusAsync(Arg.Is<BusCall>(c => c.Member == "GetAll"), Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>());
        await io.DidNotReceive().CallBusAsync(Arg.Any<BusCall>(), Arg.Is<TimeSpan>(t => t != TimeSpan.FromMilliseconds(1234)), Arg.Any<CancellationToken>());
        Assert.All(io.ReceivedCalls().Where(c => c.GetMethodInfo().Name == nameof(IHostSource.CallBusAsync)), c => Assert.Equal(Bus, ((BusCall)c.GetArguments()[0]!).Address));
    }

    /// <summary>A substitute host where systemd booted and the bus socket exists; the bus answers are set per test.</summary>
    private static IHostSource BootedHost()
    {
        var io = Substitute.For<IHostSource>();
        io.FileExists("/proc/77/root/run/dbus/system_bus_socket").Returns(true);
        io.DirectoryExists("/proc/77/root/run/systemd/system").Returns(true);
        io.ReadText("/proc/uptime").Returns("1136.388562 1000.00\n");
        return io;
    }

    [Fact]
    public void Settings_validation_and_socket_path()
    {
        Assert.Equal("/run/dbus/system_bus_socket", new SystemdSettings().SocketPath());
        Assert.Null(new SystemdSettings { BusAddress = "tcp:host=x,port=1" }.SocketPath());
        var bad = new SystemdSettings { Enabled = "yes", BusAddress = "/run/x", CgroupPrefix = "x/", MaxDetailQueries = -1 }.Validate("linux.systemd").ToList();
        Assert.Equal(4, bad.Count);
        Assert.Contains("linux.systemd.enabled: must be auto, true or false, got 'yes'", bad);
    }
}
