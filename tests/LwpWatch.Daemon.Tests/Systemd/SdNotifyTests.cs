using LwpWatch.Daemon.Systemd;
using Xunit;

namespace LwpWatch.Daemon.Tests.Systemd;

public sealed class SdNotifyTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
    {
        var map = vars.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        return k => map.GetValueOrDefault(k);
    }

    [Fact]
    public void Without_NOTIFY_SOCKET_there_is_nothing_to_notify()
    {
        var problems = new List<string>();
        Assert.Null(SdNotify.FromEnvironment(Env(), 42, problems));
        Assert.Empty(problems);
    }

    [Fact]
    public void A_relative_NOTIFY_SOCKET_is_a_named_problem_not_a_crash()
    {
        var problems = new List<string>();
        Assert.Null(SdNotify.FromEnvironment(Env(("NOTIFY_SOCKET", "run/notify")), 42, problems));
        Assert.Contains(problems, p => p.StartsWith("NOTIFY_SOCKET:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("30000000", null, 30_000)]
    [InlineData("30000000", "42", 30_000)]
    [InlineData("250000", "", 250)]
    public void Watchdog_interval_comes_from_WATCHDOG_USEC(string usec, string? pid, int expectedMs)
    {
        var problems = new List<string>();
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), SdNotify.ParseWatchdog(usec, pid, 42, problems));
        Assert.Empty(problems);
    }

    [Fact]
    public void Watchdog_meant_for_another_pid_is_off()
    {
        var problems = new List<string>();
        Assert.Null(SdNotify.ParseWatchdog("30000000", "41", 42, problems));
        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("0", null, "WATCHDOG_USEC:")]
    [InlineData("-5", null, "WATCHDOG_USEC:")]
    [InlineData("30s", null, "WATCHDOG_USEC:")]
    [InlineData("30000000", "self", "WATCHDOG_PID:")]
    public void Bad_watchdog_variables_turn_the_watchdog_off_with_a_named_problem(string usec, string? pid, string prefix)
    {
        var problems = new List<string>();
        Assert.Null(SdNotify.ParseWatchdog(usec, pid, 42, problems));
        Assert.Contains(problems, p => p.StartsWith(prefix, StringComparison.Ordinal));
    }

    [Fact]
    public void Sends_datagrams_to_a_path_socket()
    {
        using var systemd = NotifySocket.OnPath();
        using var notify = SdNotify.FromEnvironment(Env(("NOTIFY_SOCKET", systemd.Address), ("WATCHDOG_USEC", "2000000")), 42, new List<string>())!;

        Assert.True(notify.Send("READY=1\nSTATUS=first poll done"));
        Assert.Equal(TimeSpan.FromSeconds(2), notify.WatchdogInterval);
        Assert.Equal(["READY=1\nSTATUS=first poll done"], systemd.Drain());
    }

    [Fact]
    public void Sends_datagrams_to_an_abstract_socket()
    {
        using var systemd = NotifySocket.Abstract();
        using var notify = SdNotify.FromEnvironment(Env(("NOTIFY_SOCKET", systemd.Address)), 42, new List<string>())!;

        Assert.True(notify.Send("WATCHDOG=1"));
        Assert.Null(notify.WatchdogInterval);
        Assert.Equal(["WATCHDOG=1"], systemd.Drain());
    }

    [Fact]
    public void A_vanished_socket_drops_and_counts_instead_of_throwing()
    {
        string address;
        using (var systemd = NotifySocket.OnPath())
        {
            address = systemd.Address;
        }

        using var notify = SdNotify.FromEnvironment(Env(("NOTIFY_SOCKET", address)), 42, new List<string>())!;
        Assert.False(notify.Send("READY=1"));
        Assert.Equal(1, notify.Failures);
    }
}
