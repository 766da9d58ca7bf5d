using LwpWatch.Daemon.Systemd;
using LwpWatch.Daemon.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit;

namespace LwpWatch.Daemon.Tests.Systemd;

public sealed class SystemdLifecycleTests : IDisposable
{
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollGap = TimeSpan.FromSeconds(20);

    private readonly NotifySocket _systemd = NotifySocket.OnPath();
    private readonly ManualClock _clock = new();
    private readonly SdNotify _notify;
    private readonly SystemdLifecycle _lifecycle;

    public SystemdLifecycleTests()
    {
        _notify = SdNotify.FromEnvironment(
            k => k switch { "NOTIFY_SOCKET" => _systemd.Address, "WATCHDOG_USEC" => "60000000", _ => null },
            Environment.ProcessId,
            new List<string>())!;
        _lifecycle = new SystemdLifecycle(_notify, _clock, PollGap);
        _lifecycle.Start();
    }

    public void Dispose()
    {
        _lifecycle.Dispose();
        _notify.Dispose();
        _systemd.Dispose();
    }

    [Fact]
    public void Ping_window_is_the_larger_of_half_the_watchdog_and_the_poll_gap()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), _lifecycle.StaleAfter);
        Assert.Equal(TimeSpan.FromSeconds(15), _lifecycle.PingPeriod);
        using var slow = new SystemdLifecycle(_notify, _clock, TimeSpan.FromSeconds(45));
        Assert.Equal(TimeSpan.FromSeconds(45), slow.StaleAfter);
    }

    [Fact]
    public void Ready_is_sent_only_after_the_first_poll_completed()
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(_systemd.Drain(), m => m.Contains("READY=1", StringComparison.Ordinal));

        _lifecycle.PollCompleted("3 zones, 0 alerts");
        var first = Assert.Single(_systemd.Drain());
        Assert.Equal("READY=1\nSTATUS=3 zones, 0 alerts\nWATCHDOG=1", first);

        _lifecycle.PollCompleted("3 zones, 1 alert");
        Assert.Equal(["STATUS=3 zones, 1 alert\nWATCHDOG=1"], _systemd.Drain());
    }

    [Fact]
    public void Watchdog_pings_while_polls_complete_and_stops_when_the_loop_wedges()
    {
        // A healthy loop: a poll completes every 15 s for two minutes; every 15 s tick pings.
        var healthy = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            _lifecycle.PollCompleted("ok");
            _clock.Advance(TimeSpan.FromSeconds(15));
            healthy.AddRange(_systemd.Drain());
        }

        Assert.Equal(8, healthy.Count(m => m == "WATCHDOG=1"));

        // The loop wedges: no more completions. Ticks within StaleAfter (30 s) of the last completion still
        // ping, then the pings stop for good and the status says why.
        _clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(["WATCHDOG=1"], _systemd.Drain());
        _clock.Advance(TimeSpan.FromSeconds(15));
        var stalled = _systemd.Drain();
        Assert.DoesNotContain("WATCHDOG=1", stalled);
        Assert.Equal(["STATUS=poll loop stalled: no poll completed for 45s"], stalled);

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(_systemd.Drain());

        // Should it come back before systemd acts, pings resume with the next completion.
        _lifecycle.PollCompleted("recovered");
        _clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(["STATUS=recovered\nWATCHDOG=1", "WATCHDOG=1"], _systemd.Drain());
    }

    [Fact]
    public void A_first_poll_that_never_completes_stops_the_pings_too()
    {
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(["WATCHDOG=1", "WATCHDOG=1"], _systemd.Drain());
        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("WATCHDOG=1", _systemd.Drain());
    }

    [Fact]
    public void Stopping_is_announced_and_later_statuses_are_not_sent()
    {
        _lifecycle.PollCompleted("ok");
        _lifecycle.Stopping("stopping: finishing the current poll");
        _lifecycle.PollCompleted("last poll");
        Assert.Equal(["READY=1\nSTATUS=ok\nWATCHDOG=1", "STOPPING=1\nSTATUS=stopping: finishing the current poll"], _systemd.Drain());
    }

    [Fact]
    public void Reload_is_bracketed_by_RELOADING_and_READY()
    {
        _lifecycle.PollCompleted("ok");
        _systemd.Drain();
        _lifecycle.Reloading();
        _lifecycle.Reloaded("configuration reloaded");
        var messages = _systemd.Drain();
        Assert.Equal(2, messages.Count);
        Assert.StartsWith("RELOADING=1\nMONOTONIC_USEC=", messages[0], StringComparison.Ordinal);
        Assert.Equal("READY=1\nSTATUS=configuration reloaded", messages[1]);
    }

    [Fact]
    public void A_status_cannot_inject_extra_assignments()
    {
        _lifecycle.PollCompleted("zone a\nREADY=1");
        Assert.Equal(["READY=1\nSTATUS=zone a READY=1\nWATCHDOG=1"], _systemd.Drain());
    }

    [Fact]
    public void Watchdog_for_another_pid_means_no_pings_at_all()
    {
        using var notify = SdNotify.FromEnvironment(
            k => k switch { "NOTIFY_SOCKET" => _systemd.Address, "WATCHDOG_USEC" => "60000000", "WATCHDOG_PID" => "1", _ => null },
            Environment.ProcessId,
            new List<string>())!;
        // Its own clock: advancing the shared one would fire the fixture's lifecycle timer too.
        var clock = new ManualClock();
        using var lifecycle = new SystemdLifecycle(notify, clock, PollGap);
        lifecycle.Start();
        _systemd.Drain();
        lifecycle.PollCompleted("ok");
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(["READY=1\nSTATUS=ok"], _systemd.Drain());
        Assert.Null(lifecycle.PingPeriod);
    }

    [Fact]
    public void Without_systemd_every_call_is_a_no_op()
    {
        using var lifecycle = new SystemdLifecycle(null, _clock, PollGap);
        lifecycle.Start();
        lifecycle.PollCompleted("ok");
        lifecycle.Stopping();
        Assert.False(lifecycle.Enabled);
        Assert.False(lifecycle.Tick());
    }

    [Fact]
    public void A_dead_notify_socket_is_logged_once_and_every_lost_message_counted()
    {
        string address;
        using (var gone = NotifySocket.OnPath())
        {
            address = gone.Address;
        }

        using var notify = SdNotify.FromEnvironment(k => k == "NOTIFY_SOCKET" ? address : null, Environment.ProcessId, new List<string>())!;
        var log = new ListLogger();
        using var lifecycle = new SystemdLifecycle(notify, new ManualClock(), PollGap, log);
        lifecycle.Start();
        lifecycle.PollCompleted("ok");
        lifecycle.PollCompleted("ok");
        lifecycle.Reloading();

        Assert.Equal(3, lifecycle.NotifyFailures);
        var line = Assert.Single(log.WithId(1602));
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Equal("NotifyFailed", line.EventId.Name);
        Assert.Equal(address, line.Properties["Socket"]);
        Assert.Equal("READY=1", line.Properties["Notification"]);
        Assert.Contains(line.Properties["Error"] as string, new[] { "ConnectionRefused", "AddressNotAvailable" });
        Assert.Empty(log.WithId(1603));
    }

    [Fact]
    public void A_full_notify_queue_drops_and_counts_then_the_recovery_says_how_many_were_lost()
    {
        // systemd not reading: the kernel queues net.unix.max_dgram_qlen datagrams, then sendto fails (EAGAIN)
        // because the socket never blocks. Nothing waits; the poll goes on.
        var log = new ListLogger();
        var clock = new ManualClock();
        using var lifecycle = new SystemdLifecycle(_notify, clock, PollGap, log);
        _systemd.Drain();
        var sent = 0;
        while (lifecycle.NotifyFailures == 0 && sent < 10_000)
        {
            lifecycle.PollCompleted("ok");
            sent++;
        }

        Assert.True(lifecycle.NotifyFailures == 1, $"the queue never filled after {sent} messages");
        lifecycle.PollCompleted("ok");
        lifecycle.PollCompleted("ok");
        Assert.Equal(3, lifecycle.NotifyFailures);
        var failed = Assert.Single(log.WithId(1602));
        Assert.Equal("WouldBlock", failed.Properties["Error"]);

        Assert.Equal(sent - 1, _systemd.Drain().Count);
        lifecycle.PollCompleted("ok");
        var recovered = Assert.Single(log.WithId(1603));
        Assert.Equal(LogLevel.Information, recovered.Level);
        Assert.Equal(3L, recovered.Properties["Lost"]);
        Assert.Single(_systemd.Drain());
        Assert.Single(log.WithId(1602)); // still the one line for that run of failures
    }
}
