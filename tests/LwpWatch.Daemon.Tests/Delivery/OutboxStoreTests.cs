using LwpWatch.Core.Alerts;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Delivery;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

public sealed class OutboxStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lwpw-test-outbox-").FullName;

    private string Db => Path.Combine(_dir, "outbox.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Rows_and_state_survive_reopening_and_a_requeued_episode_replaces_the_queued_row()
    {
        var settings = new DeliverySettings();
        var metrics = new DeliveryMetrics();
        var state = new AlertTrackerState { Alerts = [Samples.Alert()] };
        using (var o = new Outbox(Db, settings, metrics, NullLogger.Instance, TimeProvider.System))
        {
            o.Save([Samples.Notification("a"), Samples.Notification("b")], state);
            var repeat = Samples.Notification("a") with { Reason = "repeat", Alert = Samples.Alert() with { Summary = "newer" } };
            o.Save([repeat], null);
            Assert.Equal(2, metrics.Depth);
        }

        using (var o = new Outbox(Db, settings, metrics, NullLogger.Instance, TimeProvider.System))
        {
            var due = o.Due("a", 10).Concat(o.Due("b", 10)).ToList();
            Assert.Equal(["a", "b"], due.Select(r => r.Receiver).ToArray());
            Assert.Equal("newer", due[0].Notification().Alert.Summary);
            Assert.Equal(Samples.Alert().IdempotencyKey, due[0].Key);
            var loaded = o.LoadState();
            Assert.NotNull(loaded);
            Assert.Equal(state.Alerts[0].IdempotencyKey, Assert.Single(loaded.Alerts).IdempotencyKey);
            Assert.Equal(state.Alerts[0].Labels, loaded.Alerts[0].Labels);
        }
    }

    [Fact]
    public void A_payload_queued_over_the_one_in_flight_survives_its_delivery_and_is_sent_next()
    {
        // Found by the two-Alertmanager test: a severity change (critical, ending the warning label set) replaced
        // the queued warning push while the worker sent it; deleting the row by id then lost the change, and
        // Alertmanager kept the stale warning firing.
        var metrics = new DeliveryMetrics();
        using var o = new Outbox(Db, new DeliverySettings(), metrics, NullLogger.Instance, TimeProvider.System);
        o.Save([Samples.Notification("am")], null);
        var inFlight = Assert.Single(o.Due("am", 10));
        o.Save([Samples.Notification("am") with { Reason = "severity", Alert = Samples.Alert() with { Summary = "newer" } }], null);

        o.Delivered(inFlight);
        var next = Assert.Single(o.Due("am", 10));
        Assert.Equal("newer", next.Notification().Alert.Summary);
        Assert.Equal(1, metrics.Depth);

        o.Failed(next, DateTimeOffset.UtcNow.AddMilliseconds(-1), "HTTP 503");
        var retry = Assert.Single(o.Due("am", 10));
        Assert.Equal("newer", retry.Notification().Alert.Summary);
        o.Delivered(retry);
        Assert.Empty(o.Due("am", 10));
        Assert.Equal(0, metrics.Depth);
    }

    [Fact]
    public void A_repeat_queued_over_a_pending_severity_change_still_ends_the_old_severity()
    {
        // Found by the two-Alertmanager test on the Triton replay: provision-stuck went warning -> critical (the
        // push ends the warning label set) and a repeat replaced that row before it went out; the warning stayed
        // firing in Alertmanager and paged again after the resolve.
        using var o = new Outbox(Db, new DeliverySettings(), new DeliveryMetrics(), NullLogger.Instance, TimeProvider.System);
        var critical = Samples.Alert() with { Severity = Core.Model.Severity.Critical };
        o.Save([Samples.Notification("am") with { Reason = "severity", Alert = critical, PreviousSeverity = Core.Model.Severity.Warning }], null);
        o.Save([Samples.Notification("am") with { Reason = "repeat", Alert = critical with { Summary = "newer" } }], null);

        var row = Assert.Single(o.Due("am", 10)).Notification();
        Assert.Equal("newer", row.Alert.Summary);
        Assert.Equal(Core.Model.Severity.Warning, row.PreviousSeverity);
        var body = new Daemon.Delivery.Notifiers.AlertmanagerNotifier(new Uri("http://127.0.0.1:9093"), TimeSpan.FromMinutes(1), "").Render(row, DateTimeOffset.UtcNow).Body;
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal(["critical", "warning"], doc.RootElement.EnumerateArray().Select(a => a.GetProperty("labels").GetProperty("severity").GetString()!).ToArray());

        // Once sent, a later repeat has nothing left to end.
        o.Delivered(o.Due("am", 10)[0]);
        o.Save([Samples.Notification("am") with { Reason = "repeat", Alert = critical }], null);
        Assert.Null(Assert.Single(o.Due("am", 10)).Notification().PreviousSeverity);
    }

    [Fact]
    public void Idle_only_while_nothing_is_queued()
    {
        // The delivery worker sleeps until signalled while the outbox is idle, so idle must never hide a row.
        using var o = new Outbox(Db, new DeliverySettings(), new DeliveryMetrics(), NullLogger.Instance, TimeProvider.System);
        Assert.True(o.Idle);
        o.Save([Samples.Notification("a"), Samples.Notification("a", AlertNotification.Resolved)], null);
        Assert.False(o.Idle);
        var due = o.Due("a", 10);
        o.Delivered(due[0]);
        Assert.False(o.Idle);
        o.Failed(due[1], DateTimeOffset.UtcNow.AddHours(1), "HTTP 503");
        Assert.False(o.Idle); // still queued, waiting for its retry
        o.Delivered(due[1]);
        Assert.True(o.Idle);
    }

    [Fact]
    public void Failed_row_waits_for_its_backoff_and_delivered_row_is_gone()
    {
        var metrics = new DeliveryMetrics();
        using var o = new Outbox(Db, new DeliverySettings(), metrics, NullLogger.Instance, TimeProvider.System);
        o.Save([Samples.Notification("a"), Samples.Notification("a", AlertNotification.Resolved)], null);
        var due = o.Due("a", 10);
        Assert.Equal(2, due.Count);
        o.Failed(due[0], DateTimeOffset.UtcNow.AddHours(1), "HTTP 503");
        o.Delivered(due[1]);
        Assert.Empty(o.Due("a", 10));
        Assert.Equal(1, metrics.Depth);
        Assert.Equal(1, metrics.Get("a", DeliveryMetrics.Retry));
        Assert.Equal(1, metrics.Get("a", DeliveryMetrics.Delivered));
    }

    [Fact]
    public void Corrupt_state_is_reported_and_ignored_not_fatal()
    {
        using (var o = new Outbox(Db, new DeliverySettings(), new DeliveryMetrics(), NullLogger.Instance, TimeProvider.System))
        {
            o.Save([], new AlertTrackerState());
        }

        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE kv SET value = '{not json'";
            cmd.ExecuteNonQuery();
        }

        using var again = new Outbox(Db, new DeliverySettings(), new DeliveryMetrics(), NullLogger.Instance, TimeProvider.System);
        Assert.Null(again.LoadState());
    }

    [Fact]
    public void Unwritable_location_falls_back_to_memory()
    {
        // A directory where the database file should be: SQLite cannot open it.
        Directory.CreateDirectory(Db);
        var metrics = new DeliveryMetrics();
        using var o = new Outbox(Db, new DeliverySettings(), metrics, NullLogger.Instance, TimeProvider.System);
        Assert.False(metrics.StoreHealthy);
        o.Save([Samples.Notification("a")], new AlertTrackerState());
        Assert.Equal(1, metrics.Depth);
        var row = Assert.Single(o.Due("a", 10));
        Assert.True(row.Id < 0);
        o.Delivered(row);
        Assert.Equal(0, metrics.Depth);
    }

    [Theory]
    [InlineData(1, 0.5, 1000)]
    [InlineData(2, 0.5, 2000)]
    [InlineData(5, 0.5, 16000)]
    [InlineData(30, 0.5, 120000)]
    [InlineData(1, 0.0, 800)]
    [InlineData(1, 0.999999, 1200)]
    public void Backoff_doubles_caps_and_jitters(int attempts, double draw, double expectedMs)
    {
        var ms = Backoff.Delay(attempts, new DeliverySettings(), draw).TotalMilliseconds;
        Assert.Equal(expectedMs, ms, 0.5);
    }
}
