using LwpWatch.Core.Alerts;
using LwpWatch.Daemon.Delivery;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>Typed hints through the outbox's source-generated JSON: they round-trip, and rows queued by a version that stored rendered strings still load.</summary>
public sealed class HintPersistenceTests
{
    [Fact]
    public void Typed_hints_round_trip_through_an_outbox_row()
    {
        var n = Samples.Notification("hook");
        var back = OutboxRow.From(n, 0).Notification();
        Assert.Equal(n.Alert.Hints.ToArray(), back.Alert.Hints.ToArray());
        Assert.Equal(
            ["systemctl set-property web.service TasksMax=40", "echo 40 > /sys/fs/cgroup/pids/system.slice/web.service/pids.max"],
            back.Alert.Hints.Select(h => h.Render()).ToArray());
    }

    [Fact]
    public void A_row_queued_with_string_hints_still_delivers_without_them()
    {
        var row = OutboxRow.From(Samples.Notification("hook"), 0);
        // What 5e340ac queued: each hint its unquoted rendering.
        var node = System.Text.Json.Nodes.JsonNode.Parse(row.Payload)!;
        node["alert"]!["hints"] = new System.Text.Json.Nodes.JsonArray("echo 40 > /sys/fs/cgroup/pids/a;touch x;b/pids.max");
        var legacy = row with { Payload = node.ToJsonString() };
        Assert.Contains("a;touch x;b", legacy.Payload, StringComparison.Ordinal);

        var n = legacy.Notification();
        Assert.Equal(AlertNotification.Firing, n.Status);
        Assert.Equal("near-cap|/system.slice/web.service", n.Alert.Fingerprint);
        Assert.Empty(n.Alert.Hints);
    }
}
