using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Delivery;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// The outbox's source-generated JSON (no reflection, so NativeAOT can write it) against the reflection
/// serializer earlier builds used: rows and state on disk from before still load, and what is written now is
/// the same text. And <see cref="Outbox.Save"/> never throws.
/// </summary>
public sealed class OutboxJsonTests : IDisposable
{
    /// <summary>The options OutboxRow used with reflection before the source-generated context.</summary>
    private static readonly JsonSerializerOptions Reflection = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        IgnoreReadOnlyProperties = true,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    private readonly string _dir = Directory.CreateTempSubdirectory("lwpw-test-outboxjson-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AlertNotification Rich() => Samples.Notification("am") with
    {
        Reason = "severity",
        PreviousSeverity = Severity.Warning,
        Alert = Samples.Alert() with
        {
            Service = "web.service",
            EvidenceId = "20261122T010203Z-abc",
            InhibitedBy = "configured-not-enforced|/web.service",
            Symptoms = [new AlertSymptom { Fingerprint = "near-cap|/web.service", Rule = "near-cap", Severity = Severity.Critical, StartsAt = Samples.T0, Summary = "at 20/20" }],
            NotifiedSeverity = Severity.Critical,
            Notified = ImmutableSortedDictionary<string, DateTimeOffset>.Empty.WithComparers(StringComparer.Ordinal).Add("am", Samples.T0.AddMinutes(1)),
        },
    };

    [Fact]
    public void Notifications_and_state_are_written_exactly_as_the_reflection_serializer_wrote_them()
    {
        var n = Rich();
        Assert.Equal(JsonSerializer.Serialize(n, Reflection), OutboxRow.From(n, 0).Payload);
        Assert.Contains("\"severity\":\"critical\"", OutboxRow.From(n, 0).Payload, StringComparison.Ordinal);
        Assert.DoesNotContain("idempotencyKey", OutboxRow.From(n, 0).Payload, StringComparison.Ordinal);

        var state = new AlertTrackerState { Alerts = [n.Alert, Samples.Alert(AlertState.Resolved)] };
        using (var o = new Outbox(Path.Combine(_dir, "a.db"), new DeliverySettings(), new DeliveryMetrics(), NullLogger.Instance, TimeProvider.System))
        {
            o.Save([], state);
        }

        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "a.db")}");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT value FROM kv WHERE name = 'alerts'";
        Assert.Equal(JsonSerializer.Serialize(state, Reflection), (string)cmd.ExecuteScalar()!);
    }

    [Fact]
    public void Rows_written_by_the_reflection_serializer_read_back_field_for_field()
    {
        var n = Rich();
        var old = new OutboxRow(1, n.Receiver, n.IdempotencyKey, n.Status, JsonSerializer.Serialize(n, Reflection), 0, 0, 0, null);
        var back = old.Notification();
        Assert.Equal(JsonSerializer.Serialize(n, Reflection), JsonSerializer.Serialize(back, Reflection));
        Assert.Equal(Severity.Warning, back.PreviousSeverity);
        Assert.Equal(n.Alert.Labels, back.Alert.Labels);
        Assert.Equal(n.Alert.Hints.ToArray(), back.Alert.Hints.ToArray());
        Assert.Equal(n.IdempotencyKey, back.IdempotencyKey);
    }

    [Fact]
    public void A_lone_surrogate_is_queued_as_U_FFFD_not_refused()
    {
        // An emoji cut in half by a length limit is not valid UTF-16; System.Text.Json writes U+FFFD for it.
        var cut = Samples.Notification("am") with { Alert = Samples.Alert() with { Summary = "zone \U0001F600 x"[..6] + " at its cap", Labels = Samples.Alert().Labels.SetItem("zone_name", "web\uDE00") } };
        var metrics = new DeliveryMetrics();
        using var o = new Outbox(Path.Combine(_dir, "b.db"), new DeliverySettings(), metrics, NullLogger.Instance, TimeProvider.System);
        o.Save([cut], new AlertTrackerState { Alerts = [cut.Alert] });
        var row = Assert.Single(o.Due("am", 10));
        Assert.Equal("zone \uFFFD at its cap", row.Notification().Alert.Summary);
        Assert.Equal("web\uFFFD", row.Notification().Alert.Labels["zone_name"]);
        Assert.Equal("zone \uFFFD at its cap", Assert.Single(o.LoadState()!.Alerts).Summary);
        Assert.Equal(0, metrics.Get("am", DeliveryMetrics.Unwritable));
    }

    [Fact]
    public void Save_never_throws_a_notification_it_cannot_write_is_counted_and_the_others_are_queued()
    {
        var metrics = new DeliveryMetrics();
        using var o = new Outbox(Path.Combine(_dir, "c.db"), new DeliverySettings(), metrics, NullLogger.Instance, TimeProvider.System);
        var broken = Samples.Notification("am") with { Alert = null! };
        o.Save([broken, Samples.Notification("am"), null!], new AlertTrackerState { Alerts = [null!] });
        Assert.Equal(2, metrics.Get("am", DeliveryMetrics.Unwritable) + metrics.Get("", DeliveryMetrics.Unwritable));
        Assert.Single(o.Due("am", 10));
        o.Save([Samples.Notification("am", AlertNotification.Resolved)], null);
        Assert.Equal(2, o.Due("am", 10).Count);
    }
}
