using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// A real HTTP receiver on 127.0.0.1 (Kestrel), recording every POST and answering as the test says.
/// It can be stopped and started again on the same port to play a receiver that is down.
/// </summary>
public sealed class TestReceiver : IAsyncDisposable
{
    private WebApplication? _app;

    public TestReceiver(int? port = null) => Port = port ?? FreePort();

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}");

    /// <summary>Decides the answer to the n-th request (0-based): status code, delay, extra headers.</summary>
    public Func<int, Reply> Behaviour { get; set; } = _ => new Reply(200);

    public ConcurrentQueue<Received> Requests { get; } = new();

    private int _count;

    public IReadOnlyList<Received> Accepted => [.. Requests.Where(r => r.Status is >= 200 and < 300)];

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, Port));
        var app = builder.Build();
        app.MapPost("/{**path}", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync(ctx.RequestAborted);
            var n = Interlocked.Increment(ref _count) - 1;
            var reply = Behaviour(n);
            if (reply.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(reply.Delay, ctx.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    Requests.Enqueue(new Received(DateTimeOffset.UtcNow, ctx.Request.Path, body, Headers(ctx), -1));
                    return;
                }
            }

            Requests.Enqueue(new Received(DateTimeOffset.UtcNow, ctx.Request.Path, body, Headers(ctx), reply.Status));
            ctx.Response.StatusCode = reply.Status;
            foreach (var (k, v) in reply.Headers ?? [])
            {
                ctx.Response.Headers[k] = v;
            }
        });
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await app.StopAsync(cts.Token);
            await app.DisposeAsync();
        }
    }

    public async Task WaitForAsync(Func<TestReceiver, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds}s for {what}; got {Requests.Count} requests ({Accepted.Count} accepted)");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static Dictionary<string, string> Headers(HttpContext ctx) =>
        ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

    public sealed record Reply(int Status, TimeSpan Delay = default, Dictionary<string, string>? Headers = null);

    public sealed record Received(DateTimeOffset At, string Path, string Body, IReadOnlyDictionary<string, string> Headers, int Status)
    {
        public string Key => Headers.GetValueOrDefault("Idempotency-Key", "");
    }
}
