using System.Text.Json;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Delivery;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// An alertmanager receiver with several urls (the members of one Alertmanager cluster) against real HTTP
/// receivers on 127.0.0.1: every member gets every push; a row is delivered once one member accepted it.
/// </summary>
public sealed class FanOutSenderTests
{
    private static readonly Uri A = new("http://127.0.0.1:1/a");
    private static readonly Uri B = new("http://127.0.0.1:1/b");

    [Fact]
    public void One_acceptance_delivers_all_refusals_reject_anything_else_retries()
    {
        var ok = DeliveryResult.Ok("HTTP 200");
        var down = new DeliveryResult(DeliveryOutcome.Retry, "ConnectionError");
        var refused = new DeliveryResult(DeliveryOutcome.Rejected, "HTTP 400");
        var busy = new DeliveryResult(DeliveryOutcome.Retry, "HTTP 429", TimeSpan.FromSeconds(30));
        var busier = new DeliveryResult(DeliveryOutcome.Retry, "HTTP 503", TimeSpan.FromSeconds(90));

        var one = FanOutSender.Combine([new(A, down), new(B, ok)]);
        Assert.Equal(DeliveryOutcome.Delivered, one.Outcome);
        Assert.Equal("1 of 2 members accepted (http://127.0.0.1:1/a: ConnectionError; http://127.0.0.1:1/b: HTTP 200)", one.Detail);
        Assert.Equal(DeliveryOutcome.Delivered, FanOutSender.Combine([new(A, refused), new(B, ok)]).Outcome);
        Assert.Equal(DeliveryOutcome.Rejected, FanOutSender.Combine([new(A, refused), new(B, refused)]).Outcome);

        var none = FanOutSender.Combine([new(A, refused), new(B, down)]);
        Assert.Equal((DeliveryOutcome.Retry, (TimeSpan?)null), (none.Outcome, none.RetryAfter));
        Assert.Equal(TimeSpan.FromSeconds(30), FanOutSender.Combine([new(A, busy), new(B, busier)]).RetryAfter);
        Assert.Null(FanOutSender.Combine([new(A, busy), new(B, down)]).RetryAfter);
    }

    [Fact]
    public void The_member_label_never_carries_a_query()
    {
        Assert.Equal("http://am1:9093/api/v2/alerts", new MemberResult(new Uri("http://am1:9093/api/v2/alerts?token=SECRET"), DeliveryResult.Ok("")).Label);
    }

    [Fact]
    public async Task Every_member_gets_the_same_push_and_a_dead_member_does_not_hold_the_row()
    {
        await using var up = new TestReceiver();
        await up.StartAsync();
        await using var dead = new TestReceiver();
        ReceiverSettings am = new() { Name = "am", Type = ReceiverSettings.Alertmanager, Urls = [up.BaseUrl.AbsoluteUri, dead.BaseUrl.AbsoluteUri], Timeout = TimeSpan.FromSeconds(5) };
        await using var h = new DeliveryHarness([am]);
        await h.StartAsync();

        h.Poll([Samples.Finding("a"), Samples.Finding("b")]);
        await up.WaitForAsync(r => r.Accepted.Count >= 2, TimeSpan.FromSeconds(20), "both alerts at the live member");
        // 60 s drain waits: each send fsyncs the SQLite outbox (synchronous=FULL) on the root disk, which a loaded
        // 2-core CI box with a VM image build beside it stalls for seconds; the wait returns once the outbox is empty.
        await h.WaitAsync(() => h.Metrics.Depth == 0, TimeSpan.FromSeconds(60), "the outbox to drain with one member down");
        Assert.Equal(2, h.Metrics.Get("am", DeliveryMetrics.Delivered));
        Assert.Equal(0, h.Metrics.Get("am", DeliveryMetrics.Retry));
        Assert.All(up.Accepted, r => Assert.Equal("/api/v2/alerts", r.Path));
        var member = h.Metrics.MemberUp().ToDictionary(m => m.Member, m => m.Up);
        Assert.True(member[up.BaseUrl.AbsoluteUri + "api/v2/alerts"]);
        Assert.False(member[dead.BaseUrl.AbsoluteUri + "api/v2/alerts"]);

        // The dead member comes back: the next pushes reach both, byte for byte the same.
        await dead.StartAsync();
        h.Poll([Samples.Finding("a"), Samples.Finding("b"), Samples.Finding("c")]);
        await dead.WaitForAsync(r => r.Accepted.Count >= 1, TimeSpan.FromSeconds(20), "the new alert at the member that came back");
        await h.WaitAsync(() => h.Metrics.Depth == 0, TimeSpan.FromSeconds(60), "the outbox to drain");
        var atUp = up.Accepted.Single(r => JsonDocument.Parse(r.Body).RootElement[0].GetProperty("labels").GetProperty("zone").GetString() == "c");
        var atDead = dead.Accepted.Single();
        Assert.Equal(atUp.Body, atDead.Body);
        Assert.Equal(atUp.Key, atDead.Key);
        Assert.True(h.Metrics.MemberUp().All(m => m.Up));
    }

    [Fact]
    public async Task With_every_member_down_the_row_waits_and_goes_to_the_first_member_back()
    {
        await using var m1 = new TestReceiver();
        await using var m2 = new TestReceiver { Behaviour = _ => new TestReceiver.Reply(503) };
        ReceiverSettings am = new() { Name = "am", Type = ReceiverSettings.Alertmanager, Urls = [m1.BaseUrl.AbsoluteUri, m2.BaseUrl.AbsoluteUri], Timeout = TimeSpan.FromSeconds(5) };
        await using var h = new DeliveryHarness([am]);
        await h.StartAsync();
        await m2.StartAsync();

        h.Poll([Samples.Finding("a")]);
        await h.WaitAsync(() => h.Metrics.Get("am", DeliveryMetrics.Retry) >= 3, TimeSpan.FromSeconds(20), "retries while no member accepts");
        Assert.Equal(1, h.Metrics.Depth);
        Assert.Equal(0, h.Metrics.Get("am", DeliveryMetrics.Delivered));

        await m1.StartAsync();
        await m1.WaitForAsync(r => r.Accepted.Count >= 1, TimeSpan.FromSeconds(20), "the alert at the member that came up");
        await h.WaitAsync(() => h.Metrics.Depth == 0, TimeSpan.FromSeconds(60), "the outbox to drain");
        using var doc = JsonDocument.Parse(m1.Accepted[0].Body);
        Assert.Equal("a", doc.RootElement[0].GetProperty("labels").GetProperty("zone").GetString());
        Assert.Equal(1, h.Metrics.Get("am", DeliveryMetrics.Delivered));
    }
}
