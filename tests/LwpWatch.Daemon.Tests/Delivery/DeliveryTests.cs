using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Delivery;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>Delivery against real HTTP receivers on 127.0.0.1 (Kestrel), never a mocked HttpClient.</summary>
public sealed class DeliveryTests
{
    private static ReceiverSettings Hook(TestReceiver r, string name = "hook", TimeSpan? timeout = null) =>
        new() { Name = name, Type = ReceiverSettings.Webhook, Url = r.Url.AbsoluteUri, Timeout = timeout ?? TimeSpan.FromSeconds(5) };

    // Condition waits on the delivery path get 60 s: every send fsyncs the SQLite outbox (synchronous=FULL) on
    // the root disk, which a loaded 2-core CI box with a VM image build beside it can stall for seconds. A wait
    // returns as soon as its condition holds; quiet periods that assert nothing more happens are unchanged.
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Server_errors_then_success_deliver_exactly_once_per_idempotency_key()
    {
        await using var rx = new TestReceiver { Behaviour = n => new TestReceiver.Reply(n < 3 ? 500 : 200) };
        await rx.StartAsync();
        var secretFile = Path.Combine(Path.GetTempPath(), $"lwpw-test-{Guid.NewGuid():N}.key");
        await File.WriteAllTextAsync(secretFile, "hmac-key\n");
        try
        {
            await using var h = new DeliveryHarness([Hook(rx) with { SecretFile = secretFile }]);
            await h.StartAsync();
            h.Poll([Samples.Finding("a"), Samples.Finding("b")]);
            await rx.WaitForAsync(r => r.Accepted.Count >= 2, TimeSpan.FromSeconds(20), "2 deliveries");
            await h.WaitAsync(() => h.Metrics.Depth == 0, DeliveryWait, "empty outbox");

            // Keep polling a little: neither retries nor the unchanged alerts may produce another delivery.
            for (var i = 0; i < 5; i++)
            {
                h.Poll([Samples.Finding("a"), Samples.Finding("b")]);
                await Task.Delay(100);
            }

            var accepted = rx.Accepted;
            Assert.Equal(2, accepted.Count);
            Assert.Equal(2, accepted.Select(r => r.Key).Distinct().Count());
            Assert.Equal(5, rx.Requests.Count);
            Assert.All(rx.Requests, r => Assert.Equal(
                "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("hmac-key"u8.ToArray(), Encoding.UTF8.GetBytes(r.Body))),
                r.Headers["X-LwpWatch-Signature"]));
            Assert.Equal(2, h.Metrics.Get("hook", DeliveryMetrics.Delivered));
            Assert.Equal(3, h.Metrics.Get("hook", DeliveryMetrics.Retry));
            using var doc = JsonDocument.Parse(accepted[0].Body);
            Assert.Equal("4", doc.RootElement.GetProperty("version").GetString());
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [Fact]
    public async Task Receiver_down_then_back_gets_everything()
    {
        // 20 s here; LWPWATCH_LONG_TESTS=1 runs the 2-minute outage of the acceptance criteria.
        var down = Environment.GetEnvironmentVariable("LWPWATCH_LONG_TESTS") == "1" ? TimeSpan.FromMinutes(2) : TimeSpan.FromSeconds(20);
        await using var rx = new TestReceiver();
        var delivery = DeliveryHarness.FastDelivery with { MaxBackoff = TimeSpan.FromSeconds(2) };
        await using var h = new DeliveryHarness([Hook(rx)], delivery);
        await h.StartAsync();
        var zones = Enumerable.Range(0, 10).Select(i => $"z{i}").ToList();
        h.Poll(zones.Select(z => Samples.Finding(z)));
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < down)
        {
            // Polls go on while it is down; the queued episodes must not multiply.
            h.Poll(zones.Select(z => Samples.Finding(z)));
            await Task.Delay(500);
        }

        Assert.Equal(10, h.Metrics.Depth);
        Assert.True(h.Metrics.Get("hook", DeliveryMetrics.Retry) > 3);
        Assert.True(h.Metrics.OldestAgeSeconds(DateTimeOffset.UtcNow) >= down.TotalSeconds - 1);
        await rx.StartAsync();
        await rx.WaitForAsync(r => r.Accepted.Count >= 10, TimeSpan.FromSeconds(15), "10 deliveries after the outage");
        Assert.Equal(10, rx.Accepted.Select(r => r.Key).Distinct().Count());
        await h.WaitAsync(() => h.Metrics.Depth == 0, DeliveryWait, "empty outbox");
    }

    [Fact]
    public async Task Hanging_receiver_delays_neither_polls_nor_other_receivers()
    {
        await using var hang = new TestReceiver { Behaviour = _ => new TestReceiver.Reply(200, TimeSpan.FromSeconds(30)) };
        await using var ok = new TestReceiver();
        await hang.StartAsync();
        await ok.StartAsync();
        await using var h = new DeliveryHarness([Hook(hang, "slow", TimeSpan.FromSeconds(30)), Hook(ok, "fast")]);
        await h.StartAsync();

        var interval = TimeSpan.FromMilliseconds(200);
        var polls = new List<DateTimeOffset>();
        var sw = Stopwatch.StartNew();
        var next = TimeSpan.Zero;
        var i = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(6))
        {
            // A new alert every poll keeps the hanging receiver's queue growing.
            polls.Add(DateTimeOffset.UtcNow);
            h.Poll(Enumerable.Range(0, ++i).Select(k => Samples.Finding($"z{k}")));
            next += interval;
            var wait = next - sw.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        var gaps = polls.Zip(polls.Skip(1), (a, b) => b - a).ToList();
        // Blocked behind the 30 s send, a gap would be ~30 s; the bound only absorbs a loaded CI box.
        Assert.True(gaps.Max() < TimeSpan.FromSeconds(5), $"largest gap between polls {gaps.Max().TotalMilliseconds} ms");
        Assert.True(hang.Requests.IsEmpty, "the hanging receiver never answered");
        await ok.WaitForAsync(r => r.Accepted.Count >= i, DeliveryWait, "the fast receiver got every alert while the slow one hung");
        Assert.Equal(0, h.Metrics.Get("slow", DeliveryMetrics.Delivered));
    }

    [Fact]
    public async Task Slack_429_retry_after_is_honoured()
    {
        await using var rx = new TestReceiver
        {
            Behaviour = n => n == 0 ? new TestReceiver.Reply(429, Headers: new() { ["Retry-After"] = "2" }) : new TestReceiver.Reply(200),
        };
        await rx.StartAsync();
        var slack = new ReceiverSettings { Name = "slack", Type = ReceiverSettings.Slack, Url = rx.Url.AbsoluteUri };
        await using var h = new DeliveryHarness([slack]);
        await h.StartAsync();
        h.Poll([Samples.Finding("a")]);
        await rx.WaitForAsync(r => r.Accepted.Count == 1, TimeSpan.FromSeconds(10), "delivery after 429");
        var all = rx.Requests.ToList();
        Assert.Equal(2, all.Count);

        // Our backoff alone would have retried after ~50 ms; Slack asked for 2 s.
        Assert.True(all[1].At - all[0].At >= TimeSpan.FromSeconds(1.9), $"retried after {(all[1].At - all[0].At).TotalMilliseconds} ms");
        Assert.Contains("```", JsonDocument.Parse(all[1].Body).RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_payload_is_dropped_and_counted_not_retried_forever()
    {
        await using var rx = new TestReceiver { Behaviour = _ => new TestReceiver.Reply(400) };
        await rx.StartAsync();
        await using var h = new DeliveryHarness([Hook(rx)]);
        await h.StartAsync();
        h.Poll([Samples.Finding("a")]);
        await h.WaitAsync(() => h.Metrics.Get("hook", DeliveryMetrics.Rejected) == 1, TimeSpan.FromSeconds(10), "rejection");
        await Task.Delay(300);
        Assert.Single(rx.Requests);
        Assert.Equal(0, h.Metrics.Depth);
    }

    [Fact]
    public async Task Old_notifications_expire_with_a_counted_drop()
    {
        var port = TestReceiver.FreePort();
        var settings = DeliveryHarness.FastDelivery with { MaxAge = TimeSpan.FromSeconds(10) };
        var dir = Directory.CreateTempSubdirectory("lwpw-test-").FullName;
        try
        {
            // Queue with a clock 11 s in the past so the row is already too old when the worker looks.
            var metrics = new DeliveryMetrics();
            using (var outbox = new Outbox(Path.Combine(dir, "outbox.db"), settings, metrics, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, new ShiftedClock(TimeSpan.FromSeconds(-11))))
            {
                outbox.Save([Samples.Notification("hook")], null);
            }

            await using var h = new DeliveryHarness([new ReceiverSettings { Name = "hook", Type = "webhook", Url = $"http://127.0.0.1:{port}/x" }], settings, dir: dir);
            Assert.Equal(1, h.Metrics.Depth);
            await h.StartAsync();
            await h.WaitAsync(() => h.Metrics.Get("hook", DeliveryMetrics.Expired) == 1, DeliveryWait, "expiry");
            Assert.Equal(0, h.Metrics.Depth);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Outbox_is_bounded_and_counts_overflow()
    {
        var port = TestReceiver.FreePort();
        var settings = DeliveryHarness.FastDelivery with { MaxQueued = 10 };
        await using var h = new DeliveryHarness([new ReceiverSettings { Name = "hook", Type = "webhook", Url = $"http://127.0.0.1:{port}/x" }], settings);
        h.Poll(Enumerable.Range(0, 15).Select(i => Samples.Finding($"z{i:00}")));
        Assert.Equal(10, h.Metrics.Depth);
        Assert.Equal(5, h.Metrics.Get("hook", DeliveryMetrics.Overflow));
    }

    [Fact]
    public async Task A_dead_receivers_backlog_never_starves_a_healthy_receiver()
    {
        await using var ok = new TestReceiver();
        await ok.StartAsync();
        var dead = new ReceiverSettings { Name = "dead", Type = "webhook", Url = $"http://127.0.0.1:{TestReceiver.FreePort()}/x" };
        var routes = new AlertsSettings
        {
            Routes =
            [
                new RouteSettings { Receivers = ["dead"], Match = new Dictionary<string, string> { ["rule"] = "near-cap" } },
                new RouteSettings { Receivers = ["ok"] },
            ],
        };
        await using var h = new DeliveryHarness([dead, Hook(ok, "ok")], DeliveryHarness.FastDelivery with { BatchSize = 5 }, routes);
        h.Poll(Enumerable.Range(0, 300).Select(i => Samples.Finding($"d{i:000}")));
        h.Poll([.. Enumerable.Range(0, 300).Select(i => Samples.Finding($"d{i:000}")), Samples.Finding("late") with { Rule = "fork-denied" }]);
        await h.StartAsync();
        await ok.WaitForAsync(r => r.Accepted.Count == 1, TimeSpan.FromSeconds(10), "the healthy receiver's one notification behind 300 dead ones");

        // The row is removed just after the receiver answered; the dead receiver's 300 stay queued.
        await h.WaitAsync(() => h.Metrics.Depth == 300, DeliveryWait, "only the dead receiver's rows to remain");
    }

    [Fact]
    public async Task Rows_for_a_receiver_removed_from_the_config_are_dropped_and_counted()
    {
        var dir = Directory.CreateTempSubdirectory("lwpw-test-").FullName;
        try
        {
            using (var o = new Outbox(Path.Combine(dir, "outbox.db"), DeliveryHarness.FastDelivery, new DeliveryMetrics(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System))
            {
                o.Save([Samples.Notification("gone")], null);
            }

            await using var rx = new TestReceiver();
            await using var h = new DeliveryHarness([Hook(rx)], dir: dir);
            await h.StartAsync();
            await h.WaitAsync(() => h.Metrics.Get("gone", DeliveryMetrics.UnknownReceiver) == 1, DeliveryWait, "the orphan to be dropped");
            Assert.Equal(0, h.Metrics.Depth);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}

/// <summary>PagerDuty and Slack against local receivers, and receiver construction from secrets.</summary>
public sealed class ReceiverTests
{
    [Fact]
    public async Task PagerDuty_gets_trigger_then_resolve_with_the_fingerprint_as_dedup_key()
    {
        await using var rx = new TestReceiver { Behaviour = _ => new TestReceiver.Reply(202) };
        await rx.StartAsync();
        var env = $"LWPW_TEST_PD_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(env, "routing-key-123");
        try
        {
            var pd = new ReceiverSettings { Name = "pd", Type = ReceiverSettings.PagerDuty, Url = rx.Url.AbsoluteUri, SecretEnv = env };
            await using var h = new DeliveryHarness([pd]);
            await h.StartAsync();
            h.Poll([Samples.Finding("db")]);
            await rx.WaitForAsync(r => r.Accepted.Count == 1, TimeSpan.FromSeconds(10), "trigger");
            h.Poll([]);
            await rx.WaitForAsync(r => r.Accepted.Count == 2, TimeSpan.FromSeconds(10), "resolve");
            var events = rx.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
            Assert.Equal(["trigger", "resolve"], events.Select(e => e.GetProperty("event_action").GetString() ?? "").ToArray());
            Assert.All(events, e => Assert.Equal("near-cap|db", e.GetProperty("dedup_key").GetString()));
            Assert.All(events, e => Assert.Equal("routing-key-123", e.GetProperty("routing_key").GetString()));
            Assert.Equal("critical", events[0].GetProperty("payload").GetProperty("severity").GetString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(env, null);
        }
    }

    /// <summary>The exact header a real HTTP receiver got (AlertmanagerTests also runs a real Alertmanager that enforces it).</summary>
    [Fact]
    public async Task Alertmanager_basic_auth_is_sent_as_the_authorization_header_with_the_password_from_a_file()
    {
        const string Password = "pw-from-file-\u00e9:x";
        var expected = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("lwpwatch:" + Password));
        var file = Path.Combine(Path.GetTempPath(), $"lwpw-test-{Guid.NewGuid():N}.pw");
        File.WriteAllText(file, Password + "\n");
        await using var rx = new TestReceiver();
        try
        {
            await rx.StartAsync();
            var am = new ReceiverSettings { Name = "am", Type = ReceiverSettings.Alertmanager, Url = rx.BaseUrl.AbsoluteUri, Username = "lwpwatch", SecretFile = file };
            await using var h = new DeliveryHarness([am]);
            await h.StartAsync();
            h.Poll([Samples.Finding("db")]);
            await rx.WaitForAsync(r => r.Requests.Count >= 1, TimeSpan.FromSeconds(10), "the alert");
            var request = rx.Requests.First();
            Assert.Equal("/api/v2/alerts", request.Path);
            Assert.Equal(expected, request.Headers.GetValueOrDefault("Authorization"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_url_with_credentials_from_a_file_is_refused_at_start_without_printing_it()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lwpw-test-{Guid.NewGuid():N}.url");
        File.WriteAllText(file, "https://user:SECRETPW@am.example:9093/\n");
        try
        {
            var am = new ReceiverSettings { Name = "am", Type = ReceiverSettings.Alertmanager, UrlFile = file };
            var ex = Assert.Throws<InvalidOperationException>(() => Receiver.Build(am, new AlertsSettings(), ""));
            Assert.StartsWith("receiver am: url must not carry credentials", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("SECRETPW", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Missing_secrets_are_named_errors_that_never_show_a_secret()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lwpw-test-{Guid.NewGuid():N}.url");
        File.WriteAllText(file, "not a url but a secret-ish token\n");
        try
        {
            var alerts = new AlertsSettings();
            var slack = new ReceiverSettings { Name = "s", Type = ReceiverSettings.Slack, UrlFile = file };
            var ex = Assert.Throws<InvalidOperationException>(() => Receiver.Build(slack, alerts, ""));
            Assert.Equal("receiver s: url is not an absolute http(s) URL", ex.Message);

            var pd = new ReceiverSettings { Name = "pd", Type = ReceiverSettings.PagerDuty, SecretEnv = $"LWPW_TEST_UNSET_{Guid.NewGuid():N}" };
            Assert.Contains("is not set", Assert.Throws<InvalidOperationException>(() => Receiver.Build(pd, alerts, "")).Message, StringComparison.Ordinal);

            var hook = new ReceiverSettings { Name = "h", Type = ReceiverSettings.Webhook, Url = "http://127.0.0.1:1/", SecretFile = "/nonexistent/lwpw.key" };
            Assert.Contains("cannot read secret file /nonexistent/lwpw.key", Assert.Throws<InvalidOperationException>(() => Receiver.Build(hook, alerts, "")).Message, StringComparison.Ordinal);

            File.WriteAllText(file, "https://hooks.slack.com/services/T0/B0/SECRET\n");
            Assert.IsType<LwpWatch.Daemon.Delivery.Notifiers.SlackNotifier>(Receiver.Build(slack, alerts, ""));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
