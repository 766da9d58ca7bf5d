using System.Collections.Immutable;
using System.Text.Json;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Process;
using LwpWatch.Collectors.Tests.Support;

namespace LwpWatch.Collectors.Tests.Bus;

/// <summary>
/// The in-process D-Bus client against a real dbus-daemon (Debian's, private config and socket) and busctl (systemd
/// 252) as the reference for the JSON shape: the same call made both ways gives the same JSON.
/// </summary>
public sealed class DBusClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Every_type_is_written_exactly_as_busctl_prints_it()
    {
        using var peer = await TestBusPeer.StartAsync(hang: false);
        using var client = new DBusClient();
        var call = new BusCall(peer.Address, TestBusPeer.Name, "/x", "org.example.Test", "Types", []);
        var ours = await client.CallAsync(call, Timeout, CancellationToken.None);
        Assert.True(ours.Succeeded, ours.Describe());

        var busctl = await new CommandRunner().RunAsync(["busctl", $"--address={peer.Address}", "--json=short", "call", TestBusPeer.Name, "/x", "org.example.Test", "Types"], Timeout, CancellationToken.None);
        Assert.True(busctl.Succeeded, busctl.Describe());
        Assert.Null(JsonDiff.First(JsonDocument.Parse(busctl.Stdout).RootElement, JsonDocument.Parse(ours.Json!).RootElement));
        Assert.Contains("\"type\":\"ybnqiuxtdsogva{sv}a(sasbttttuii)ayas\"", ours.Json, StringComparison.Ordinal);
        Assert.Contains("18446744073709551615", ours.Json, StringComparison.Ordinal); // uint64 max as a number, not rounded
    }

    [Fact]
    public async Task An_error_reply_is_named_and_on_one_line()
    {
        using var peer = await TestBusPeer.StartAsync(hang: false);
        using var client = new DBusClient();
        var r = await client.CallAsync(new BusCall(peer.Address, TestBusPeer.Name, "/x", "org.example.Test", "Fail", []), Timeout, CancellationToken.None);
        Assert.False(r.Succeeded);
        Assert.Equal("org.freedesktop.DBus.Error.AccessDenied", r.ErrorName);
        Assert.DoesNotContain('\n', r.Describe());
        Assert.Contains("AccessDenied: no, and a second line", r.Describe(), StringComparison.Ordinal);

        // The connection survives an error reply: the next call on it works.
        Assert.True((await client.CallAsync(new BusCall(peer.Address, TestBusPeer.Name, "/x", "org.example.Test", "Types", []), Timeout, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task A_peer_that_never_replies_costs_one_timeout_and_the_connection_is_dropped()
    {
        using var peer = await TestBusPeer.StartAsync(hang: true);
        using var client = new DBusClient();
        var call = new BusCall(peer.Address, TestBusPeer.Name, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "ListUnits", []);
        // The timeout covers connect, SASL, Hello and the routed call through a real dbus-daemon: 3 s lets the call
        // reach the peer on a loaded 2-core CI box with a VM image build beside it (300 ms did not always); the
        // peer never answers, so the timeout still has to fire.
        var r = await client.CallAsync(call, TimeSpan.FromSeconds(3), CancellationToken.None);
        Assert.True(r.TimedOut, r.Describe());
        Assert.Contains("timed out after", r.Describe(), StringComparison.Ordinal);
        Assert.Equal(1, peer.Received);
    }

    [Fact]
    public async Task A_socket_that_never_answers_auth_is_a_timeout_each_time_on_a_fresh_connection()
    {
        using var silent = new TestBusPeer.Silent();
        using var client = new DBusClient();
        var call = new BusCall(silent.Address, TestBusPeer.Name, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "ListUnits", []);
        for (var i = 1; i <= 3; i++)
        {
            // 2 s, not 200 ms: the socket never answers AUTH, so each call still times out, and the in-process
            // accept loop gets scheduled before the count is read even on a loaded 2-core CI box.
            var r = await client.CallAsync(call, TimeSpan.FromSeconds(2), CancellationToken.None);
            Assert.True(r.TimedOut, r.Describe());
        }

        // Each timeout dropped its connection, so each call connected anew (no call queued behind a dead one).
        Assert.Equal(3, silent.Accepted);
    }

    [Fact]
    public async Task No_socket_is_an_error_answer_not_an_exception()
    {
        using var client = new DBusClient();
        var r = await client.CallAsync(new BusCall("unix:path=/nonexistent/lwpw/bus", TestBusPeer.Name, "/", "org.example.Test", "Types", []), Timeout, CancellationToken.None);
        Assert.False(r.Succeeded);
        Assert.False(r.TimedOut);
        Assert.StartsWith("D-Bus org.example.Test.Types / on unix:path=/nonexistent/lwpw/bus failed: ", r.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_throws_instead_of_answering()
    {
        using var peer = await TestBusPeer.StartAsync(hang: true);
        using var client = new DBusClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CallAsync(new BusCall(peer.Address, TestBusPeer.Name, "/", "org.example.Test", "Types", []), TimeSpan.FromSeconds(30), cts.Token));
    }
}
