using LwpWatch.Daemon.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace LwpWatch.Daemon.Tests.Http;

/// <summary>Which connections make room above the limit: idle before busy, stalest first, never the newcomer.</summary>
public sealed class ConnectionGuardTests
{
    private sealed class Conn(string id)
    {
        public DefaultConnectionContext Context { get; } = new(id);

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task? Running { get; set; }

        public bool Aborted => Context.ConnectionClosed.IsCancellationRequested;
    }

    private static Conn Open(ConnectionGuard guard, string id)
    {
        var c = new Conn(id);
        c.Running = guard.OnConnectionAsync(c.Context, _ => c.Done.Task);
        return c;
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task AboveTheLimitTheStalestIdleConnectionsAreClosedAndBusyOnesKept()
    {
        var guard = new ConnectionGuard(10);
        var conns = new List<Conn>();
        for (var i = 0; i < 10; i++)
        {
            conns.Add(Open(guard, "c" + i));
            await Task.Delay(2);
        }

        // c0 and c1, the oldest, are serving a request; c2 finished one just now (so it is the freshest idle one).
        var requestDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var busy = new[] { "c0", "c1" }.Select(id => guard.OnRequestAsync(new DefaultHttpContext { Connection = { Id = id } }, _ => requestDone.Task)).ToList();
        await guard.OnRequestAsync(new DefaultHttpContext { Connection = { Id = "c2" } }, _ => Task.CompletedTask);
        Assert.Equal(10, guard.Open);

        var newcomer = Open(guard, "new");
        // 11 open, limit 10: down to 9 in one pass, so the two stalest idle ones (c3, c4) go.
        await Eventually(() => conns[3].Aborted && conns[4].Aborted);
        Assert.Equal(["c3", "c4"], conns.Where(c => c.Aborted).Select(c => c.Context.ConnectionId));
        Assert.False(newcomer.Aborted);
        Assert.Equal(9, guard.Open);
        Assert.Equal(2, guard.Evicted);

        requestDone.SetResult();
        await Task.WhenAll(busy);
        foreach (var c in conns.Append(newcomer))
        {
            c.Done.SetResult();
            await c.Running!;
        }

        Assert.Equal(0, guard.Open);
    }

    [Fact]
    public async Task WhenEveryConnectionIsBusyTheLongestRunningRequestMakesRoom()
    {
        var guard = new ConnectionGuard(10);
        var conns = new List<Conn>();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = new List<Task>();
        for (var i = 0; i < 10; i++)
        {
            conns.Add(Open(guard, "b" + i));
            requests.Add(guard.OnRequestAsync(new DefaultHttpContext { Connection = { Id = "b" + i } }, _ => hold.Task));
            await Task.Delay(2);
        }

        var newcomer = Open(guard, "new");
        // 11 open, limit 10, down to 9: the two requests running longest give way.
        await Eventually(() => conns[0].Aborted && conns[1].Aborted);
        Assert.Equal(["b0", "b1"], conns.Where(c => c.Aborted).Select(c => c.Context.ConnectionId));
        Assert.False(newcomer.Aborted);

        hold.SetResult();
        await Task.WhenAll(requests);
        foreach (var c in conns.Append(newcomer))
        {
            c.Done.SetResult();
            await c.Running!;
        }
    }
}
